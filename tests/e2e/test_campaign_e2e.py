"""Whole campaigns through the real CLI, every run in a real hardened container.

The kill -9 tests stop the campaign process at chosen points (a run's container is up; a run
was just recorded), resume it, and check that nothing was lost, nothing ran twice and nothing
was left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

SENTINEL = [sys.executable, "-m", "sentinel.agent.cli.main"]


def _env(runs: Path) -> dict[str, str]:
    return {**os.environ, "SENTINEL_RUNS": str(runs)}


def _goal_without_target(tmp_path: Path) -> str:
    """digits:quick with no target: these tests count runs, so the budget must be what ends it
    (the trusted test accuracy can reach the demo's target within two runs)."""
    import yaml

    goal = yaml.safe_load((Path(__file__).parents[2] / "campaigns" / "digits" / "quick.yaml").read_text())
    goal.pop("target", None)
    path = tmp_path / "quick.yaml"  # the file name must match the goal name
    path.write_text(yaml.safe_dump(goal))
    return str(path)


def _store(runs: Path):
    from sentinel.agent.store import FeedbackStore

    return FeedbackStore(runs / "feedback.db")


def _assert_nothing_left(engine, campaign_id: str) -> None:
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.volume import leftover_volumes

    for container_id in engine.containers_with_label(RUN_LABEL):
        labels = engine.container_labels(container_id) or {}  # None: it ended meanwhile
        assert labels.get("io.sentinel.campaign") != campaign_id, "a container of the campaign is left"
    assert not [v for v in leftover_volumes() if v.startswith(campaign_id)]


def _assert_each_proposal_completed_once(store, campaign_id: str, expected: int) -> None:
    completed = store.runs(campaign_id, statuses=("completed",))
    proposals = [r.proposal.id for r in completed]
    assert len(proposals) == len(set(proposals)), "a proposal completed twice"
    assert len(completed) == expected


def test_campaign_of_four_runs_end_to_end(engine, runtime_image, data_dir, tmp_path):
    runs = tmp_path / "runs"
    proc = subprocess.run(
        [*SENTINEL, "campaign", "run", _goal_without_target(tmp_path), "--budget", "4", "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
        env=_env(runs),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = json.loads(proc.stdout)
    assert outcome["state"] == "finished"
    assert outcome["runs"] == 4
    assert outcome["best_value"] > 0.9  # digits val/acc after a few short runs
    campaign_id = outcome["campaign_id"]
    store = _store(runs)
    _assert_each_proposal_completed_once(store, campaign_id, 4)
    for run in store.runs(campaign_id):
        folder = Path(run.out_dir)
        assert (folder / "run.json").is_file() and (folder / "artifacts" / "summary.json").is_file()
        assert json.loads((folder / "run.json").read_text())["isolation"] == "runc"
    assert (runs / campaign_id / "dashboard.html").is_file()
    status = subprocess.run(
        [*SENTINEL, "campaign", "status", campaign_id, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(runs),
        check=False,
    )
    assert status.returncode == 0 and json.loads(status.stdout)["state"] == "finished"
    _assert_nothing_left(engine, campaign_id)


def _wait(predicate, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("the campaign never reached the kill point")


def _campaign_id(runs: Path) -> str | None:
    if not (runs / "feedback.db").exists():
        return None
    campaigns = _store(runs).list_campaigns()
    return campaigns[0].id if campaigns else None


def _container_up(engine, runs: Path) -> bool:
    from sentinel.sandbox.engine import RUN_LABEL

    campaign_id = _campaign_id(runs)
    if campaign_id is None:
        return False
    for container_id in engine.containers_with_label(RUN_LABEL):
        labels = engine.container_labels(container_id) or {}  # None: it ended meanwhile
        if labels.get("io.sentinel.campaign") == campaign_id and engine.state(container_id).running:
            return True
    return False


def _first_run_recorded(runs: Path) -> bool:
    campaign_id = _campaign_id(runs)
    return campaign_id is not None and len(_store(runs).runs(campaign_id, statuses=("completed",))) >= 1


@pytest.mark.parametrize("kill_point", ["container_up", "run_recorded"])
def test_kill_9_then_resume_finishes_with_nothing_lost_or_doubled(
    kill_point, engine, runtime_image, data_dir, tmp_path
):
    runs = tmp_path / "runs"
    budget = 3
    campaign = subprocess.Popen(
        [*SENTINEL, "campaign", "run", _goal_without_target(tmp_path), "--budget", str(budget), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(runs),
    )
    try:
        if kill_point == "container_up":
            _wait(lambda: _container_up(engine, runs))
        else:
            _wait(lambda: _first_run_recorded(runs))
        os.kill(campaign.pid, signal.SIGKILL)
        campaign.wait(timeout=30)
    finally:
        if campaign.poll() is None:
            campaign.kill()
    campaign_id = _campaign_id(runs)
    assert campaign_id is not None
    resumed = subprocess.run(
        [*SENTINEL, "campaign", "resume", campaign_id, "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
        env=_env(runs),
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    outcome = json.loads(resumed.stdout)
    assert outcome["state"] == "finished" and outcome["runs"] == budget
    store = _store(runs)
    _assert_each_proposal_completed_once(store, campaign_id, budget)
    assert not store.runs(campaign_id, statuses=("running",)), "a run stayed `running` after resume"
    if kill_point == "container_up":
        killed = store.runs(campaign_id, statuses=("killed",))
        assert len(killed) == 1  # the interrupted attempt, requeued and then run again
    _assert_nothing_left(engine, campaign_id)

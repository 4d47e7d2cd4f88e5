"""One contract suite run over every executor `--executor` can name (EXECUTORS): built by
`make_executor`, registered once, `launch` with exactly `launch_run`'s signature (so it drops
into the loop's launcher seam), `close` safe before any use and twice. The local executor also
drives the real campaign loop with `launch_run` faked at the transport seam; the Ray executor's
runs need a live cluster and real containers, so its behaviour (the same numbers as the local
executor for the same configs, a lost node) is checked in tests/integration/test_ray_executor.py."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from sentinel.agent.executors import EXECUTORS, Executor, make_executor
from sentinel.agent.launch import launch_run
from sentinel.agent.store import FeedbackStore

from ._implementations import concrete_subclasses, registered_once

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))  # the loop test support
from _approval_support import ArtifactLauncher, ListBrain, goal, no_engine, runner


def test_every_executor_is_registered_once_under_its_cli_name() -> None:
    built = [make_executor(name) for name in EXECUTORS]
    assert [e.name for e in built] == list(EXECUTORS)
    found = concrete_subclasses(Executor, "sentinel.agent.executors")
    assert registered_once(found, [type(e) for e in built]) == []


@pytest.mark.parametrize("name", EXECUTORS)
def test_launch_has_launch_runs_signature(name: str) -> None:
    executor = make_executor(name)
    mine = list(inspect.signature(executor.launch).parameters.values())
    theirs = list(inspect.signature(launch_run).parameters.values())
    assert [(p.name, p.kind, p.default) for p in mine] == [(p.name, p.kind, p.default) for p in theirs]


@pytest.mark.parametrize("name", EXECUTORS)
def test_close_is_safe_before_use_and_twice(name: str) -> None:
    with make_executor(name) as executor:
        assert isinstance(executor, Executor)
    executor.close()


def test_the_local_executor_drives_the_real_campaign_loop(tmp_path: Path, monkeypatch) -> None:
    import sentinel.agent.launch as launch_mod

    no_engine(monkeypatch)
    transport = ArtifactLauncher()
    monkeypatch.setattr(launch_mod, "launch_run", transport)
    store = FeedbackStore(tmp_path / "f.db")
    with make_executor("local") as executor:
        outcome = runner(store, _auto(), tmp_path / "runs", executor.launch, ListBrain()).start(goal(2), 0)
    assert outcome.state == "finished" and outcome.runs == 2 == len(transport.calls)
    runs = store.runs(outcome.campaign_id)
    assert [r.status for r in runs] == ["completed", "completed"]
    assert all(r.out_dir and Path(r.out_dir).name == r.run_id for r in runs)


def _auto():
    from sentinel.agent.campaign.approval import AutoApproval

    return AutoApproval()

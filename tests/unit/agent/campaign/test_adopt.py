"""Resume adopts an attempt that finished while its host was dead, instead of training again;
the wall budget charges only a live owner's time; a campaign ends with nothing pending.

Real SQLite store, real artifact files read through the hostile reader; the engine is faked at
its seam (no containers, no images) and the launcher counts the trainings it is asked for.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from test_campaign_loop import ArtifactLauncher, EmptyEngine, ListBrain, _goal, _runner

from sentinel.agent.campaign.adopt import adopt_finished, approval_digest
from sentinel.agent.store import FeedbackStore


def _killed_after_training(store: FeedbackStore, tmp_path: Path, stage: str, digest: str | None = None):
    """A campaign whose first run's host died after writing run.json (stage `stage`)."""
    launcher = ArtifactLauncher(crash_on=2)  # trains proposal 1, dies on proposal 2
    runner = _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        runner.start(_goal(2), seed=1)
    campaign = store.list_campaigns()[0].id
    # Turn the recorded first run back into what a kill before the commit leaves: a `running` run
    # of a dead owner whose folder holds the finished attempt and its run.json.
    first = store.runs(campaign)[0]
    attempt = tmp_path / "runs" / campaign / first.run_id
    (attempt / "config.yaml").write_text("experiment: {name: digits}\n")
    record = {
        "run_id": first.run_id,
        "status": "completed",
        "reason": "the run exited with code 0",
        "exit_code": 0,
        "oom_killed": False,
        "timed_out": False,
        "seconds": 12.5,
        "image": "sentinel-run:x",
        "isolation": "runc",
        "stage": stage,
        "approval_digest": digest or approval_digest(store, first.proposal),
        "config_sha256": hashlib.sha256((attempt / "config.yaml").read_bytes()).hexdigest(),
        "trusted": {"values": {"val/acc": 0.9, "test/acc": 0.88}, "mismatch": None},
    }
    (attempt / "run.json").write_text(json.dumps(record))
    conn = store._db.conn
    conn.execute("DELETE FROM run_metrics")
    conn.execute("DELETE FROM monitor_events")
    conn.execute(
        "UPDATE runs SET status = 'running', owner_pid = 0, finished_at = NULL, container_started = NULL"
    )
    conn.execute("UPDATE proposals SET state = 'running' WHERE seq = 1")
    conn.execute("UPDATE proposals SET state = 'cancelled' WHERE seq = 2")  # keep one proposal in play
    conn.execute("DELETE FROM runs WHERE proposal_id IN (SELECT id FROM proposals WHERE seq = 2)")
    conn.execute("UPDATE campaigns SET state = 'failed', owner_pid = NULL")
    return campaign, first.run_id


def test_a_finished_attempt_is_adopted_not_trained_again(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    campaign, run_id = _killed_after_training(store, tmp_path, "final")
    launcher = ArtifactLauncher()
    outcome = _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path).resume(campaign)
    assert outcome.state == "finished"
    assert launcher.calls == []  # nothing trained again
    run = store.get_run(run_id)
    assert run.status == "completed" and "adopted" in run.reason
    assert run.duration_s == pytest.approx(12.5)
    assert dict(run.trusted) == {"val/acc": 0.9, "test/acc": 0.88}


def test_an_attempt_killed_during_evaluation_is_adopted_unranked(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    campaign, run_id = _killed_after_training(store, tmp_path, "trained")
    launcher = ArtifactLauncher()
    _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path).resume(campaign)
    run = store.get_run(run_id)
    assert launcher.calls == []
    assert run.status == "completed" and "not ranked" in run.reason and not run.trusted


def test_an_attempt_that_does_not_match_its_proposal_is_trained_again(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    campaign, run_id = _killed_after_training(store, tmp_path, "final", digest="0" * 64)
    launcher = ArtifactLauncher()
    _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path).resume(campaign)
    assert store.get_run(run_id).status == "killed"
    assert len(launcher.calls) == 1 and launcher.calls[0].run_id.endswith("-a2")


def test_adoption_refuses_a_linked_or_foreign_record(tmp_path):
    attempt = tmp_path / "a"
    attempt.mkdir()
    (tmp_path / "elsewhere.json").write_text(json.dumps({"run_id": "r-1", "status": "completed"}))
    (attempt / "run.json").symlink_to(tmp_path / "elsewhere.json")
    assert adopt_finished(EmptyEngine(), "r-1", attempt, "d") is None
    (attempt / "run.json").unlink()
    (attempt / "run.json").write_text(
        json.dumps({"run_id": "r-2", "status": "completed", "approval_digest": "d"})
    )
    assert adopt_finished(EmptyEngine(), "r-1", attempt, "d") is None


def test_the_wall_budget_charges_only_a_live_owners_time(tmp_path):
    from sentinel.agent.goals import load_goal

    store = FeedbackStore(tmp_path / "f.db")
    store.create_campaign(load_goal("digits:quick"), seed=0, campaign_id="camp", now=1000.0)
    store.heartbeat_campaign("camp", now=1005.0)
    store.heartbeat_campaign("camp", now=1010.0)
    assert store.get_campaign("camp").active_s == pytest.approx(10.0)
    # kill -9 at 1012; the resume comes 600 s later: the dead time is never charged.
    store._db.conn.execute("UPDATE campaigns SET owner_pid = 0")
    store.attach_campaign("camp", now=1612.0)
    store.heartbeat_campaign("camp", now=1617.0)
    assert store.get_campaign("camp").active_s == pytest.approx(15.0)
    store.release_campaign("camp", now=1619.0)
    assert store.get_campaign("camp").active_s == pytest.approx(17.0)


def test_a_finished_campaign_leaves_nothing_pending(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    campaign_id = _runner(store, ListBrain([0.01, 0.02, 0.03]), ArtifactLauncher(), tmp_path).start(
        _goal(1), 1
    )
    states = {p.state for p in store.proposals(campaign_id.campaign_id)}
    assert states <= {"finished", "cancelled", "rejected_by_validator", "rejected_by_reviewer"}
    assert store.get_campaign(campaign_id.campaign_id).owner_pid is None


def test_resume_of_a_finished_campaign_clears_a_dead_owner_and_writes_its_dashboard(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    outcome = _runner(store, ListBrain([0.01]), ArtifactLauncher(), tmp_path).start(_goal(1), 1)
    dashboard = tmp_path / "runs" / outcome.campaign_id / "dashboard.html"
    dashboard.unlink()  # killed right after `finished`: no dashboard, a dead owner
    store._db.conn.execute(
        "UPDATE campaigns SET owner_pid = 0, owner_host = ?",
        (store.get_campaign(outcome.campaign_id).owner_host or __import__("socket").gethostname(),),
    )
    again = _runner(store, ListBrain([0.01]), ArtifactLauncher(), tmp_path).resume(outcome.campaign_id)
    assert again.state == "finished"
    assert dashboard.is_file()
    assert store.get_campaign(outcome.campaign_id).owner_pid is None


@pytest.fixture(autouse=True)
def _fake_engine(monkeypatch):
    import sentinel.sandbox.engine as engine_mod
    import sentinel.sandbox.run as run_mod

    monkeypatch.setattr(run_mod, "reap_orphans", lambda engine: [])
    monkeypatch.setattr(engine_mod, "Engine", EmptyEngine)


def test_an_attempt_adopted_from_its_exit_note_leaves_a_run_json_for_the_next_resume(tmp_path):
    """The exit note and the container go once adopted; a host killed during the evaluation that
    follows must still find the attempt next time (chaos seed 7 trained a proposal twice)."""
    import dataclasses

    from sentinel.agent.campaign.adopt import _persist_trained

    store = FeedbackStore(tmp_path / "f.db")
    campaign, run_id = _killed_after_training(store, tmp_path, "trained")
    run = store.get_run(run_id)
    attempt = tmp_path / "runs" / campaign / run_id
    digest = approval_digest(store, run.proposal)
    before = adopt_finished(EmptyEngine(), run_id, attempt, digest)
    assert before is not None
    (attempt / "run.json").unlink()  # as if it had been adopted from an exit note instead
    assert adopt_finished(EmptyEngine(), run_id, attempt, digest) is None
    _persist_trained(dataclasses.replace(before, source="exit note"), run_id, attempt, digest, None)
    again = adopt_finished(EmptyEngine(), run_id, attempt, digest)
    assert again is not None and again.status == before.status == "completed"
    assert again.trusted is None and again.exit_code == 0  # not evaluated yet: evaluated on resume

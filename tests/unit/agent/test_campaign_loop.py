"""The campaign loop on a real SQLite store with a tiny real brain and a launcher faked only at the
transport seam (it writes real artifact files and reads them back through the hostile reader)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from _approval_support import EmptyEngine
from _support import honest_trusted

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.campaign import AutoApproval, CampaignRunner
from sentinel.agent.campaign.approval import ApprovalHook, CallbackApproval, Decision
from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.goals import load_goal
from sentinel.agent.launch import LaunchOutcome, LaunchRequest
from sentinel.agent.store import FeedbackStore
from sentinel.contract.records import RunResult, TrustedMetrics
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.paths import CONFIGS_DIR


class ListBrain(Brain):
    """Proposes the given learning rates in order, then nothing."""

    name: ClassVar[str] = "listbrain"

    def __init__(self, lrs: list[float | str]) -> None:
        self.lrs = lrs

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        index = len(ctx.store.proposals(ctx.campaign_id))
        if index >= len(self.lrs):
            return None
        return Proposal(tier=1, overrides={"trainer.lr": self.lrs[index]}, rationale=f"lr number {index}")


class ArtifactLauncher:
    """Writes contract-shaped artifacts whose val/acc depends on the LR, like a real run would."""

    def __init__(self, crash_on: int | None = None) -> None:
        self.calls: list[LaunchRequest] = []
        self.crash_on = crash_on

    def __call__(self, resolved: ResolvedConfig, request: LaunchRequest, on_progress=None) -> LaunchOutcome:
        self.calls.append(request)
        if self.crash_on is not None and len(self.calls) == self.crash_on:
            raise KeyboardInterrupt  # the campaign process dies mid-run
        lr = float(dict(o.split("=", 1) for o in request.overrides)["trainer.lr"])
        acc = max(0.1, 1.0 - abs(lr - 0.01) * 10)
        art = request.out_dir / "artifacts"
        art.mkdir(parents=True)
        (art / "metrics.jsonl").write_text(
            json.dumps({"step": 10, "epoch": 0, "split": "val", "loss": 1 - acc, "acc": acc}) + "\n"
        )
        point = {"epoch": 0, "step": 10, "val/loss": 1 - acc, "val/acc": acc}
        (art / "summary.json").write_text(
            json.dumps({"status": "completed", "epochs": 1, "steps": 10, "best": point, "final": point})
        )
        artifacts = read_artifacts(art)
        result = RunResult(
            run_id=request.run_id,
            status="completed",
            reason="the run exited with code 0",
            exit_code=0,
            oom_killed=False,
            timed_out=False,
            isolation="runc",
            image="img",
            seconds=1.0,
            out_dir=request.out_dir,
            log_tail="",
            artifacts=artifacts,
            trusted=TrustedMetrics(values=honest_trusted(artifacts) or {}),
        )
        return LaunchOutcome(request.run_id, result.status, result.reason, request.out_dir, {}, result=result)


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch):
    """The loop reaps orphans through the engine; with a fake launcher there is nothing to reap."""
    import sentinel.sandbox.engine as engine_mod
    import sentinel.sandbox.run as run_mod

    monkeypatch.setattr(run_mod, "reap_orphans", lambda engine: [])
    monkeypatch.setattr(engine_mod, "Engine", EmptyEngine)


def _runner(store, brain, launcher, tmp_path, approval: ApprovalHook | None = None) -> CampaignRunner:
    return CampaignRunner(
        store,
        brain,
        approval or AutoApproval(),
        configs_dir=CONFIGS_DIR,
        runs_dir=tmp_path / "runs",
        launcher=launcher,
    )


def _goal(runs: int = 3, target: float | None = None):
    goal = load_goal("digits:quick").with_budget(runs)
    from dataclasses import replace

    return replace(goal, target=target)


def test_runs_the_budget_and_finishes(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    launcher = ArtifactLauncher()
    outcome = _runner(store, ListBrain([0.001, 0.01, 0.02, 0.03]), launcher, tmp_path).start(_goal(3), seed=1)
    assert outcome.state == "finished"
    assert "budget of 3 runs" in outcome.reason
    assert outcome.runs == 3 and len(launcher.calls) == 3
    assert outcome.best_value == pytest.approx(1.0)
    assert store.get_campaign(outcome.campaign_id).state == "finished"
    assert [r.status for r in store.history(outcome.campaign_id)] == ["completed"] * 3


def test_target_finishes_early(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    launcher = ArtifactLauncher()
    outcome = _runner(store, ListBrain([0.01, 0.02, 0.03]), launcher, tmp_path).start(_goal(3, 0.99), seed=1)
    assert outcome.state == "finished" and "target" in outcome.reason
    assert len(launcher.calls) == 1


def test_bad_proposal_is_rejected_by_validation_and_costs_no_run(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    launcher = ArtifactLauncher()
    outcome = _runner(store, ListBrain([0.01, "fast", 0.02]), launcher, tmp_path).start(_goal(2), seed=1)
    states = [p.state for p in store.proposals(outcome.campaign_id)]
    assert states == ["finished", "rejected_by_validator", "finished"]
    assert len(launcher.calls) == 2


def test_reviewer_rejection_is_recorded(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    policy = CallbackApproval(lambda p: p.overrides["trainer.lr"] < 0.015, name="lr-policy")
    outcome = _runner(store, ListBrain([0.01, 0.02, 0.005]), ArtifactLauncher(), tmp_path, policy).start(
        _goal(2), seed=1
    )
    proposals = store.proposals(outcome.campaign_id)
    assert [p.state for p in proposals] == ["finished", "rejected_by_reviewer", "finished"]
    assert store.approvals(proposals[1].id)[0].reviewer == "lr-policy"


class PauseOnce(ApprovalHook):
    name = "pause-once"

    def __init__(self) -> None:
        self.asked = 0

    def decide(self, proposal, checked):
        self.asked += 1
        return None if self.asked == 2 else Decision("approved", "tester")


def test_pending_review_pauses_and_resume_continues(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    launcher = ArtifactLauncher()
    hook = PauseOnce()
    first = _runner(store, ListBrain([0.01, 0.02, 0.03]), launcher, tmp_path, hook).start(_goal(3), seed=1)
    assert first.state == "paused" and first.runs == 1
    assert store.get_campaign(first.campaign_id).state == "paused"
    second = _runner(store, ListBrain([0.01, 0.02, 0.03]), launcher, tmp_path, hook).resume(first.campaign_id)
    assert second.state == "finished" and second.runs == 3
    assert len(launcher.calls) == 3


def test_crash_mid_run_then_resume_runs_nothing_twice(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    crashing = ArtifactLauncher(crash_on=2)
    brain = ListBrain([0.001, 0.01, 0.02, 0.03])
    with pytest.raises(KeyboardInterrupt):
        _runner(store, brain, crashing, tmp_path).start(_goal(3), seed=1)
    campaign = store.list_campaigns()[0]
    assert campaign.state == "failed"
    running = store.runs(campaign.id, statuses=("running",))
    assert len(running) == 1  # the interrupted run; its owner (this process) is still alive, so do
    store.requeue_run(running[0].run_id)  # what recovery does for a dead owner (tested in test_store_crash)
    launcher = ArtifactLauncher()
    outcome = _runner(store, brain, launcher, tmp_path).resume(campaign.id)
    assert outcome.state == "finished"
    completed = store.runs(campaign.id, statuses=("completed",))
    proposal_ids = [r.proposal.id for r in completed]
    assert len(proposal_ids) == len(set(proposal_ids))  # no proposal completed twice
    assert len(crashing.calls) + len(launcher.calls) == 4  # 1 done, 1 interrupted, its retry, 1 more


def test_finished_campaign_resumes_to_its_result(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    launcher = ArtifactLauncher()
    first = _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path).start(_goal(2), seed=1)
    again = _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path).resume(first.campaign_id)
    assert again.state == "finished" and len(launcher.calls) == 2
    assert Path(again.folder).name == first.campaign_id

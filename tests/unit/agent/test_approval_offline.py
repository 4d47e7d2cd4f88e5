"""The offline hook in the real campaign loop (real store, real bundles, launcher faked at the seam):
pause with a bundle, decide on disk, resume, run; and every way a bundle can stop matching."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest
from _approval_support import (
    ArtifactLauncher,
    ListBrain,
    configs_with_generated_model,
    generated_model_source,
    goal,
    no_engine,
    runner,
)

from sentinel.agent.brains._base import CampaignContext, Proposal
from sentinel.agent.campaign.approval import HUMAN_BRAIN, OfflineApproval
from sentinel.agent.review import build_bundle, folder_digest, inspect, read_seal, record_decision
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


class Env:
    """One campaign's world: store, reviews folder, runs folder, launcher and configs."""

    def __init__(self, tmp_path: Path, configs: Path = CONFIGS_DIR, brain: ListBrain | None = None) -> None:
        self.store = FeedbackStore(tmp_path / "f.db")
        self.reviews, self.runs, self.configs = tmp_path / "reviews", tmp_path / "runs", configs
        self.launcher = ArtifactLauncher()
        self.brain = brain or ListBrain()

    def hook(self) -> OfflineApproval:
        return OfflineApproval(self.store, self.configs, self.reviews, self.runs)

    def start(self, runs: int = 2, max_tier: int = 1):
        r = runner(self.store, self.hook(), self.runs, self.launcher, self.brain, self.configs)
        return r.start(replace(goal(runs), max_tier=max_tier), seed=0)

    def resume(self, campaign_id: str):
        return runner(self.store, self.hook(), self.runs, self.launcher, self.brain, self.configs).resume(
            campaign_id
        )

    def folder(self, campaign_id: str, seq: int) -> Path:
        proposal = self.store.proposals(campaign_id)[seq - 1]
        return self.reviews / campaign_id / str(proposal.id)


def test_pause_writes_a_bundle_and_says_how_to_review(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start()
    assert out.state == "paused" and env.store.get_campaign(out.campaign_id).state == "paused"
    assert env.store.get_campaign(out.campaign_id).approval == "offline"
    proposal = env.store.proposals(out.campaign_id)[0]
    folder = env.folder(out.campaign_id, 1)
    assert proposal.state == "validated" and not env.launcher.calls
    assert sorted(p.name for p in folder.iterdir()) == ["bundle.sha256", "config.diff", "proposal.yaml"]
    assert read_seal(folder) == folder_digest(folder) == build_bundle(proposal, CONFIGS_DIR).sha256
    for part in (
        f"sentinel review show {proposal.id}",
        "review approve",
        f"campaign resume {out.campaign_id}",
    ):
        assert part in out.reason


def test_resume_without_a_decision_pauses_again_and_keeps_the_bundle(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start()
    seal = env.folder(out.campaign_id, 1) / "bundle.sha256"
    inode = seal.stat().st_ino
    again = env.resume(out.campaign_id)
    assert again.state == "paused" and seal.stat().st_ino == inode  # not rewritten under the reviewer
    assert not env.launcher.calls


def test_approve_then_resume_runs_with_the_bundle_digest(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=2)
    made, _ = record_decision(env.folder(out.campaign_id, 1), "approved", "alice")
    second = env.resume(out.campaign_id)
    assert second.state == "paused" and second.runs == 1  # ran the approved one, paused on the next
    first = env.store.proposals(out.campaign_id)[0]
    [approval] = env.store.approvals(first.id)
    assert (approval.decision, approval.reviewer, approval.bundle_sha256) == (
        "approved",
        "alice",
        made.bundle_sha256,
    )
    assert env.launcher.calls[0].approval_digest == made.bundle_sha256  # becomes the image label
    record_decision(env.folder(out.campaign_id, 2), "approved", "bob")
    done = env.resume(out.campaign_id)
    assert done.state == "finished" and done.runs == 2 and len(env.launcher.calls) == 2
    assert [r.status for r in env.store.history(out.campaign_id)] == ["completed", "completed"]


def test_reject_is_recorded_and_the_brain_moves_on(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    record_decision(env.folder(out.campaign_id, 1), "rejected", "bob")
    again = env.resume(out.campaign_id)
    assert again.state == "paused" and not env.launcher.calls
    first, second = env.store.proposals(out.campaign_id)
    assert first.state == "rejected_by_reviewer" and env.store.approvals(first.id)[0].reviewer == "bob"
    assert second.state == "validated" and env.folder(out.campaign_id, 2).is_dir()


def test_bundle_changed_after_approval_is_refused_and_never_launched(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    folder = env.folder(out.campaign_id, 1)
    made, _ = record_decision(folder, "approved", "alice")
    with (folder / "config.diff").open("a") as handle:
        handle.write("+  epochs: 999\n")
    again = env.resume(out.campaign_id)
    assert not env.launcher.calls
    [run] = env.store.history(out.campaign_id)
    assert run.status == "rejected_by_reviewer"
    assert run.reason.startswith("the review bundle changed after alice approved it")
    assert made.bundle_sha256[:12] in run.reason
    assert env.store.approvals(run.proposal.id)[0].bundle_sha256 == made.bundle_sha256  # what alice approved
    assert again.state == "finished"  # the refused proposal used the budget of one


def test_a_bundle_removed_after_approval_is_refused(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    folder = env.folder(out.campaign_id, 1)
    record_decision(folder, "approved", "alice")
    (folder / "proposal.yaml").unlink()
    env.resume(out.campaign_id)
    [run] = env.store.history(out.campaign_id)
    assert run.status == "rejected_by_reviewer" and "changed after alice approved it" in run.reason
    assert not env.launcher.calls


def test_an_approved_bundle_edited_before_the_approval_is_refused(tmp_path: Path) -> None:
    """Someone edits the bundle, fixes the seal, and the reviewer approves the edited files: the
    files still are not what would run, which the rebuild right before the run sees."""
    env = Env(tmp_path)
    out = env.start(runs=1)
    folder = env.folder(out.campaign_id, 1)
    (folder / "config.diff").write_text("# nothing to see\n")
    (folder / "bundle.sha256").write_text(folder_digest(folder) + "\n")
    record_decision(folder, "approved", "alice")
    env.resume(out.campaign_id)
    [run] = env.store.history(out.campaign_id)
    assert run.status == "rejected_by_reviewer"
    assert "differs from the bundle alice approved" in run.reason and not env.launcher.calls


class ModelBrain(ListBrain):
    """Proposes the generated model once (tier 3)."""

    name: ClassVar[str] = "modelbrain"

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        if ctx.store.proposals(ctx.campaign_id):
            return None
        return Proposal(
            tier=3, overrides={"model": "wide_mlp"}, rationale="a wider MLP", model_ref="wide_mlp"
        )


def test_generated_code_changed_after_approval_is_refused(tmp_path: Path) -> None:
    env = Env(tmp_path, CONFIGS_DIR, ModelBrain())
    campaign = env.store.create_campaign(replace(goal(1), max_tier=3), seed=0, approval="offline")
    # a campaign's generated models live in its own folder under the runs folder
    generated = configs_with_generated_model(env.runs / campaign.id, copy_configs=False)
    env.store.record_escalation(campaign.id, 3, "all known models tried", {}, from_tier=1)
    env.store.set_campaign_state(campaign.id, "paused", "set up by the test")
    out = env.resume(campaign.id)
    folder = env.folder(out.campaign_id, 1)
    assert (
        out.state == "paused" and (folder / "model.diff").is_file() and (folder / "validator.json").is_file()
    )
    record_decision(folder, "approved", "alice")
    (generated / "generated" / "models" / "wide_mlp.py").write_text(generated_model_source(hidden=4096))
    env.resume(out.campaign_id)
    [run] = env.store.history(out.campaign_id)
    assert run.status == "rejected_by_reviewer" and "model code that would run differs" in run.reason
    assert not env.launcher.calls


def test_modify_makes_a_human_proposal_with_its_own_bundle(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    record_decision(env.folder(out.campaign_id, 1), "modified", "carol", overrides={"trainer.lr": 0.004})
    paused = env.resume(out.campaign_id)
    original, replacement = env.store.proposals(out.campaign_id)
    assert (
        original.state == "rejected_by_reviewer" and env.store.approvals(original.id)[0].reviewer == "carol"
    )
    assert (replacement.brain, replacement.parent_id, dict(replacement.overrides)) == (
        HUMAN_BRAIN,
        original.id,
        {"trainer.lr": 0.004},
    )
    assert paused.state == "paused" and f"review show {replacement.id}" in paused.reason
    assert not env.launcher.calls  # the changed proposal is reviewed before it runs
    record_decision(env.folder(out.campaign_id, 2), "approved", "carol")
    done = env.resume(out.campaign_id)
    assert done.state == "finished" and env.launcher.calls[0].overrides == ("trainer.lr=0.004",)


def test_an_unreadable_decision_pauses_with_a_reason(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    (env.folder(out.campaign_id, 1) / "decision.json").write_text("{not json")
    again = env.resume(out.campaign_id)
    assert again.state == "paused" and "unreadable decision" in again.reason
    assert not env.launcher.calls


def test_a_bundle_edited_before_any_decision_is_rewritten(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    folder = env.folder(out.campaign_id, 1)
    sealed = read_seal(folder)
    (folder / "config.diff").write_text("edited\n")
    (folder / "extra.txt").write_text("planted\n")
    assert not inspect(folder).intact
    env.resume(out.campaign_id)
    assert inspect(folder).intact and read_seal(folder) == sealed and not (folder / "extra.txt").exists()


def test_before_run_refuses_an_approval_without_a_bundle(tmp_path: Path) -> None:
    env = Env(tmp_path)
    out = env.start(runs=1)
    proposal = env.store.proposals(out.campaign_id)[0]
    env.store.record_approval(proposal.id, "approved", "someone")  # not through the offline hook
    assert "names no review bundle" in (
        env.hook().before_run(proposal, env.store.approvals(proposal.id), None) or ""
    )
    assert "no approval" in (env.hook().before_run(proposal, [], None) or "")

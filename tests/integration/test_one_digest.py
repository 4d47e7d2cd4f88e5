"""One config digest end to end: the digest a proposal was validated and approved with is the
one on its run's image label and in run.json (issue: two different "config sha256" existed)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from sentinel.agent.campaign import AutoApproval, CampaignRunner
from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.launch import LaunchRequest, launch_run
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "agent"))
from _approval_support import ListBrain, goal

pytestmark = pytest.mark.docker


def test_store_approval_image_label_and_run_json_share_one_digest(engine, runtime_image, data_dir, tmp_path):
    labels: dict[str, dict[str, str]] = {}

    def keep_and_read_labels(resolved: ResolvedConfig, request: LaunchRequest, on_progress=None):
        outcome = launch_run(
            resolved, dataclasses.replace(request, keep_image=True, trusted_evaluation=False), on_progress
        )
        tag = f"sentinel-run:{request.run_id}"
        labels[str(request.run_id)] = engine.image_labels(tag)
        engine.remove_image(tag)
        return outcome

    store = FeedbackStore(tmp_path / "feedback.db")
    runner = CampaignRunner(
        store, ListBrain((0.01,)), AutoApproval(), configs_dir=CONFIGS_DIR, runs_dir=tmp_path / "runs",
        launcher=keep_and_read_labels,
    )  # fmt: skip
    outcome = runner.start(goal(1), seed=3)
    [run] = store.runs(outcome.campaign_id)
    proposal = run.proposal
    record = json.loads((Path(run.out_dir) / "run.json").read_text())
    label = labels[run.run_id]
    assert proposal.config_sha256 and len(proposal.config_sha256) == 64
    assert label["io.sentinel.config_sha256"] == record["config_sha256"] == proposal.config_sha256
    assert label["io.sentinel.approval_digest"] == record["approval_digest"] != ""


class WideModelBrain(ListBrain):
    """One tier-3 proposal: the campaign's generated model, one short epoch."""

    name = "widebrain"

    def propose(self, ctx):
        from sentinel.agent.brains._base import Proposal

        if ctx.store.proposals(ctx.campaign_id):
            return None
        overrides = {"model": "wide_mlp", "trainer.epochs": 1}
        return Proposal(tier=3, overrides=overrides, rationale="a wider MLP", model_ref="wide_mlp")


def test_an_offline_approved_generated_model_carries_one_digest_from_bundle_to_image(
    engine, runtime_image, data_dir, tmp_path
):
    """The digest a proposal was validated with is in its review bundle and its store row; the
    approval's digest is the bundle's; both label the image that ran and are in run.json; and
    the config digest is the one of the files the image baked (config.yaml + the model file)."""
    from dataclasses import replace

    from _approval_support import configs_with_generated_model, generated_model_source, goal

    from sentinel.agent.campaign.approval import OfflineApproval
    from sentinel.agent.configs.compose import config_digest
    from sentinel.agent.review import folder_digest, read_files, record_decision
    from sentinel.contract.config import load_yaml

    labels: dict[str, dict[str, str]] = {}

    def keep_and_read_labels(resolved: ResolvedConfig, request: LaunchRequest, on_progress=None):
        outcome = launch_run(
            resolved, dataclasses.replace(request, keep_image=True, trusted_evaluation=False), on_progress
        )
        tag = f"sentinel-run:{request.run_id}"
        labels[str(request.run_id)] = engine.image_labels(tag)
        engine.remove_image(tag)
        return outcome

    store = FeedbackStore(tmp_path / "feedback.db")
    runs, reviews = tmp_path / "runs", tmp_path / "reviews"
    campaign = store.create_campaign(replace(goal(1), max_tier=3), seed=0, approval="offline")
    configs_with_generated_model(runs / campaign.id, copy_configs=False)  # the campaign's own model
    store.record_escalation(campaign.id, 3, "all known models tried", {}, from_tier=1)
    store.set_campaign_state(campaign.id, "paused", "set up by the test")

    def resume():
        hook = OfflineApproval(store, CONFIGS_DIR, reviews, runs)
        return CampaignRunner(
            store,
            WideModelBrain(),
            hook,
            configs_dir=CONFIGS_DIR,
            runs_dir=runs,
            launcher=keep_and_read_labels,
        ).resume(campaign.id)

    assert resume().state == "paused"  # validated, bundle written, waiting for a person
    [proposal] = store.proposals(campaign.id)
    folder = reviews / campaign.id / str(proposal.id)
    in_bundle = load_yaml(read_files(folder)["proposal.yaml"].decode())["config_sha256"]
    record_decision(folder, "approved", "alice")
    assert resume().state == "finished"  # a new process: checks again, must find the same digest

    [run] = store.runs(campaign.id)
    [approval] = store.approvals(proposal.id)
    label = labels[run.run_id]
    record = json.loads((Path(run.out_dir) / "run.json").read_text())
    baked = config_digest(
        (Path(run.out_dir) / "config.yaml").read_text(), {"wide_mlp.py": generated_model_source().encode()}
    )
    row = store.get_proposal(proposal.id).config_sha256
    assert run.status in {"completed", "diverged"}, run.reason
    assert len(row) == 64
    assert label["io.sentinel.config_sha256"] == record["config_sha256"] == row == in_bundle == baked
    assert approval.bundle_sha256 == folder_digest(folder)
    assert label["io.sentinel.approval_digest"] == record["approval_digest"] == approval.bundle_sha256

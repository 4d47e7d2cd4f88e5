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

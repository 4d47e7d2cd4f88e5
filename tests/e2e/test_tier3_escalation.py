"""Tier-3 escalation ending in a generated model trained in a real container.

Tiers 1 and 2 are played on a flat synthetic objective (the launcher is faked at the transport
seam for those runs only, so the campaign stagnates in minutes, not hours); the first tier-3
proposal, a libcst-built architecture that passed the validator, goes through the real
launcher: per-run image with /job/generated, hardened container, artifacts read back.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
from pathlib import Path

import pytest

from sentinel.agent.brains.strategist import StrategistBrain
from sentinel.agent.campaign import AutoApproval, CampaignRunner
from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.goals import load_goal
from sentinel.agent.launch import LaunchOutcome, LaunchRequest, launch_run, resolve_request
from sentinel.agent.store import FeedbackStore
from sentinel.contract.records import RunResult
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.paths import CONFIGS_DIR

pytestmark = pytest.mark.docker

FLAT_MAE = {"mlp": 9.0, "cnn1d": 6.0, "resnet1d": 5.5}


class StopAtTier3(Exception):
    pass


class HybridLauncher:
    """Synthetic artifacts for tier 1-2 proposals; the real sandbox for the first tier-3 one."""

    def __init__(self, store: FeedbackStore, configs: Path) -> None:
        self.store, self.configs = store, configs
        self.real: LaunchOutcome | None = None

    def __call__(self, resolved: ResolvedConfig, request: LaunchRequest, on_progress=None) -> LaunchOutcome:
        proposal = self.store.get_run(request.run_id).proposal
        if proposal.tier == 3:
            if self.real is not None:
                raise StopAtTier3
            real = LaunchRequest(
                **{**_fields(request), "overrides": (*request.overrides, "trainer.epochs=1")}
            )
            self.real = launch_run(resolve_request(real), real, on_progress=on_progress)
            return self.real
        overrides = dict(o.split("=", 1) for o in request.overrides)
        lr = float(overrides.get("trainer.lr", 3e-3))
        value = FLAT_MAE.get(overrides.get("model", "cnn1d"), 5.8) + 0.01 * abs(math.log10(lr) + 2.7)
        art = request.out_dir / "artifacts"
        art.mkdir(parents=True)
        (art / "metrics.jsonl").write_text(
            json.dumps({"step": 10, "epoch": 0, "split": "val", "loss": value, "mae": value}) + "\n"
        )
        point = {"epoch": 0, "step": 10, "val/loss": value, "val/mae": value}
        (art / "summary.json").write_text(
            json.dumps({"status": "completed", "epochs": 1, "steps": 10, "best": point, "final": point})
        )
        arts = read_artifacts(art)
        result = RunResult(request.run_id, "completed", "synthetic", 0, False, False, "runc", "synthetic",
                           1.0, request.out_dir, "", arts)  # fmt: skip
        return LaunchOutcome(request.run_id, "completed", "synthetic", request.out_dir, {}, result=result)


def _fields(request: LaunchRequest) -> dict:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


def test_escalation_to_a_generated_model_trained_in_a_container(
    engine, runtime_image, data_dir, tmp_path, monkeypatch
):
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS_DIR, configs, ignore=shutil.ignore_patterns("generated"))
    monkeypatch.setattr("sentinel.agent.launch.CONFIGS_DIR", configs)  # the sandbox composes from here too
    store = FeedbackStore(tmp_path / "feedback.db")
    goal = load_goal("ppg:hr_optimize")
    launcher = HybridLauncher(store, configs)
    runner = CampaignRunner(
        store,
        StrategistBrain(),
        AutoApproval(),
        configs_dir=configs,
        runs_dir=tmp_path / "runs",
        launcher=launcher,
    )
    # The 12-run budget may end right after the real run, or the campaign goes on to a second
    # tier-3 proposal, which this test does not need.
    with contextlib.suppress(StopAtTier3):
        runner.start(goal, seed=7)
    assert launcher.real is not None, "the campaign never reached tier 3"
    campaign = store.list_campaigns()[0]
    assert campaign.tier == 3
    assert [e.to_tier for e in store.escalations(campaign.id)][-1] == 3
    generated = [p for p in store.proposals(campaign.id) if p.tier == 3 and p.model_ref]
    assert generated, "no tier-3 proposal with a generated model"
    outcome = launcher.real
    assert outcome.status == "completed", (outcome.reason, outcome.result.log_tail[-2000:])
    assert outcome.config["model"]["_target_"].startswith(f"generated.{generated[0].model_ref}.")
    record = json.loads((outcome.out_dir / "run.json").read_text())
    assert record["code_sha256"]  # the generated file went into the per-run image
    summary = outcome.result.artifacts.summary
    assert summary is not None and math.isfinite(summary.best.values["val/mae"])

"""The strategist inside the real campaign loop (CampaignRunner, FeedbackStore, drift), with the
launcher faked only at the transport seam: it writes contract-shaped artifacts from a synthetic
objective and the hostile reader reads them back. A flat objective stagnates, so the campaign
climbs the tiers; a crash at any point and a resume give the same campaign as no crash."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from _support import honest_trusted

from sentinel.agent.brains import _search as search
from sentinel.agent.brains._base import CampaignContext, Proposal
from sentinel.agent.brains.strategist import StrategistBrain
from sentinel.agent.campaign import AutoApproval, CampaignRunner
from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.goals import load_goal
from sentinel.agent.launch import LaunchOutcome, LaunchRequest
from sentinel.agent.store import FeedbackStore
from sentinel.contract.records import RunResult, TrustedMetrics
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.paths import CONFIGS_DIR
from sentinel.validator import validate_path

CID = "hr-campaign"
BASE_MAE = {"mlp": 9.0, "cnn1d": 6.0, "resnet1d": 5.5}


def objective(overrides: dict[str, str]) -> float | None:
    """Nearly flat in the learning rate (so drift sees stagnation); None (diverged) above 0.05."""
    lr = float(overrides.get("trainer.lr", 3e-3))
    if lr > 0.05:
        return None
    model = overrides.get("model", "cnn1d")
    base = BASE_MAE.get(model, 5.2 if model.startswith("arch_") else 5.8)
    return base + 0.01 * abs(math.log10(lr) - math.log10(2e-3))


class Launcher:
    def __init__(self, crash_on: int | None = None) -> None:
        self.calls: list[LaunchRequest] = []
        self.crash_on = crash_on

    def __call__(self, resolved: ResolvedConfig, request: LaunchRequest, on_progress=None) -> LaunchOutcome:
        self.calls.append(request)
        if self.crash_on is not None and len(self.calls) == self.crash_on:
            raise KeyboardInterrupt  # the campaign process dies mid-run
        value = objective(dict(o.split("=", 1) for o in request.overrides))
        art = request.out_dir / "artifacts"
        art.mkdir(parents=True)
        if value is None:
            summary = {"status": "diverged", "epochs": 1, "steps": 5, "best": None, "final": None}
            status = "diverged"
        else:
            line = {"step": 10, "epoch": 0, "split": "val", "loss": value, "mae": value}
            (art / "metrics.jsonl").write_text(json.dumps(line) + "\n")
            point = {"epoch": 0, "step": 10, "val/loss": value, "val/mae": value}
            summary = {"status": "completed", "epochs": 1, "steps": 10, "best": point, "final": point}
            status = "completed"
        (art / "summary.json").write_text(json.dumps(summary))
        arts = read_artifacts(art)
        trusted = TrustedMetrics(values=honest_trusted(arts) or {})
        result = RunResult(request.run_id, status, "host observed", 0, False, False, "runc", "img", 1.0,
                           request.out_dir, "", arts, trusted)  # fmt: skip
        return LaunchOutcome(request.run_id, status, "host observed", request.out_dir, {}, result=result)


class CrashAfterPropose(StrategistBrain):
    """Dies once, right after the brain wrote a tier-2/3 file but before the loop stored the
    proposal; keeps what it was about to return and the context it was asked in."""

    name: ClassVar[str] = "strategist"

    def __init__(self) -> None:
        super().__init__()
        self.lost: tuple[CampaignContext, Proposal] | None = None

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        proposal = super().propose(ctx)
        if proposal is not None and proposal.tier >= 2 and self.lost is None:
            self.lost = (ctx, proposal)
            raise KeyboardInterrupt
        return proposal


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop reaps orphans through the engine; with a fake launcher there is nothing to reap."""
    import sentinel.sandbox.engine as engine_mod
    import sentinel.sandbox.run as run_mod

    monkeypatch.setattr(run_mod, "reap_orphans", lambda engine: [])
    monkeypatch.setattr(engine_mod, "Engine", lambda *a, **k: None)


def _campaign(root: Path) -> tuple[FeedbackStore, Path]:
    configs = root / "configs"
    shutil.copytree(CONFIGS_DIR, configs, ignore=shutil.ignore_patterns("generated"))
    store = FeedbackStore(root / "feedback.db")
    store.create_campaign(load_goal("ppg:hr_optimize"), seed=7, campaign_id=CID)
    return store, configs


def _runner(
    store: FeedbackStore, configs: Path, root: Path, launcher: Launcher, brain=None
) -> CampaignRunner:
    return CampaignRunner(
        store,
        brain or StrategistBrain(),
        AutoApproval(),
        configs_dir=configs,
        runs_dir=root / "runs",
        launcher=launcher,
    )


def _proposals(store: FeedbackStore) -> list[tuple[int, dict, str | None, int | None]]:
    return [(p.tier, dict(p.overrides), p.model_ref, p.parent_id) for p in store.proposals(CID)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[FeedbackStore, Path]:
    root = tmp_path_factory.mktemp("clean")
    store, configs = _campaign(root)
    outcome = _runner(store, configs, root, Launcher()).resume(CID)
    assert outcome.state == "finished" and outcome.runs == 12
    return store, configs


def test_a_stagnating_campaign_climbs_to_a_generated_architecture(uninterrupted) -> None:
    store, configs = uninterrupted
    proposals = store.proposals(CID)
    tiers = [p.tier for p in proposals]
    assert tiers[0] == 1 and 2 in tiers and 3 in tiers
    escalated = {e.to_tier: e.created_at for e in store.escalations(CID)}
    assert sorted(escalated) == [2, 3]
    for p in proposals:  # never above the campaign's tier when it was proposed
        assert p.rationale and (p.tier == 1 or escalated[p.tier] <= p.created_at)
    first_arch = next(p for p in proposals if p.tier == 3)
    assert first_arch.model_ref and first_arch.overrides["model"] == first_arch.model_ref
    own = configs.parent / "runs" / CID / "generated"  # agent output lives with the campaign's runs
    assert validate_path(own / "models" / f"{first_arch.model_ref}.py").accepted
    assert not (configs / "generated").exists()  # configs/ holds only what the project ships
    variant = next(p for p in proposals if p.tier == 2)
    assert variant.parent_id is not None and variant.lineage == store.get_proposal(variant.parent_id).lineage
    best = store.best_runs("val/mae", "min", campaign_id=CID, k=1)[0]
    assert best.proposal.overrides["model"].startswith("arch_")  # the objective favours the generated model


def test_crash_mid_run_then_resume_gives_the_same_campaign(tmp_path: Path, uninterrupted) -> None:
    store, configs = _campaign(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _runner(store, configs, tmp_path, Launcher(crash_on=6)).resume(CID)
    (running,) = store.runs(CID, statuses=("running",))
    store.requeue_run(running.run_id)  # what recovery does once the dead owner is detected
    outcome = _runner(store, configs, tmp_path, Launcher()).resume(CID)
    assert outcome.state == "finished"
    assert _proposals(store) == _proposals(uninterrupted[0])


def test_crash_between_writing_a_file_and_storing_the_proposal(tmp_path: Path) -> None:
    store, configs = _campaign(tmp_path)
    brain = CrashAfterPropose()
    with pytest.raises(KeyboardInterrupt):
        _runner(store, configs, tmp_path, Launcher(), brain).resume(CID)
    assert brain.lost is not None
    ctx, lost = brain.lost
    own = tmp_path / "runs" / CID / "generated"
    files = {p: p.read_bytes() for p in own.rglob("*.*")}
    assert files and all(p.tier == 1 for p in store.proposals(CID))  # on disk, but not in the store
    assert StrategistBrain().propose(ctx) == lost  # asked again in the same state: the same move
    assert {p: p.read_bytes() for p in own.rglob("*.*")} == files  # rewritten identically


def test_crash_after_an_escalation_resumes_to_the_same_campaign(tmp_path: Path, uninterrupted) -> None:
    """The loop records an escalation before it stores the proposal; resume must not escalate again."""
    store, configs = _campaign(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _runner(store, configs, tmp_path, Launcher(), CrashAfterPropose()).resume(CID)
    outcome = _runner(store, configs, tmp_path, Launcher()).resume(CID)
    assert outcome.state == "finished"
    assert _proposals(store) == _proposals(uninterrupted[0])


def test_seed_for_is_stable_and_spread() -> None:
    assert search.seed_for(0, 5) == search.seed_for(0, 5) != search.seed_for(0, 6)
    assert 0 <= search.seed_for(2**62, 10**6) < 2**32
    assert len({search.seed_for(s, n) for s in range(10) for n in range(10)}) == 100
    assert math.isfinite(float(search.seed_for("x")))

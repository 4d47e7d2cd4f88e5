"""StrategistBrain on real FeedbackStores in tmp_path and a copy of configs/: baseline, determinism,
resume from the store, honest feedback to Optuna, tier gating, tier-2 variants, tier-3
architectures, exhaustion and change_lr. No Docker: runs are recorded straight into the store."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import MappingProxyType

import pytest
from _support import honest_trusted
from optuna.trial import TrialState

from sentinel.agent.brains import _search as search
from sentinel.agent.brains._base import CampaignContext, Proposal
from sentinel.agent.brains._escalation import architecture_name
from sentinel.agent.brains.strategist import StrategistBrain
from sentinel.agent.configs import compose
from sentinel.agent.drift import Finding, Recommendation
from sentinel.agent.goals import CampaignGoal, load_goal, parse_goal
from sentinel.agent.store import FeedbackStore, ProposalRecord
from sentinel.contract.records import MetricRecord, MonitorEvent, RunArtifacts, RunSummary, SummaryPoint
from sentinel.sandbox.paths import CONFIGS_DIR
from sentinel.validator import validate_path

CID = "camp-1"


def artifacts(metric: str, value: float, events: int = 0, status: str = "completed") -> RunArtifacts:
    point = SummaryPoint(0, 3, MappingProxyType({metric: value}))
    event = MonitorEvent(
        2, "divergence", "lr_cut", MappingProxyType({"ratio": 3.0}), MappingProxyType({"factor": 0.3})
    )
    return RunArtifacts(
        metrics=(MetricRecord(1, 0, "train", 0.9, grad_norm=2.0, lr=0.003),),
        summary=RunSummary(status, 1, 3, best=point, final=point, reason=status),
        events=(event,) * events,
    )


def record(
    store: FeedbackStore, overrides: dict, status: str = "completed", value: float | None = None, **kw: object
) -> ProposalRecord:
    """One proposal walked to a finished run with `status` (the host's) and a stored summary.
    `kw`: metric (default val/mae), events (monitor events), and tier/parent_id/model_ref."""
    metric, events = str(kw.pop("metric", "val/mae")), int(kw.pop("events", 0))  # type: ignore[call-overload]
    p = store.add_proposal(CID, brain="strategist", overrides=overrides, rationale="t", **{"tier": 1, **kw})  # type: ignore[arg-type]
    if status == "rejected_by_validator":
        store.record_validation(p.id, False, reason="rejected in a test")
        return p
    store.record_validation(p.id, True, config_sha256="ab" * 32)
    store.record_approval(p.id, "approved", "auto")
    claim = store.claim_next(CID)
    assert claim is not None
    summary_status = "diverged" if status == "diverged" else "completed"
    arts = artifacts(metric, value, events, summary_status) if value else None
    store.record_run(claim.run.run_id, status, artifacts=arts, trusted=honest_trusted(arts))
    return p
    store.record_validation(p.id, True, config_sha256="ab" * 32)
    store.record_approval(p.id, "approved", "auto")
    claim = store.claim_next(CID)
    assert claim is not None
    arts = (
        artifacts(metric, value, events, "diverged" if status == "diverged" else "completed")
        if value
        else None
    )
    store.record_run(claim.run.run_id, status, artifacts=arts, trusted=honest_trusted(arts))
    return p


def rec(action: str, *kinds: str, to_tier: int | None = None, lineage: str | None = None) -> Recommendation:
    findings = tuple(Finding(k, f"{k} seen in a test", {}) for k in kinds)
    return Recommendation(action, f"{action} in a test", MappingProxyType({}), findings, lineage, to_tier)


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    root = tmp_path / "configs"
    shutil.copytree(CONFIGS_DIR, root, ignore=shutil.ignore_patterns("generated"))
    return root


def open_campaign(
    tmp_path: Path, goal: CampaignGoal, tier: int = 1, name: str = "feedback.db"
) -> FeedbackStore:
    store = FeedbackStore(tmp_path / name)
    store.create_campaign(goal, seed=0, campaign_id=CID)
    for to in range(2, tier + 1):
        store.record_escalation(CID, to, "raised in a test", {})
    return store


def context(
    store: FeedbackStore,
    goal: CampaignGoal,
    configs: Path,
    seed: int = 0,
    tier: int = 1,
    r: Recommendation | None = None,
) -> CampaignContext:
    return CampaignContext(CID, goal, store, configs, seed, tier, r)


def generated(configs: Path) -> list[str]:
    folder = configs / "generated"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.*")) if folder.exists() else []


def digits_goal(name: str, space: dict, max_tier: int = 1) -> CampaignGoal:
    return parse_goal(
        {
            "name": name,
            "experiment": "digits",
            "metric": {"name": "val/acc", "mode": "max"},
            "budget": {"runs": 40, "wall_minutes": 60},
            "search_space": space,
            "max_tier": max_tier,
        }
    )


@pytest.fixture
def ppg() -> CampaignGoal:
    return load_goal("ppg:hr_optimize")  # lr, weight decay, batch size, model: mlp|cnn1d|resnet1d; max tier 3


def every_model_ran(store: FeedbackStore) -> dict[str, ProposalRecord]:
    return {
        "cnn1d": record(store, {"model": "cnn1d", "trainer.lr": 0.003}, value=6.0),
        "resnet1d": record(
            store, {"model": "resnet1d", "trainer.lr": 0.002, "trainer.batch_size": 32}, value=5.0
        ),
        "mlp": record(store, {"model": "mlp", "trainer.lr": 0.001}, value=8.0),
        "again": record(store, {"model": "resnet1d", "trainer.lr": 0.0025}, value=5.01),
    }


# tier 1 -----------------------------------------------------------------------------------------
def test_first_proposal_is_the_baseline_at_the_defaults_or_the_goal_start(
    tmp_path: Path, configs: Path, ppg
) -> None:
    store = open_campaign(tmp_path, ppg)
    first = StrategistBrain().propose(context(store, ppg, configs))
    assert first == Proposal(
        1,
        {
            "model": "cnn1d",
            "trainer.batch_size": 64,
            "trainer.lr": 0.003,
        },  # weight_decay 0 is outside its log range
        first.rationale,
    )
    assert "baseline: experiment ppg_hr at its defaults" in first.rationale
    vae = load_goal("vae:stability")
    store2 = FeedbackStore(tmp_path / "vae.db")
    store2.create_campaign(vae, seed=0, campaign_id=CID)
    start = StrategistBrain().propose(context(store2, vae, configs))
    assert start.overrides["trainer.lr"] == dict(vae.start)["trainer.lr"] and start.tier == 1
    assert "the goal's start overrides trainer.lr=" in start.rationale


def history(store: FeedbackStore) -> None:
    record(store, {"model": "cnn1d", "trainer.lr": 0.003, "trainer.batch_size": 64}, value=6.0)
    record(store, {"model": "resnet1d", "trainer.lr": 0.05}, "diverged")
    record(store, {"model": "mlp", "trainer.lr": 0.001, "trainer.weight_decay": 1e-4}, value=7.5)
    record(store, {"model": "resnet1d", "trainer.lr": 0.002}, value=5.5, events=3)


def test_same_seed_and_history_give_the_same_proposal_another_seed_another(
    tmp_path: Path, configs: Path, ppg
) -> None:
    store = open_campaign(tmp_path, ppg)
    history(store)
    tpe = StrategistBrain(exploit_every=0)  # the TPE move itself (exploit steps have their own test)
    first = tpe.propose(context(store, ppg, configs, seed=11))
    again = tpe.propose(context(store, ppg, configs, seed=11))
    assert first == again and first.tier == 1 and first.parent_id is None
    others = {tuple(sorted(tpe.propose(context(store, ppg, configs, seed=s)).overrides.items()))
              for s in range(12, 17)}  # fmt: skip
    assert len(others | {tuple(sorted(first.overrides.items()))}) >= 5
    assert (
        "Fed back: 3 completed (1 rescued by the monitor, with their real val/mae), 1 other ends"
        in first.rationale
    )
    assert "the best so far is #4 with val/mae=5.5" in first.rationale


def test_resume_rebuilds_the_same_proposal_from_the_store_file(tmp_path: Path, configs: Path, ppg) -> None:
    store = open_campaign(tmp_path, ppg)
    history(store)
    before = StrategistBrain().propose(context(store, ppg, configs, seed=3))
    store.close()
    reopened = FeedbackStore(tmp_path / "feedback.db")  # a new process after a crash: nothing in memory
    assert StrategistBrain().propose(context(reopened, ppg, configs, seed=3)) == before
    reopened.add_proposal(
        CID, tier=1, brain="strategist", overrides=dict(before.overrides), rationale=before.rationale
    )
    after = StrategistBrain().propose(
        context(reopened, ppg, configs, seed=3)
    )  # the first one is in flight now
    assert after != before and after == StrategistBrain().propose(context(reopened, ppg, configs, seed=3))
    assert "1 in flight" in after.rationale


def test_failures_are_fail_trials_and_rescued_runs_keep_their_metric(
    tmp_path: Path, configs: Path, ppg
) -> None:
    store = open_campaign(tmp_path, ppg)
    record(store, {"trainer.lr": 0.001}, value=5.0)
    record(store, {"trainer.lr": 0.002}, value=4.0, events=2)  # the monitor intervened; the number is real
    record(store, {"trainer.lr": 0.09}, "diverged", value=3.0)  # its best point preceded the blow-up
    for i, status in enumerate(("failed", "timeout", "oom", "artifact_rejected", "rejected_by_validator")):
        record(store, {"trainer.lr": 0.01 + i / 1000}, status)
    store.add_proposal(CID, tier=1, brain="strategist", overrides={"trainer.lr": 0.02}, rationale="in flight")
    view = search.CampaignView.load(store, CID, ppg.metric)
    resolver = search.Resolver(ppg.experiment, configs)
    space = search.SearchSpace.build(ppg, view, resolver, 1)
    trials = search.trials(view, space, resolver)
    states = [(t.state, t.value, t.status) for t in trials]
    assert states[:3] == [(TrialState.COMPLETE, 5.0, "completed"), (TrialState.COMPLETE, 4.0, "completed"),
                          (TrialState.FAIL, None, "diverged")]  # fmt: skip
    assert [s[:2] for s in states[3:8]] == [(TrialState.FAIL, None)] * 5 and states[8][
        0
    ] == TrialState.RUNNING
    study = search.build_study(space, trials, "min", seed=1)
    assert study.best_value == 4.0  # the diverged run's 3.0 never reached Optuna
    assert [t.state for t in study.trials] == [s[0] for s in states]


def test_candidates_near_a_failed_run_are_asked_again(tmp_path: Path, configs: Path) -> None:
    goal = digits_goal("lr_only", {"trainer.lr": {"low": 1.0e-4, "high": 1.0e-1, "log": True}})
    store = open_campaign(tmp_path, goal)
    record(store, {"trainer.lr": 0.003}, value=0.9, metric="val/acc")
    failed = [0.012, 0.02, 0.03, 0.045, 0.06, 0.08, 0.1]
    for lr in failed:
        record(store, {"trainer.lr": lr}, "diverged")
    space = search.SearchSpace.build(goal, search.CampaignView((), {}, goal.metric), None, 1)  # type: ignore[arg-type]
    points = [{"trainer.lr": lr} for lr in failed]
    for seed in range(12):
        lr = StrategistBrain().propose(context(store, goal, configs, seed=seed)).overrides["trainer.lr"]
        assert not search.near_failure({"trainer.lr": lr}, points, space), (seed, lr)
    assert search.near_failure({"trainer.lr": 0.0125}, points, space)
    assert not search.near_failure({"trainer.lr": 0.005}, points, space)


def test_change_model_tries_an_untried_known_model_first(tmp_path: Path, configs: Path, ppg) -> None:
    store = open_campaign(tmp_path, ppg, tier=3)
    record(store, {"model": "cnn1d", "trainer.lr": 0.003}, value=6.0)
    record(store, {"model": "resnet1d", "trainer.lr": 0.002}, value=5.0)
    proposal = StrategistBrain().propose(
        context(store, ppg, configs, tier=3, r=rec("change_model", "stagnation"))
    )
    assert proposal.overrides["model"] == "mlp" and proposal.tier == 1 and generated(configs) == []
    assert "trying model mlp" in proposal.rationale


def test_change_lr_steps_the_active_lineage_back(tmp_path: Path, configs: Path, ppg) -> None:
    store = open_campaign(tmp_path, ppg)
    root = record(store, {"model": "cnn1d", "trainer.lr": 0.01}, value=5.0)
    record(store, {"model": "cnn1d", "trainer.lr": 0.02}, value=5.5, parent_id=root.id)
    record(store, {"model": "cnn1d", "trainer.lr": 0.03}, value=6.0, parent_id=root.id)
    r = rec("change_lr", "drift", lineage=root.lineage)
    proposal = StrategistBrain().propose(context(store, ppg, configs, r=r))
    assert proposal.overrides == {"model": "cnn1d", "trainer.lr": 0.005} and proposal.parent_id == root.id
    assert "trainer.lr 0.01 -> 0.005 (x0.5)" in proposal.rationale
    unstable = StrategistBrain().propose(
        context(store, ppg, configs, r=rec("change_lr", "instability", lineage=root.lineage))
    )
    assert unstable.overrides["trainer.lr"] == 0.003


def test_a_fully_tried_finite_space_returns_none_at_tier_one(tmp_path: Path, configs: Path) -> None:
    goal = digits_goal("tiny", {"model": ["mlp", "cnn1d"], "trainer.batch_size": [32, 64]}, max_tier=2)
    store = open_campaign(tmp_path, goal, tier=2)
    brain = StrategistBrain()
    assert brain.propose(context(store, goal, configs)).overrides == {
        "model": "mlp",
        "trainer.batch_size": 64,
    }
    for i, point in enumerate([("mlp", 64), ("mlp", 32), ("cnn1d", 64)]):
        record(
            store, {"model": point[0], "trainer.batch_size": point[1]}, value=0.8 + i / 100, metric="val/acc"
        )
    last = brain.propose(context(store, goal, configs, r=rec("continue")))
    assert last.overrides == {"model": "cnn1d", "trainer.batch_size": 32}
    record(store, dict(last.overrides), value=0.7, metric="val/acc")
    assert brain.propose(context(store, goal, configs, r=rec("continue"))) is None
    variant = brain.propose(context(store, goal, configs, tier=2, r=rec("continue")))
    assert variant.tier == 2 and "the tier-1 search space is exhausted" in variant.rationale
    assert variant.overrides["model"] == "cnn1d_deeper" and variant.parent_id is not None  # best: cnn1d 0.82


# tier 2 and 3 -----------------------------------------------------------------------------------
RECOMMENDATIONS = [
    rec("escalate", "stagnation", to_tier=3),
    rec("change_model", "stagnation"),
    rec("stop", "stagnation"),
    rec("continue"),
]


@pytest.mark.parametrize("tier", [1, 2, 3])
@pytest.mark.parametrize("r", RECOMMENDATIONS, ids=lambda r: r.action)
def test_never_proposes_above_the_campaign_tier(tmp_path: Path, configs: Path, ppg, tier: int, r) -> None:
    store = open_campaign(tmp_path, ppg, tier=3)
    every_model_ran(store)
    proposal = StrategistBrain().propose(context(store, ppg, configs, tier=tier, r=r))
    assert proposal is not None and proposal.tier <= tier
    made = generated(configs)
    assert tier >= 2 or made == []
    assert tier >= 3 or not any(name.endswith(".py") for name in made)


def test_tier2_writes_a_variant_of_the_best_run_that_composes(tmp_path: Path, configs: Path, ppg) -> None:
    store = open_campaign(tmp_path, ppg, tier=2)
    runs = every_model_ran(store)
    r = rec("escalate", "stagnation", to_tier=2)
    proposal = StrategistBrain(tier1_share=0).propose(context(store, ppg, configs, tier=2, r=r))
    assert proposal == StrategistBrain(tier1_share=0).propose(
        context(store, ppg, configs, tier=2, r=r)
    )  # same file, same answer
    best = runs["resnet1d"]
    assert proposal.tier == 2 and proposal.parent_id == best.id and proposal.model_ref is None
    assert proposal.overrides == {**best.overrides, "model": "resnet1d_deeper"}
    assert generated(configs) == ["models/resnet1d_deeper.yaml"]
    resolved = compose(ppg.experiment, [f"{k}={v}" for k, v in proposal.overrides.items()], configs)
    assert resolved.config["model"]["blocks"] == 4 and resolved.config["trainer"]["batch_size"] == 32
    assert "blocks 3 -> 4" in proposal.rationale and "(#2, val/mae=5)" in proposal.rationale
    stored = store.add_proposal(CID, tier=2, brain="strategist", overrides=dict(proposal.overrides),
                                rationale=proposal.rationale, parent_id=proposal.parent_id)  # fmt: skip
    assert stored.lineage == best.lineage  # drift will compare the variant with its parent
    # the variant ran; the next rung waits for one tier-1 proposal, then comes the trainer variant
    store.record_validation(stored.id, True, config_sha256="ab" * 32)
    store.record_approval(stored.id, "approved", "auto")
    arts = artifacts("val/mae", 5.02)
    store.record_run(
        store.claim_next(CID).run.run_id, "completed", artifacts=arts, trusted=honest_trusted(arts)
    )
    between = StrategistBrain(tier1_share=0).propose(context(store, ppg, configs, tier=2, r=r))
    assert between.tier in (1, 2) and "search:" in between.rationale
    record(store, dict(between.overrides), value=5.03, tier=between.tier)
    rung = StrategistBrain(tier1_share=0).propose(context(store, ppg, configs, tier=2, r=r))
    assert rung.overrides["trainer"] == "default_warm_cosine" and rung.tier == 2
    assert "trainers/default_warm_cosine.yaml" in generated(configs)
    trainer = compose(ppg.experiment, [f"{k}={v}" for k, v in rung.overrides.items()], configs).config[
        "trainer"
    ]
    assert (trainer["schedule"], trainer["warmup_steps"]) == ("cosine", 50)


def test_tier3_generates_validates_and_registers_a_new_architecture(
    tmp_path: Path, configs: Path, ppg
) -> None:
    store = open_campaign(tmp_path, ppg, tier=3)
    runs = every_model_ran(store)
    r = rec("escalate", "stagnation", to_tier=3)
    proposal = StrategistBrain(tier1_share=0).propose(context(store, ppg, configs, tier=3, r=r))
    name = architecture_name(CID, 1)
    assert proposal.tier == 3 and proposal.model_ref == name == proposal.overrides["model"]
    assert proposal.overrides == {"model": name, "trainer.lr": 0.002, "trainer.batch_size": 32}
    source = configs / "generated" / "models" / f"{name}.py"
    assert validate_path(source, class_name="GeneratedNet").accepted
    resolved = compose(ppg.experiment, [f"{k}={v}" for k, v in proposal.overrides.items()], configs)
    assert (
        resolved.generated_files == (source,)
        and resolved.config["model"]["_target_"] == f"generated.{name}.GeneratedNet"
    )
    assert "Every known model has run (best val/mae: mlp 8, cnn1d 6, resnet1d 5)" in proposal.rationale
    text = source.read_bytes()
    assert (
        StrategistBrain(tier1_share=0).propose(context(store, ppg, configs, tier=3, r=r)) == proposal
    )  # resume: same bytes
    assert source.read_bytes() == text
    record(store, dict(proposal.overrides), value=4.9, tier=3, model_ref=name)
    second = StrategistBrain(tier1_share=0).propose(context(store, ppg, configs, tier=3, r=r))
    assert second.model_ref == architecture_name(CID, 2)  # a second escalation gets a new architecture
    assert (configs / "generated" / "models" / f"{second.model_ref}.py").read_bytes() != text
    assert runs["resnet1d"].id not in (second.parent_id, proposal.parent_id)


def test_tier3_waits_for_untried_models_and_needs_a_supervised_task(
    tmp_path: Path, configs: Path, ppg
) -> None:
    store = open_campaign(tmp_path, ppg, tier=3)
    record(store, {"model": "cnn1d"}, value=6.0)
    record(store, {"model": "resnet1d"}, value=5.0)
    proposal = StrategistBrain().propose(
        context(store, ppg, configs, tier=3, r=rec("escalate", "stagnation"))
    )
    assert proposal.tier < 3 and not any(n.endswith(".py") for n in generated(configs))
    vae = load_goal("vae:stability")
    store2 = FeedbackStore(tmp_path / "vae.db")
    store2.create_campaign(vae, seed=0, campaign_id=CID)
    record(store2, {"trainer.lr": 0.001}, value=120.0, metric="val/recon")
    record(store2, {"trainer.lr": 0.002}, value=119.0, metric="val/recon")
    reconstruction = StrategistBrain().propose(
        context(store2, vae, configs, tier=3, r=rec("escalate", "stagnation"))
    )
    assert reconstruction.tier < 3 and not any(n.endswith(".py") for n in generated(configs))

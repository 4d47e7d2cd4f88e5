"""A run's config is composed once and its generated code validated once per process, and what
runs is what was validated: the loop's one check travels to the hook, the bundle and the launch."""

from __future__ import annotations

import sys
from collections import Counter
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

import sentinel.validator as validator_pkg
from sentinel.agent.brains._base import CampaignContext, Proposal
from sentinel.agent.campaign import AutoApproval
from sentinel.agent.campaign.approval import OfflineApproval
from sentinel.agent.configs.compose import config_digest
from sentinel.agent.review import folder_digest, read_files, record_decision
from sentinel.agent.store import FeedbackStore
from sentinel.contract.config import load_yaml
from sentinel.sandbox.paths import CONFIGS_DIR

compose_mod = sys.modules["sentinel.agent.configs.compose"]  # the package's `compose` is the function


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch):
    no_engine(monkeypatch)


class ModelBrain(ListBrain):
    name: ClassVar[str] = "modelbrain"

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        if ctx.store.proposals(ctx.campaign_id):
            return None
        overrides = {"model": "wide_mlp", "trainer.lr": 0.01}
        return Proposal(tier=3, overrides=overrides, rationale="a wider MLP", model_ref="wide_mlp")


class Counts:
    """Compositions of a run's config (with overrides: base configs for diffs are not counted)
    and validator runs, as the loop, hooks, bundle and launch make them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.composed: Counter[tuple[str, ...]] = Counter()
        self.validated = 0
        parse, validate = compose_mod.parse_overrides, validator_pkg.validate_source

        def counting_parse(texts):  # every composition parses its overrides, whoever imported compose
            if texts:
                self.composed[tuple(texts)] += 1
            return parse(texts)

        def counting_validate(*args, **kwargs):
            self.validated += 1
            return validate(*args, **kwargs)

        monkeypatch.setattr(compose_mod, "parse_overrides", counting_parse)
        monkeypatch.setattr(validator_pkg, "validate_source", counting_validate)


def _offline_campaign(tmp_path: Path) -> tuple[FeedbackStore, str, Path]:
    store = FeedbackStore(tmp_path / "f.db")
    campaign = store.create_campaign(replace(goal(1), max_tier=3), seed=0, approval="offline")
    generated = configs_with_generated_model(tmp_path / "runs" / campaign.id, copy_configs=False)
    store.record_escalation(campaign.id, 3, "all known models tried", {}, from_tier=1)
    store.set_campaign_state(campaign.id, "paused", "set up by the test")
    return store, campaign.id, generated


def _resume(store: FeedbackStore, campaign_id: str, tmp_path: Path, launcher: ArtifactLauncher):
    hook = OfflineApproval(store, CONFIGS_DIR, tmp_path / "reviews", tmp_path / "runs")
    return runner(store, hook, tmp_path / "runs", launcher, ModelBrain(), CONFIGS_DIR).resume(campaign_id)


def test_one_composition_and_one_validation_per_process(tmp_path: Path, monkeypatch) -> None:
    store, campaign_id, _ = _offline_campaign(tmp_path)
    counts = Counts(monkeypatch)
    launcher = ArtifactLauncher()
    paused = _resume(store, campaign_id, tmp_path, launcher)  # validate, then the bundle: pause
    [proposal] = store.proposals(campaign_id)
    assert paused.state == "paused" and proposal.state == "validated"
    assert list(counts.composed.values()) == [1] and counts.validated == 1

    record_decision(tmp_path / "reviews" / campaign_id / str(proposal.id), "approved", "alice")
    counts.composed.clear()
    counts.validated = 0
    launched: list = []
    original = launcher.__call__

    def keep(resolved, request, on_progress=None):
        launched.append(resolved)
        return original(resolved, request, on_progress)

    _resume(store, campaign_id, tmp_path, keep)  # a new process: decide, before_run, launch
    [run] = store.history(campaign_id)
    assert run.status == "completed"
    assert list(counts.composed.values()) == [1] and counts.validated == 1
    [resolved] = launched
    assert resolved.sha256 == store.get_proposal(proposal.id).config_sha256
    assert resolved.files["wide_mlp.py"] == generated_model_source().encode()


def test_the_digest_a_proposal_was_approved_with_is_in_its_bundle_and_store_row(tmp_path: Path) -> None:
    store, campaign_id, _ = _offline_campaign(tmp_path)
    launcher = ArtifactLauncher()
    _resume(store, campaign_id, tmp_path, launcher)
    [proposal] = store.proposals(campaign_id)
    folder = tmp_path / "reviews" / campaign_id / str(proposal.id)
    shown = load_yaml(read_files(folder)["proposal.yaml"].decode())
    record_decision(folder, "approved", "alice")
    _resume(store, campaign_id, tmp_path, launcher)
    [approval] = store.approvals(proposal.id)
    assert store.history(campaign_id)[0].status == "completed"
    assert shown["config_sha256"] == store.get_proposal(proposal.id).config_sha256
    assert approval.bundle_sha256 == folder_digest(folder)
    assert launcher.calls[0].approval_digest == approval.bundle_sha256


def test_a_config_changed_after_validation_does_not_run_in_a_resumed_process(tmp_path: Path) -> None:
    """The named bug: a process that did not validate the proposal composes it again; when the
    result is not the validated digest, the run is refused instead of labelled with another one."""
    store, campaign_id, generated = _offline_campaign(tmp_path)
    store.set_campaign_state(campaign_id, "running", "set up by the test")
    launcher = ArtifactLauncher()
    r = runner(store, AutoApproval(), tmp_path / "runs", launcher, ModelBrain(), CONFIGS_DIR)
    r._gates.validate(_propose(store, campaign_id))  # validated by a process that then died
    (generated / "generated" / "models" / "wide_mlp.py").write_text(generated_model_source(hidden=512))
    store.set_campaign_state(campaign_id, "paused", "the process died")
    runner(store, AutoApproval(), tmp_path / "runs", launcher, ModelBrain(), CONFIGS_DIR).resume(campaign_id)
    [run] = store.history(campaign_id)
    assert run.status == "rejected_by_validator" and "not the one validated" in run.reason
    assert not launcher.calls


def test_the_process_that_validated_runs_exactly_the_bytes_it_validated(tmp_path: Path) -> None:
    store, campaign_id, generated = _offline_campaign(tmp_path)
    store.set_campaign_state(campaign_id, "running", "set up by the test")
    seen: list = []

    class EditAfterValidation(ArtifactLauncher):
        def __call__(self, resolved, request, on_progress=None):
            seen.append(resolved)
            return super().__call__(resolved, request, on_progress)

    launcher = EditAfterValidation()
    r = runner(store, AutoApproval(), tmp_path / "runs", launcher, ModelBrain(), CONFIGS_DIR)
    proposal = _propose(store, campaign_id)
    r._gates.validate(proposal)
    (generated / "generated" / "models" / "wide_mlp.py").write_text(generated_model_source(hidden=512))
    r.resume(campaign_id)
    [resolved] = seen
    assert resolved.files["wide_mlp.py"] == generated_model_source().encode()
    assert resolved.sha256 == config_digest(resolved.to_yaml(), resolved.files)
    assert resolved.sha256 == store.get_proposal(proposal.id).config_sha256


def _propose(store: FeedbackStore, campaign_id: str):
    return store.add_proposal(
        campaign_id,
        tier=3,
        brain="modelbrain",
        overrides={"model": "wide_mlp", "trainer.lr": 0.01},
        rationale="a wider MLP",
        model_ref="wide_mlp",
    )

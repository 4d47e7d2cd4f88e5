"""The approval contract, auto and callback hooks, `--approval` specs, and recording a modification."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from _approval_support import ArtifactLauncher, ListBrain, goal, no_engine, runner

from sentinel.agent.campaign.approval import (
    HUMAN_BRAIN,
    ApprovalHook,
    AutoApproval,
    CallbackApproval,
    Decision,
    OfflineApproval,
    make_hook,
    mode_of,
    modify_proposal,
)
from sentinel.agent.campaign.approval import load_policy as load
from sentinel.agent.configs import CheckedConfig
from sentinel.agent.errors import BadInput
from sentinel.agent.store import FeedbackStore, ProposalRecord
from sentinel.sandbox.paths import CONFIGS_DIR

POLICY = """
from sentinel.agent.campaign.approval import Decision

def small_lr(proposal):
    return float(proposal.overrides.get("trainer.lr", 1.0)) <= 0.01

def named(proposal):
    return Decision("approved", "risk-board")

def broken(proposal):
    return "yes"

not_callable = 3
"""


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_policies.py"
    path.write_text(POLICY)
    return path


def test_decision_checks_its_value() -> None:
    assert Decision("approved", "auto").bundle_sha256 is None
    with pytest.raises(ValueError, match="maybe"):
        Decision("maybe", "auto")


def test_contract_defaults() -> None:
    class Quiet(ApprovalHook):
        name = "quiet"

        def decide(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision | None:
            return None

    hook = Quiet()
    assert hook.mode == "quiet"
    assert hook.before_run(None, [], None) is None  # type: ignore[arg-type]
    assert AutoApproval().mode == "auto" and AutoApproval().decide(None, None).reviewer == "auto"  # type: ignore[arg-type]


def test_callback_policy_through_the_loop(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    hook = CallbackApproval(lambda p: p.overrides["trainer.lr"] < 0.015, name="lr-cap")
    launcher = ArtifactLauncher()
    outcome = runner(store, hook, tmp_path / "runs", launcher, ListBrain((0.02, 0.005, 0.002))).start(
        goal(2), seed=0
    )
    assert store.get_campaign(outcome.campaign_id).approval == "callback"  # the mode, not the reviewer
    proposals = store.proposals(outcome.campaign_id)
    assert [p.state for p in proposals] == ["rejected_by_reviewer", "finished", "finished"]
    assert [store.approvals(p.id)[0].reviewer for p in proposals] == ["lr-cap"] * 3
    assert len(launcher.calls) == 2


def test_load_policy_from_a_file(policy_file: Path) -> None:
    hook = load(f"policy:{policy_file}:small_lr")
    assert hook.name == "my_policies.small_lr" and hook.mode == "callback"
    record = _record({"trainer.lr": 0.005})
    assert hook.decide(record, None) == Decision("approved", "my_policies.small_lr")
    assert hook.decide(_record({"trainer.lr": 0.1}), None).decision == "rejected"
    assert load(f"policy:{policy_file}:named").decide(record, None) == Decision("approved", "risk-board")
    with pytest.raises(BadInput, match="not a bool"):
        load(f"policy:{policy_file}:broken").decide(record, None)


def test_load_policy_from_a_module(policy_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(policy_file.parent))
    monkeypatch.delitem(sys.modules, "my_policies", raising=False)
    hook = load("policy:my_policies:small_lr")
    assert hook.name == "my_policies.small_lr"
    assert hook.decide(_record({"trainer.lr": 0.001}), None).decision == "approved"


@pytest.mark.parametrize(
    "spec",
    [
        "policy:",
        "policy:my_policies",
        "policy:no_such_module_xyz:f",
        "policy:{file}:missing",
        "policy:{file}:not_callable",
        "policy:{dir}/absent.py:f",
        "policy:bad module:f",
        "policy:my_policies:1f",
    ],
)
def test_bad_policy_specs_are_bad_input(spec: str, policy_file: Path) -> None:
    with pytest.raises(BadInput):
        load(spec.format(file=policy_file, dir=policy_file.parent))


def test_a_policy_file_that_fails_to_load_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "boom.py"
    path.write_text("raise RuntimeError('no')\n")
    with pytest.raises(BadInput, match="failed to load"):
        load(f"policy:{path}:f")


def test_mode_of_and_make_hook(tmp_path: Path, policy_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [mode_of(s) for s in ("auto", "terminal", "offline", "policy:m:f")] == [
        "auto",
        "terminal",
        "offline",
        "callback",
    ]
    for bad in ("callback", "manual", ""):
        with pytest.raises(BadInput):
            mode_of(bad)
    store = FeedbackStore(tmp_path / "f.db")
    kwargs = {"configs_dir": CONFIGS_DIR, "reviews_dir": tmp_path / "reviews"}
    assert isinstance(make_hook("auto", store, **kwargs), AutoApproval)
    assert isinstance(make_hook("offline", store, **kwargs), OfflineApproval)
    assert make_hook(f"policy:{policy_file}:small_lr", store, **kwargs).mode == "callback"
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\n"))  # not a terminal: it would pause every time
    with pytest.raises(BadInput, match="needs a terminal"):
        make_hook("terminal", store, **kwargs)


def test_modify_proposal_records_who_changed_what_and_is_idempotent(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    campaign = store.create_campaign(goal(), seed=0)
    original = store.add_proposal(
        campaign.id,
        tier=1,
        brain="strategist",
        overrides={"trainer.lr": 0.02, "model": "cnn1d"},
        rationale="r",
    )
    new = modify_proposal(store, original, {"trainer.lr": 0.004, "trainer.epochs": 3}, "carol")
    assert (new.brain, new.parent_id, new.lineage, new.tier) == (
        HUMAN_BRAIN,
        original.id,
        original.lineage,
        1,
    )
    assert dict(new.overrides) == {"trainer.lr": 0.004, "trainer.epochs": 3}
    assert new.rationale.startswith("modified by carol from proposal 1: ")
    for part in ("trainer.epochs set to 3", "trainer.lr 0.02 -> 0.004", "model dropped", "(strategist): r"):
        assert part in new.rationale
    assert modify_proposal(store, original, {"trainer.epochs": 3, "trainer.lr": 0.004}, "carol") == new
    assert len(store.proposals(campaign.id)) == 2
    other = modify_proposal(store, original, {"trainer.lr": 0.001}, "dave")
    assert other.id != new.id


def _record(overrides: dict) -> ProposalRecord:
    row = {
        "id": 1,
        "campaign_id": "c-1",
        "seq": 1,
        "tier": 1,
        "brain": "strategist",
        "experiment": "digits",
        "overrides_json": json.dumps(overrides),
        "model_ref": None,
        "rationale": "r",
        "parent_id": None,
        "lineage": "p1",
        "config_sha256": None,
        "state": "validated",
        "state_reason": "",
        "created_at": 0.0,
        "updated_at": 0.0,
    }
    return ProposalRecord.from_row(row)

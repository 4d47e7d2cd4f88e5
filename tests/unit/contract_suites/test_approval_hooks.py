"""One contract suite run over every approval hook `--approval` can name (APPROVAL_MODES), each
in the real campaign loop with a brain proposing a learning rate it rejects (where the hook can
reject) and one it approves; the container launch is faked at the transport seam
(tests/unit/agent/_approval_support.py). A new hook that is not reachable from a mode, or breaks
the contract `approval/_base.py` states, fails here."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from sentinel.agent.campaign.approval import (
    APPROVAL_MODES,
    ApprovalHook,
    Decision,
    TerminalApproval,
    make_hook,
    mode_of,
)
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR

from ._implementations import concrete_subclasses, registered_once

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))  # the approval test support
from _approval_support import ArtifactLauncher, ListBrain, goal, no_engine, runner

LRS = (0.02, 0.005)  # the first is the one a hook that can say no is set to refuse
POLICY = "def small_lr(proposal):\n    return float(proposal.overrides['trainer.lr']) <= 0.01\n"

Build = Callable[[FeedbackStore, Path], ApprovalHook]


def _auto(store: FeedbackStore, tmp: Path) -> ApprovalHook:
    return make_hook("auto", store, configs_dir=CONFIGS_DIR, reviews_dir=tmp / "reviews")


def _offline(store: FeedbackStore, tmp: Path) -> ApprovalHook:
    return make_hook(
        "offline", store, configs_dir=CONFIGS_DIR, reviews_dir=tmp / "reviews", runs_dir=tmp / "runs"
    )


def _callback(store: FeedbackStore, tmp: Path) -> ApprovalHook:
    (tmp / "lr_policy.py").write_text(POLICY)
    spec = f"policy:{tmp / 'lr_policy.py'}:small_lr"
    return make_hook(spec, store, configs_dir=CONFIGS_DIR, reviews_dir=tmp / "reviews")


def _terminal(store: FeedbackStore, tmp: Path) -> ApprovalHook:
    # make_hook("terminal") needs a real terminal on stdin: the same class, its input a text stream
    console = Console(file=io.StringIO(), width=140, color_system=None)
    return TerminalApproval(
        store, CONFIGS_DIR, reviewer="alice", console=console, stdin=io.StringIO("r\na\n")
    )


HOOKS: dict[str, Build] = {"auto": _auto, "offline": _offline, "callback": _callback, "terminal": _terminal}


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


def test_every_hook_is_reachable_from_exactly_one_mode(tmp_path: Path) -> None:
    assert sorted(HOOKS) == sorted(APPROVAL_MODES)
    store = FeedbackStore(tmp_path / "f.db")
    built = [type(build(store, tmp_path)) for build in HOOKS.values()]
    found = concrete_subclasses(ApprovalHook, "sentinel.agent.campaign.approval")
    assert registered_once(found, built) == []


@pytest.fixture(params=sorted(HOOKS))
def campaign(request: pytest.FixtureRequest, tmp_path: Path):
    """(hook, store, outcome, launcher) of a two-proposal campaign under the hook."""
    store = FeedbackStore(tmp_path / "f.db")
    hook = HOOKS[request.param](store, tmp_path)
    launcher = ArtifactLauncher()
    outcome = runner(store, hook, tmp_path / "runs", launcher, ListBrain(LRS)).start(goal(1), seed=0)
    yield hook, store, outcome, launcher
    store.close()


def test_the_campaign_records_a_mode_that_rebuilds_the_same_kind_of_hook(campaign) -> None:
    hook, store, outcome, _ = campaign
    assert store.get_campaign(outcome.campaign_id).approval == hook.mode
    assert mode_of(hook.mode if hook.mode != "callback" else "policy:m:f") == hook.mode  # resume's route
    assert isinstance(hook.name, str) and hook.name


def test_only_approved_proposals_run_and_every_decision_names_its_reviewer(campaign) -> None:
    _, store, outcome, launcher = campaign
    proposals = store.proposals(outcome.campaign_id)
    launched = {c.run_id.rsplit("-a", 1)[0] for c in launcher.calls}
    assert proposals, "the brain's proposals are recorded"
    for p in proposals:
        approvals = store.approvals(p.id)
        assert all(a.decision in {"approved", "rejected"} and a.reviewer for a in approvals)
        ran = any(run_id.endswith(f"p{p.seq:04d}") for run_id in launched)
        if ran:
            assert approvals and approvals[-1].decision == "approved"
        if any(a.decision == "rejected" for a in approvals):
            assert not ran and p.state == "rejected_by_reviewer"
    assert len(launcher.calls) == outcome.runs


def test_a_pause_says_how_to_decide_and_runs_nothing_for_that_proposal(campaign) -> None:
    hook, store, outcome, launcher = campaign
    assert outcome.state in {"finished", "paused"}
    if outcome.state == "paused":
        pending = [p for p in store.proposals(outcome.campaign_id) if not store.approvals(p.id)]
        assert len(pending) == 1 and not launcher.calls
        assert outcome.reason == hook.pause_message(pending[0]) and "\n" not in outcome.reason.strip()


def test_decide_and_before_run_answer_in_the_contract_types(campaign) -> None:
    hook, store, outcome, _ = campaign
    for p in store.proposals(outcome.campaign_id):
        if isinstance(hook, TerminalApproval):
            break  # its input is spent: asking again would read end-of-input (a pause), tested elsewhere
        decision = hook.decide(p, None)  # no composed config: the hook must still answer
        assert decision is None or (isinstance(decision, Decision) and decision.reviewer)
        refusal = hook.before_run(p, store.approvals(p.id), None)
        assert refusal is None or (isinstance(refusal, str) and refusal)

"""One contract suite run over every brain `campaign run --brain` can name: the offline strategist
and the LLM brain in both agent styles (a scripted smolagents Model, the double smolagents' own
tests use). A brain proposes typed runs within the campaign's tier, deterministically given the
seed and the store, writes and launches nothing itself, and drives the real campaign loop (the
container launch faked at the transport seam). A new brain that misses this fails here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.brains.llm import LLMBrain
from sentinel.agent.brains.strategist import StrategistBrain
from sentinel.agent.campaign.approval import AutoApproval
from sentinel.agent.cli.campaign import BRAINS
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR

from ._implementations import concrete_subclasses, registered_once

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))  # the brain test support
from _approval_support import ArtifactLauncher, goal, no_engine, runner
from test_llm_brain_support import ScriptedModel, calls, code


def _llm_code() -> Brain:
    return LLMBrain(
        ScriptedModel(
            [
                code('run_training(overrides=["trainer.lr=0.02"], rationale="A first look at 0.02.")'),
                code('run_training(overrides=["trainer.lr=0.005"], rationale="A quarter of it.")'),
            ]
        ),
        agent_style="code",
    )


def _llm_tools() -> Brain:
    return LLMBrain(
        ScriptedModel(
            [
                calls(("run_training", {"overrides": ["trainer.lr=0.02"], "rationale": "First look."})),
                calls(("run_training", {"overrides": ["trainer.lr=0.005"], "rationale": "Lower."})),
            ]
        ),
        agent_style="tools",
    )


BRAIN_ROWS: dict[str, Callable[[], Brain]] = {
    "strategist": StrategistBrain,
    "llm-code": _llm_code,
    "llm-tools": _llm_tools,
}
Scalar = str | int | float | bool


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


def _context(folder: Path, seed: int = 4) -> CampaignContext:
    folder.mkdir(parents=True, exist_ok=True)
    store = FeedbackStore(folder / "feedback.db")
    the_goal = goal(2)
    store.create_campaign(the_goal, seed=seed, campaign_id="brain-contract")
    return CampaignContext("brain-contract", the_goal, store, CONFIGS_DIR, seed=seed, tier=1)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "feedback.db" not in p.name}


def test_every_brain_is_registered_once_under_its_cli_name() -> None:
    classes = {type(build()) for build in BRAIN_ROWS.values()}
    assert registered_once(concrete_subclasses(Brain, "sentinel.agent.brains"), classes) == []
    assert sorted({cls.name for cls in classes}) == sorted(BRAINS)


@pytest.mark.parametrize("row", sorted(BRAIN_ROWS))
def test_a_proposal_is_typed_and_within_the_campaigns_tier(row: str, tmp_path: Path) -> None:
    brain, ctx = BRAIN_ROWS[row](), _context(tmp_path / "campaign")
    proposal = brain.propose(ctx)
    assert isinstance(proposal, Proposal)  # a brain must be able to start a campaign
    assert isinstance(proposal.tier, int) and 1 <= proposal.tier <= min(ctx.tier, brain.max_tier)
    assert isinstance(proposal.overrides, Mapping) and proposal.overrides
    assert all(isinstance(k, str) and isinstance(v, Scalar) for k, v in proposal.overrides.items())
    assert isinstance(proposal.rationale, str) and proposal.rationale.strip()
    assert proposal.experiment is None or isinstance(proposal.experiment, str)
    assert proposal.model_ref is None  # tier 1 proposes no generated model
    ctx.store.close()


@pytest.mark.parametrize("row", sorted(BRAIN_ROWS))
def test_proposing_is_deterministic_given_the_seed_and_the_store(row: str, tmp_path: Path) -> None:
    """`campaign resume` asks a brain again after a crash and must get a consistent proposal."""
    first = BRAIN_ROWS[row]().propose(_context(tmp_path / "one"))
    again = BRAIN_ROWS[row]().propose(_context(tmp_path / "two"))
    assert first == again


@pytest.mark.parametrize("row", sorted(BRAIN_ROWS))
def test_proposing_writes_and_launches_nothing(
    row: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sentinel.agent.launch as launch_mod

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a brain launched a run")

    monkeypatch.setattr(launch_mod, "launch_run", forbidden)
    ctx = _context(tmp_path / "campaign")
    before = _files(tmp_path)
    BRAIN_ROWS[row]().propose(ctx)
    assert _files(tmp_path) == before
    assert ctx.store.proposals(ctx.campaign_id) == []  # the loop records proposals, never the brain


@pytest.mark.parametrize("row", sorted(BRAIN_ROWS))
def test_drives_the_real_campaign_loop(row: str, tmp_path: Path) -> None:
    brain, store, launcher = BRAIN_ROWS[row](), FeedbackStore(tmp_path / "f.db"), ArtifactLauncher()
    outcome = runner(store, AutoApproval(), tmp_path / "runs", launcher, brain).start(goal(2), seed=3)
    assert outcome.state == "finished" and outcome.runs == 2 == len(launcher.calls)
    proposals = store.proposals(outcome.campaign_id)
    assert [p.brain for p in proposals] == [brain.name] * 2
    assert all(p.state == "finished" for p in proposals)

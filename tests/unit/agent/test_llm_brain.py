"""agent/brains/llm.py and its helpers on a real store and a copy of configs/: the tool wrapping the
model sees, tier gating, run_training's checks (it only records a proposal), model building from
the CLI's options, the prompts data file and secret scrubbing."""

from __future__ import annotations

import inspect
import shutil
import sys
from pathlib import Path

import pytest
from smolagents import LiteLLMModel, OpenAIModel

from sentinel.agent.brains import llm
from sentinel.agent.brains._base import CampaignContext
from sentinel.agent.brains._llm_proposal import ProposalDesk, run_training
from sentinel.agent.brains._llm_text import PROMPT_KEYS, REDACTED, prompts, render_task, scrub
from sentinel.agent.brains._tool_text import tool_text
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore
from sentinel.agent.tools import ToolContext, ToolInputError, create_config_variant, tools_for_tier
from sentinel.sandbox.paths import CONFIGS_DIR

TINY_MODEL = """import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], output_dim: int, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(width), nn.ReLU(), nn.Linear(width, output_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
"""


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    root = tmp_path / "configs"
    shutil.copytree(CONFIGS_DIR, root, ignore=shutil.ignore_patterns("generated"))
    return root


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "feedback.db")


def campaign(store: FeedbackStore, configs: Path, tier: int = 1) -> CampaignContext:
    goal = load_goal("digits:quick")
    store.create_campaign(goal, seed=1, campaign_id="camp-1")
    return CampaignContext("camp-1", goal, store, configs, seed=1, tier=tier)


def propose(ctx: CampaignContext, desk: ProposalDesk, overrides: list[str], parent: str = "") -> str:
    return run_training(ToolContext.from_campaign(ctx), desk, overrides, "a reason worth a run", parent)


# the tools the model sees ----------------------------------------------------------------------
@pytest.mark.parametrize("tier", [1, 2, 3])
def test_each_tier_gets_its_tools_with_the_plain_signatures(store, configs, tier: int) -> None:
    ctx = campaign(store, configs, tier)
    tools = llm.brain_tools(ctx, ProposalDesk(tier))
    plain = [*tools_for_tier(tier), run_training]
    assert [t.name for t in tools] == [fn.__name__ for fn in plain]
    for wrapped, fn in zip(tools, plain, strict=True):
        hidden = 2 if fn is run_training else 1  # the campaign (and the desk) are bound, never passed
        assert list(wrapped.inputs) == list(inspect.signature(fn).parameters)[hidden:]
        assert wrapped.description.splitlines()[0] == inspect.getdoc(fn).splitlines()[0]
        assert all(spec["description"] for spec in wrapped.inputs.values())
        assert wrapped.output_type == "string"
    names = {t.name for t in tools}
    assert ("create_config_variant" in names) == (tier >= 2)
    assert ("register_generated_model" in names) == (tier >= 3)


def test_a_wrapped_tool_answers_like_the_plain_function(store, configs) -> None:
    ctx = campaign(store, configs)
    tools = {t.name: t for t in llm.brain_tools(ctx, ProposalDesk(1))}
    plain = tools_for_tier(1)[4](ToolContext.from_campaign(ctx), last=5)  # a typed History record
    assert tools["get_experiment_history"](last=5) == tool_text(plain)  # worded by the brain alone
    with pytest.raises(ToolInputError, match="last must be an integer"):
        tools["get_experiment_history"](last=0)


# run_training ----------------------------------------------------------------------------------
def test_run_training_records_one_proposal_and_writes_nothing(store, configs) -> None:
    ctx = campaign(store, configs)
    desk = ProposalDesk(1)
    answer = propose(ctx, desk, ["model=cnn1d", "trainer.lr=0.003"])
    assert answer.startswith("proposal accepted (tier 1): model=cnn1d trainer.lr=0.003")
    assert desk.proposal is not None and desk.proposal.overrides == {"model": "cnn1d", "trainer.lr": 0.003}
    assert desk.proposal.tier == 1 and desk.proposal.model_ref is None
    assert store.proposals("camp-1") == []  # the loop records it, not the tool
    with pytest.raises(ToolInputError, match="already proposed in this turn"):
        propose(ctx, desk, ["trainer.lr=0.001"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["trainer.lr"], "malformed override"),
        (["trainer.lr=0.1", "trainer.lr=0.2"], "given twice"),
        (["Trainer.LR=0.1"], "unknown section"),
        (["trainer.lr=[0.1, 0.2]"], "one finite number"),
        (["model=transformer9"], "cannot compose"),
        (["trainer.lr=-1"], "cannot compose"),
        ("trainer.lr=0.1", "must be a list"),
        ([3], "printable 'key=value'"),
    ],
)
def test_run_training_refuses_what_the_loop_would_reject(store, configs, overrides, message) -> None:
    ctx = campaign(store, configs)
    desk = ProposalDesk(1)
    with pytest.raises(ToolInputError, match=message):
        propose(ctx, desk, overrides)
    assert desk.proposal is None


def test_run_training_needs_a_rationale_and_refuses_repeats(store, configs) -> None:
    ctx = campaign(store, configs)
    tctx = ToolContext.from_campaign(ctx)
    with pytest.raises(ToolInputError, match="rationale"):
        run_training(tctx, ProposalDesk(1), ["trainer.lr=0.01"], "   ")
    with pytest.raises(ToolInputError, match="rationale is"):
        run_training(tctx, ProposalDesk(1), ["trainer.lr=0.01"], "x " * 400)
    store.add_proposal("camp-1", tier=1, brain="llm", overrides={"trainer.lr": 0.01}, rationale="r")
    with pytest.raises(ToolInputError, match=r"already proposed as #1 \(proposed\)"):
        propose(ctx, ProposalDesk(1), ["trainer.lr=0.01"])
    assert "accepted" in propose(ctx, ProposalDesk(1), ["trainer.lr=0.010001"])


def test_generated_entries_set_the_tier_and_are_gated_by_the_campaign_tier(store, configs) -> None:
    ctx = campaign(store, configs, tier=3)
    tctx = ToolContext.from_campaign(ctx)
    written = create_config_variant(tctx, "trainer", "default", "warm", {"warmup_steps": 20})
    assert written.name == "warm" and not written.existed
    tools = {t.name: t for t in llm.brain_tools(ctx, ProposalDesk(3))}
    assert tools["register_generated_model"](source=TINY_MODEL, name="tiny").startswith("accepted")
    with pytest.raises(ToolInputError, match="tier-2 entry but the campaign is at tier 1"):
        propose(ctx, ProposalDesk(1), ["trainer=warm"])
    variant = ProposalDesk(2)
    propose(ctx, variant, ["trainer=warm", "trainer.lr=0.01"])
    assert variant.proposal is not None and variant.proposal.tier == 2
    with pytest.raises(ToolInputError, match="tier-3 entry but the campaign is at tier 2"):
        propose(ctx, ProposalDesk(2), ["model=tiny"])
    generated = ProposalDesk(3)
    propose(ctx, generated, ["model=tiny", "trainer=warm"])
    assert generated.proposal is not None
    assert (generated.proposal.tier, generated.proposal.model_ref) == (3, "tiny")


def test_parent_run_names_a_run_of_this_campaign(store, configs) -> None:
    ctx = campaign(store, configs)
    p = store.add_proposal("camp-1", tier=1, brain="llm", overrides={"trainer.lr": 0.01}, rationale="r")
    store.record_validation(p.id, True, config_sha256="ab" * 32)
    store.record_approval(p.id, "approved", "auto")
    claim = store.claim_next("camp-1")
    assert claim is not None
    store.record_run(claim.run.run_id, "diverged")
    desk = ProposalDesk(1)
    propose(ctx, desk, ["trainer.lr=0.001"], parent=claim.run.run_id)
    assert desk.proposal is not None and desk.proposal.parent_id == p.id
    for bad in ("no-such-run", "../etc"):
        with pytest.raises(ToolInputError, match="run"):
            propose(ctx, ProposalDesk(1), ["trainer.lr=0.002"], parent=bad)


# models from the CLI's options -----------------------------------------------------------------
def test_an_api_base_gives_an_openai_compatible_model_keyed_from_the_environment() -> None:
    pytest.importorskip("openai", reason="--api-base needs the openai package (smolagents[openai])")
    env = {llm.KEY_ENV: "sk-from-env-0123456789"}
    model = llm.build_model("qwen2.5:7b", "http://127.0.0.1:8000/v1", environ=env)
    assert isinstance(model, OpenAIModel) and model.model_id == "qwen2.5:7b"
    assert model.client.api_key == "sk-from-env-0123456789"
    assert str(model.client.base_url).startswith("http://127.0.0.1:8000/v1")
    keyless = llm.build_model("llama3", "http://localhost:11434/v1", environ={})
    assert keyless.client.api_key == llm.NO_KEY  # local servers take any key; none is invented from elsewhere


@pytest.mark.parametrize(
    ("spec", "api_base", "message"),
    [
        ("", None, "--model must be"),
        ("gpt 4", None, "--model must be"),
        ("m\n", None, "--model must be"),
        ("m", "ftp://host/v1", "--api-base must be an http"),
        ("m", "http://", "--api-base must be an http"),
        ("m", "http://user:sk-secret@host/v1", "must not carry credentials"),
    ],
)
def test_bad_model_options_are_bad_input(spec: str, api_base: str | None, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        llm.build_model(spec, api_base, environ={})


def test_a_litellm_name_needs_litellm() -> None:
    try:
        import litellm  # noqa: F401
    except ModuleNotFoundError:
        with pytest.raises(llm.LLMUnavailable, match="needs the `litellm` package") as err:
            llm.build_model("anthropic/claude-sonnet-4-5", environ={})
        assert err.value.exit_code == 3
    else:  # pragma: no cover - litellm is an optional extra
        model = llm.build_model("anthropic/claude-sonnet-4-5", environ={llm.KEY_ENV: "k" * 12})
        assert isinstance(model, LiteLLMModel) and model.api_key == "k" * 12


def test_without_the_openai_package_an_api_base_is_an_environment_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # what `import openai` meets when it is not installed
    with pytest.raises(llm.LLMUnavailable, match=r"smolagents\[openai\]") as err:
        llm.build_model("m", "http://127.0.0.1:1/v1", environ={})
    assert err.value.exit_code == 3


def test_brain_options_are_checked() -> None:
    pytest.importorskip("openai", reason="--api-base needs the openai package (smolagents[openai])")
    with pytest.raises(BadInput, match="--agent-style"):
        llm.LLMBrain.from_options("m", "http://127.0.0.1:1/v1", agent_style="json")
    model = llm.build_model("m", "http://127.0.0.1:1/v1", environ={})
    with pytest.raises(ValueError, match="max_steps"):
        llm.LLMBrain(model, max_steps=0)
    assert llm.LLMBrain(model, agent_style="tools").name == "llm"


# prompts and secrets ---------------------------------------------------------------------------
def test_the_prompts_file_has_every_prompt_and_the_task_states_the_goal(store, configs) -> None:
    texts = prompts()
    assert set(texts) == set(PROMPT_KEYS)
    assert "BEGIN DATA" in texts["instructions"] and "run_training" in texts["instructions"]
    ctx = campaign(store, configs)
    task = render_task(ctx, attempt=2, attempts=3)
    assert "val/acc (max, higher is better), target 0.99, on experiment digits" in task
    assert "Budget: 5 runs; 0 finished" in task and "Tier: 1 now, at most 1" in task
    assert "this is attempt 2 of 3" in task


def test_scrub_replaces_secret_looking_variables_only() -> None:
    env = {"OPENAI_API_KEY": "sk-abcdefgh1234", "MY_TOKEN": "tok-98765432", "HOME": "/root/somewhere"}
    text = "key sk-abcdefgh1234 and tok-98765432 at /root/somewhere"
    assert scrub(text, env) == f"key {REDACTED} and {REDACTED} at /root/somewhere"
    assert scrub("short", {"API_KEY": "short"}) == "short"  # too short to be a key; would scrub words

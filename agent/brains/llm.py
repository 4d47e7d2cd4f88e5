"""The LLM brain: a smolagents agent that studies the campaign with the tier tools and proposes one run.

This is the only module that imports smolagents. Each `propose` builds a fresh agent, so the
brain keeps no state between calls (a resumed campaign simply asks again), whose tools are the
campaign's tier tools (`tools_for_tier(ctx.tier)`) bound to the campaign and wrapped with
smolagents' `@tool` (their type hints and `Args:` lines are what the model reads), plus
`run_training`. That last tool only records a `Proposal`; the brain stops the agent at the end of
that step and returns it, and the campaign loop validates, approves and runs it. Nothing here
launches a run or starts a process.

Two agent styles: `code` (CodeAgent, the original design: the model writes Python that calls the
tools, run by smolagents' local interpreter with an empty import allowlist) and `tools`
(ToolCallingAgent: structured tool calls, no model-written code on the host). The interpreter is
not a security boundary (docs/llm_brain.md); what keeps the campaign safe is that the model's
output is untrusted too (every proposal passes the same gates as the strategist's) and that
nothing a run wrote reaches the model as free text.

When the agent makes no proposal, the brain tries again (`attempts` runs of at most `max_steps`
steps each) and then returns None (the loop then climbs a tier if the goal allows, else finishes);
a `final_answer` without a proposal is the model declining, and returns None at once. A failing
model endpoint raises `LLMUnavailable` (exit 3), which leaves the campaign resumable; its one line
names the endpoint problem in Sentinel's words (an HTTP status, a body that is not JSON, a reply
without `choices`, no connection), the campaign id and the resume command, never the client
library's exception text for a recognised failure.
"""

from __future__ import annotations

import importlib.resources
import inspect
import json
import logging
import os
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

import yaml
from rich.markup import escape
from smolagents import (
    AgentLogger,
    CodeAgent,
    LiteLLMModel,
    LocalPythonExecutor,
    LogLevel,
    Model,
    OpenAIModel,
    Tool,
    ToolCallingAgent,
    tool,
)
from smolagents.memory import ActionStep, FinalAnswerStep
from smolagents.utils import AgentGenerationError

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.brains._llm_proposal import ProposalDesk, run_training
from sentinel.agent.brains._llm_text import prompts, render, render_task, scrub
from sentinel.agent.brains._tool_text import tool_text
from sentinel.agent.errors import BadInput, LLMUnavailable
from sentinel.agent.tools import ToolContext, tools_for_tier

__all__ = [
    "AGENT_STYLES",
    "KEY_ENV",
    "LLMBrain",
    "LLMUnavailable",
    "brain_tools",
    "build_model",
]

AGENT_STYLES = ("code", "tools")
DEFAULT_MAX_STEPS = 10  # model calls per attempt: enough to read the history, check and propose
DEFAULT_ATTEMPTS = 2
CODE_TIMEOUT_S = 60  # wall time of one code step in the interpreter (tool calls included)
KEY_ENV = "SENTINEL_LLM_API_KEY"  # the key, when one is needed; only ever read from the environment
NO_KEY = "sentinel-no-key"  # what an OpenAI-compatible client sends to a local server that wants none
_MODEL_SPEC = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}")
_SMOLAGENTS_PROMPTS = {"code": "code_agent.yaml", "tools": "toolcalling_agent.yaml"}
_log = logging.getLogger(__name__)


# models ----------------------------------------------------------------------------------------
def build_model(spec: str, api_base: str | None = None, environ: Mapping[str, str] | None = None) -> Model:
    """LiteLLM for a provider name (`anthropic/...`, `openai/...`), or an OpenAI-compatible server
    (vLLM, Ollama, ...) at `api_base`. The key comes from the environment only: SENTINEL_LLM_API_KEY,
    else the variable the provider's client reads itself (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...)."""
    env = os.environ if environ is None else environ
    if not isinstance(spec, str) or not _MODEL_SPEC.fullmatch(spec):
        raise BadInput(f"--model must be a model name like openai/gpt-4o or qwen2.5:7b, got {spec!r:.80}")
    key = env.get(KEY_ENV) or None
    if api_base:
        url = _check_url(api_base)
        try:
            return OpenAIModel(
                model_id=spec,
                api_base=url,
                api_key=key or env.get("OPENAI_API_KEY") or NO_KEY,
                client_kwargs={"max_retries": 2, "timeout": 120.0},
            )
        except ModuleNotFoundError:
            raise LLMUnavailable(
                "--api-base needs the `openai` package: pip install 'smolagents[openai]'"
            ) from None
    try:
        return LiteLLMModel(model_id=spec, api_key=key)
    except ModuleNotFoundError:
        raise LLMUnavailable(
            f"--model {spec} needs the `litellm` package (see docs/llm_brain.md before installing it), "
            "or pass --api-base URL for an OpenAI-compatible server"
        ) from None


def _check_url(url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) and url.isprintable() and len(url) <= 300 else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--api-base must be an http(s) URL like http://127.0.0.1:8000/v1, got {url!r:.80}")
    if parts.username or parts.password:
        raise BadInput(f"--api-base must not carry credentials: put the key in {KEY_ENV}")
    return url


# tools -----------------------------------------------------------------------------------------
def _bind(fn: Callable[..., object], *bound: object) -> Tool:
    """`fn` with its first len(bound) arguments fixed, as a smolagents tool answering in text: the
    model sees the remaining arguments' hints and `Args:` lines, never the bound context, and
    reads the tool's typed record as this brain words it (`tool_text`)."""
    hints = typing.get_type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())
    hidden = {p.name for p in params[: len(bound)]}

    def call(*args: Any, **kwargs: Any) -> str:
        return tool_text(fn(*bound, *args, **kwargs))

    call.__name__ = call.__qualname__ = fn.__name__
    call.__doc__ = fn.__doc__
    signature = inspect.signature(fn)
    call.__signature__ = signature.replace(parameters=params[len(bound) :], return_annotation=str)  # type: ignore[attr-defined]
    call.__annotations__ = {**{k: v for k, v in hints.items() if k not in hidden}, "return": str}
    return tool(call)


def brain_tools(ctx: CampaignContext, desk: ProposalDesk) -> list[Tool]:
    """The campaign's tier tools bound to it, then run_training: the agent's whole world."""
    tctx = ToolContext.from_campaign(ctx)
    return [*(_bind(fn, tctx) for fn in tools_for_tier(ctx.tier)), _bind(run_training, tctx, desk)]


class _ToolsOnlyExecutor(LocalPythonExecutor):
    """smolagents' interpreter with an empty import allowlist: it otherwise always allows a few
    stdlib modules (time, random, ...); here the tools are the only capabilities."""

    def __init__(self) -> None:
        super().__init__([], timeout_seconds=CODE_TIMEOUT_S)
        self.authorized_imports: list[str] = []


# the brain -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Turn:
    """How one agent run ended: with a proposal, a decline (final_answer), or out of steps."""

    proposal: Proposal | None
    declined: str | None
    steps: int
    tokens: tuple[int, int]


class LLMBrain(Brain):
    """Proposes through a smolagents agent; see the module docstring for the contract."""

    name: ClassVar[str] = "llm"

    def __init__(
        self,
        model: Model,
        *,
        agent_style: str = "code",
        max_steps: int = DEFAULT_MAX_STEPS,
        attempts: int = DEFAULT_ATTEMPTS,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        if agent_style not in AGENT_STYLES:
            raise BadInput(f"--agent-style must be one of {', '.join(AGENT_STYLES)}, got {agent_style!r:.40}")
        if not 1 <= max_steps <= 50:
            raise ValueError(f"max_steps must be in 1..50, got {max_steps}")
        if not 1 <= attempts <= 5:
            raise ValueError(f"attempts must be in 1..5, got {attempts}")
        self.model, self.agent_style = model, agent_style
        self.max_steps, self.attempts = max_steps, attempts
        self._note = on_note or _log.info
        self.endpoint = ""  # the --api-base URL when there is one (named in endpoint failures)

    @classmethod
    def from_options(
        cls,
        model: str,
        api_base: str | None = None,
        agent_style: str = "code",
        on_note: Callable[[str], None] | None = None,
    ) -> LLMBrain:
        """What `sentinel campaign run --brain llm --model SPEC [--api-base URL]` builds."""
        if agent_style not in AGENT_STYLES:
            raise BadInput(f"--agent-style must be one of {', '.join(AGENT_STYLES)}, got {agent_style!r:.40}")
        brain = cls(build_model(model, api_base), agent_style=agent_style, on_note=on_note)
        brain.endpoint = scrub(api_base or "")
        return brain

    @property
    def label(self) -> str:
        return scrub(str(getattr(self.model, "model_id", None) or type(self.model).__name__))

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        try:
            return self._propose(ctx)
        except _EndpointFailed as failed:
            where = f"{self.label} at {self.endpoint}" if self.endpoint else self.label
            raise LLMUnavailable(
                f"the LLM endpoint ({where}) {failed.problem}; campaign {ctx.campaign_id} is saved: fix the "
                f"endpoint, then run `sentinel campaign resume {ctx.campaign_id}`"
            ) from None

    def _propose(self, ctx: CampaignContext) -> Proposal | None:
        for attempt in range(1, self.attempts + 1):
            desk = ProposalDesk(tier=ctx.tier)
            turn = self._turn(brain_tools(ctx, desk), render_task(ctx, attempt, self.attempts), desk)
            usage = f"{turn.steps} step(s), {turn.tokens[0]} tokens in, {turn.tokens[1]} out"
            if turn.proposal is not None:
                self.note(f"LLM brain ({self.label}, {self.agent_style}): proposal after {usage}")
                rationale = scrub(f"{turn.proposal.rationale} (LLM brain, model {self.label})")
                return replace(turn.proposal, rationale=rationale)
            if turn.declined is not None:
                self.note(f"LLM brain ({self.label}) proposes nothing more: {turn.declined}")
                return None
            ended = f"attempt {attempt}/{self.attempts} ended without a proposal"
            self.note(f"LLM brain ({self.label}): {ended} ({usage})")
        self.note(
            f"LLM brain ({self.label}): no valid proposal in {self.attempts} attempts of up to "
            f"{self.max_steps} steps; nothing was recorded and the campaign ends here"
        )
        return None

    def note(self, message: str) -> None:
        """Sentinel's wording with any model text inert: no secrets, no markup, one line."""
        self._note(escape(" ".join(scrub(message).split()))[:400])

    # one agent run ---------------------------------------------------------------------------
    def _turn(self, tools: list[Tool], task: str, desk: ProposalDesk) -> _Turn:
        agent = self._agent(tools)
        steps, tokens_in, tokens_out, declined = 0, 0, 0, None
        stream = agent.run(task, stream=True, max_steps=self.max_steps)
        try:
            for event in stream:
                if isinstance(event, FinalAnswerStep):
                    declined = " ".join(str(event.output)[:200].split()) or "(no reason given)"
                    break
                if not isinstance(event, ActionStep):
                    continue
                steps += 1
                if event.token_usage is not None:
                    tokens_in += event.token_usage.input_tokens
                    tokens_out += event.token_usage.output_tokens
                # Stop on a step boundary: the proposal is made, or the step budget is spent (this
                # also skips smolagents' extra "final answer" model call after max_steps).
                if desk.proposal is not None or (steps >= self.max_steps and not event.is_final_answer):
                    break
        except AgentGenerationError as err:
            raise _EndpointFailed(endpoint_problem(err)) from None
        finally:
            stream.close()
        if desk.proposal is not None:
            declined = None
        return _Turn(desk.proposal, declined, steps, (tokens_in, tokens_out))

    def _agent(self, tools: list[Tool]) -> CodeAgent | ToolCallingAgent:
        texts = prompts()
        templates = yaml.safe_load(
            importlib.resources.files("smolagents.prompts")
            .joinpath(_SMOLAGENTS_PROMPTS[self.agent_style])
            .read_text()
        )
        common: dict[str, Any] = {
            "tools": tools,
            "model": self.model,
            "instructions": render(texts["instructions"]),
            "max_steps": self.max_steps,
            "logger": AgentLogger(level=LogLevel.OFF),  # the campaign's live view speaks, not the agent
        }
        if self.agent_style == "code":
            templates["system_prompt"] = texts["code_system_prompt"]
            return CodeAgent(
                prompt_templates=templates,
                additional_authorized_imports=[],
                executor=_ToolsOnlyExecutor(),
                **common,
            )
        templates["system_prompt"] = texts["tools_system_prompt"]
        return ToolCallingAgent(prompt_templates=templates, **common)


class _EndpointFailed(Exception):
    """Inside the brain only: the model call failed; `propose` adds the campaign and the way out."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def endpoint_problem(err: BaseException) -> str:
    """Sentinel's wording of why a model call failed, from the exception chain's types alone
    (recognised failures), else the first line of the cause, scrubbed of secrets."""
    chain, seen = [], err
    while seen is not None and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for cause in chain:
        status = getattr(cause, "status_code", None)
        name = type(cause).__name__
        if isinstance(status, int):
            refused = " (the key was refused)" if status in (401, 403) else ""
            return f"answered HTTP {status}{refused}"
        if name == "APITimeoutError":
            return "did not answer in time"
        if name == "APIConnectionError":
            return "could not be reached (connection failed)"
        if isinstance(cause, json.JSONDecodeError):
            return "answered with a body that is not valid JSON (cut off, or not JSON at all)"
        if isinstance(cause, AttributeError) and "'str' object" in str(cause):
            return "answered with a page that is not valid JSON (an HTML or text page, e.g. a proxy)"
        if isinstance(cause, TypeError | KeyError | IndexError | AttributeError) and (
            "NoneType" in str(cause) or "choices" in str(cause)
        ):
            return "answered JSON with no choices (not a chat-completions reply)"
    return f"failed: {_first_line(err)}"


def _first_line(err: BaseException) -> str:
    cause = err.__cause__ or err
    lines = [line for line in str(cause).splitlines() if line.strip()] or [type(cause).__name__]
    return scrub(f"{type(cause).__name__}: {lines[0]}")[:300]

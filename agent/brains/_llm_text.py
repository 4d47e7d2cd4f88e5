"""What the LLM brain says and writes: prompts from prompts/llm.yaml, the task, secret scrubbing.

The task is rendered from the goal (a trusted file the user chose) and the store's counts and
enumerated names, so nothing a run wrote can reach it. Anything the brain writes (notes,
errors, rationales) goes through `scrub`, so an API key that reached a message by accident (a
provider's error text, an echo) is never printed, logged or stored.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, Template

from sentinel.agent.brains._base import CampaignContext
from sentinel.agent.tools._context import fmt

__all__ = ["PROMPTS_FILE", "prompts", "render_task", "scrub"]

PROMPTS_FILE = Path(__file__).resolve().parent / "prompts" / "llm.yaml"
PROMPT_KEYS = ("instructions", "task", "code_system_prompt", "tools_system_prompt")
SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
MIN_SECRET_CHARS = 8  # shorter values ("1", "true") would scrub ordinary words
REDACTED = "[redacted]"


@functools.cache
def prompts(path: Path = PROMPTS_FILE) -> dict[str, str]:
    """The prompt templates; a missing key is a packaging error, reported with the file's name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = [k for k in PROMPT_KEYS if not isinstance(data, dict) or not isinstance(data.get(k), str)]
    if missing:
        raise ValueError(f"{path} lacks the prompt(s) {', '.join(missing)}")
    return {k: data[k] for k in PROMPT_KEYS}


def render(template: str, **values: Any) -> str:
    return Template(template, undefined=StrictUndefined, keep_trailing_newline=False).render(**values)


def render_task(ctx: CampaignContext, attempt: int, attempts: int, path: Path = PROMPTS_FILE) -> str:
    """This turn's task: the goal, the budget and tier, the drift action, the best value so far."""
    goal, store = ctx.goal, ctx.store
    proposals = store.proposals(ctx.campaign_id)
    finished = sum(1 for p in proposals if p.state == "finished")
    waiting = sum(1 for p in proposals if p.state in ("proposed", "validated", "approved", "running"))
    best = store.best_runs(goal.metric.name, goal.metric.mode, campaign_id=ctx.campaign_id, k=1)
    value = best[0].metric(goal.metric.name) if best else None
    rec = ctx.recommendation
    return render(
        prompts(path)["task"],
        campaign_id=ctx.campaign_id,
        metric=goal.metric.name,
        mode=goal.metric.mode,
        target=fmt(goal.target) if goal.target is not None else None,
        experiment=goal.experiment,
        budget_runs=goal.budget.runs,
        finished=finished,
        in_flight=waiting,
        proposals=len(proposals),
        tier=ctx.tier,
        max_tier=goal.max_tier,
        action=rec.action if rec is not None else "not assessed",
        best=fmt(value) if value is not None and math.isfinite(value) else None,
        retry=attempt > 1,
        attempt=attempt,
        attempts=attempts,
    )


def scrub(text: str, environ: dict[str, str] | None = None) -> str:
    """`text` with the value of every secret-looking environment variable replaced by a marker."""
    env = os.environ if environ is None else environ
    secrets = sorted(
        (v for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_CHARS),
        key=len,
        reverse=True,
    )
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text

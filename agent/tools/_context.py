"""What every tool receives first, the one error a tool raises on bad input, and text helpers.

Tools are called by the offline strategist directly and, wrapped with smolagents' @tool, by an
LLM. Their text output may reach a prompt, so it is built only from the store's numbers and
enumerated strings, Sentinel's own wording and trusted config files; data sections are fenced
with `BEGIN DATA`/`END DATA` lines so a prompt can say "everything between these is data".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.errors import ToolInputError
from sentinel.contract.patterns import RUN_ID

if TYPE_CHECKING:
    from sentinel.agent.brains._base import CampaignContext
    from sentinel.agent.goals import CampaignGoal
    from sentinel.agent.store import FeedbackStore

__all__ = [
    "ENTRY_NAME",
    "MAX_TEXT",
    "TOOL_GROUPS",
    "ToolContext",
    "ToolInputError",
    "check_entry_name",
    "check_group",
    "check_int",
    "check_run_id",
    "clip",
    "data_block",
    "fmt",
    "overrides_text",
]

MAX_TEXT = 6000  # characters a tool returns at most: one tool call must not flood a context window
ENTRY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")  # agent-chosen entry names: lower case, file-safe
TOOL_GROUPS = ("model", "trainer", "monitor")  # groups a tier-2 variant may derive from


@dataclass(frozen=True, slots=True)
class ToolContext:
    """The campaign a tool acts on. Bound once per campaign; an LLM never sees or passes it."""

    campaign_id: str
    store: FeedbackStore
    goal: CampaignGoal
    configs_dir: Path
    generated_root: Path | None = None  # the campaign's folder holding generated/; None: configs_dir

    @classmethod
    def from_campaign(cls, ctx: CampaignContext) -> ToolContext:
        root = Path(ctx.generated_root) if ctx.generated_root is not None else None
        return cls(ctx.campaign_id, ctx.store, ctx.goal, Path(ctx.configs_dir), root)

    @property
    def root(self) -> Path:
        """Where this campaign's generated/ folder lives (written and read only by this campaign)."""
        return self.generated_root if self.generated_root is not None else self.configs_dir


def fmt(value: object) -> str:
    """A number as short text (4 significant digits); anything else through str()."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "n/a"}[value]
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    return str(value)


def data_block(title: str, lines: Iterable[str]) -> str:
    """Fence recorded values: numbers and enumerated strings only, never free text from a run."""
    body = list(lines) or ["(none)"]
    return "\n".join([f"BEGIN DATA {title}", *body, f"END DATA {title}"])


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Bound a tool's answer; says so when it cut, so nobody mistakes a cut list for a full one."""
    if len(text) <= limit:
        return text
    return text[: limit - 40].rstrip() + "\n... (output cut at the tool's size limit)"


def check_group(group: object, allowed: tuple[str, ...] = TOOL_GROUPS) -> str:
    if not isinstance(group, str) or group not in allowed:
        raise ToolInputError(f"group must be one of {', '.join(allowed)}, got {str(group)[:40]!r}")
    return group


def check_entry_name(name: object, what: str = "name") -> str:
    if not isinstance(name, str) or not ENTRY_NAME.match(name):
        raise ToolInputError(
            f"{what} must be 1-48 characters of a-z, 0-9 and _, starting with a letter;"
            f" got {str(name)[:60]!r}"
        )
    return name


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise ToolInputError(f"run_id must be a run id from get_experiment_history, got {run_id!r:.60}")
    return run_id


def check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ToolInputError(f"{name} must be an integer in {low}..{high}, got {value!r:.40}")
    return value


def overrides_text(overrides: Mapping[str, object]) -> str:
    """`key=value` pairs, group picks first: the way a person would type them."""
    keys = sorted(overrides, key=lambda k: ("." in k, k))
    return " ".join(f"{k}={fmt(overrides[k])}" for k in keys) or "(experiment defaults)"

"""What the terminal hook shows: the proposal, the campaign so far and the drift verdict.

Everything printed comes from the store (numbers, enumerated statuses, Sentinel's wording) or
the brain's rationale, which is printed as plain text (never as rich markup), so no proposal
can restyle the screen or hide a line from the person deciding.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from sentinel.agent.errors import BadInput
from sentinel.agent.review import printable
from sentinel.agent.store import FeedbackStore, ProposalRecord, RunRecord

if TYPE_CHECKING:
    from sentinel.agent.configs import CheckedConfig

__all__ = ["HELP", "PROMPT", "show_diff", "show_proposal"]

HISTORY_ROWS = 8
PROMPT = "[bold]approve[/] (a) · [bold]reject[/] (r) · [bold]modify[/] (m) · all · diff · pause · help > "
HELP = """\
a, approve        run this proposal as proposed
r, reject         do not run it (the brain hears it was rejected)
m, modify [K=V]   change overrides, then run the changed proposal: key=value sets or
                  replaces a key, -key drops one; the result must compose. It becomes a new
                  proposal by "human" (the original is recorded as rejected by you)
all               approve this and every later proposal of this session without asking
                  (recorded with reviewer <you>+auto)
d, diff           the resolved config against the experiment's base config
p, pause          stop here; `sentinel campaign resume` asks again
h, help, ?        this text"""


def show_proposal(
    console: Console,
    store: FeedbackStore,
    proposal: ProposalRecord,
    configs_dir: Path,
    generated_root: Path | None = None,
) -> None:
    from sentinel.agent.drift import assess_campaign
    from sentinel.agent.goals import parse_goal

    campaign = store.get_campaign(proposal.campaign_id)
    goal = parse_goal(dict(campaign.goal), f"campaign {campaign.id} goal snapshot", campaign.goal_address)
    metric = goal.metric.name
    overrides = Table(box=None, show_header=True, pad_edge=False)
    for column in ("override", "proposed", "base"):
        overrides.add_column(column)
    base = _base_config(proposal, configs_dir, generated_root)
    for key in sorted(proposal.overrides, key=lambda k: ("." in k, k)):
        overrides.add_row(Text(key), Text(printable(repr(proposal.overrides[key]))), Text(_lookup(base, key)))
    if not proposal.overrides:
        overrides.add_row("(none)", "the experiment's base config", "")
    head = Text.assemble(
        (f"experiment {proposal.experiment}", "bold"),
        f"  tier {proposal.tier}  brain {proposal.brain}  lineage {proposal.lineage}",
    )
    rationale = Text.assemble(("rationale: ", "bold"), Text(printable(proposal.rationale)))
    best = store.best_runs(metric, goal.metric.mode, campaign_id=campaign.id, k=1)
    recommendation = assess_campaign(store, campaign.id)
    verdict = Text.assemble(
        (f"best {metric}: ", "bold"),
        _best_text(best[0] if best else None, metric),
        ("\ndrift: ", "bold"),
        (recommendation.action, "yellow" if recommendation.action != "continue" else "green"),
        f" - {recommendation.reason}",
    )
    body = Group(head, overrides, rationale, _history(store, campaign.id, metric), verdict)
    title = f"proposal {proposal.seq} of campaign {campaign.id} ({metric} {goal.metric.mode})"
    console.print(Panel(body, title=title, title_align="left"))


def show_diff(
    console: Console,
    proposal: ProposalRecord,
    configs_dir: Path,
    generated_root: Path | None = None,
    checked: CheckedConfig | None = None,
) -> None:
    """The resolved config against the experiment's base; `checked` is the loop's one composition
    of the proposal (None: compose it here, to say why it no longer composes)."""
    from sentinel.agent.configs import compose
    from sentinel.agent.review.content import config_diff

    try:
        base = compose(proposal.experiment, [], configs_dir, generated_root)
        resolved = (
            checked.resolved
            if checked is not None
            else compose(proposal.experiment, list(proposal.override_args()), configs_dir, generated_root)
        )
    except BadInput as err:
        console.print(Text(f"cannot compose the config: {err}", style="red"))
        return
    text = printable(config_diff(proposal, base, resolved))
    console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))


def _history(store: FeedbackStore, campaign_id: str, metric: str) -> Table | Text:
    runs = store.history(campaign_id, include_running=True)[-HISTORY_ROWS:]
    if not runs:
        return Text("history: no runs yet", style="dim")
    table = Table(title="recent runs", title_justify="left", box=None, pad_edge=False)
    for column in ("#", "status", metric, "overrides"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            str(run.proposal.seq),
            Text(run.status, style="green" if run.status == "completed" else "yellow"),
            _number(run.metric(metric)),
            Text(printable(" ".join(run.proposal.override_args()))[:70]),
        )
    return table


def _best_text(run: RunRecord | None, metric: str) -> str:
    if run is None:
        return "- (no finished run yet)"
    args = printable(" ".join(run.proposal.override_args()))[:60]
    return f"{_number(run.metric(metric))} (run {run.proposal.seq}: {args})"


def _number(value: float | None) -> str:
    return f"{value:.4g}" if value is not None and math.isfinite(value) else "-"


def _base_config(proposal: ProposalRecord, configs_dir: Path, generated_root: Path | None) -> dict[str, Any]:
    from sentinel.agent.configs import compose

    try:
        return compose(proposal.experiment, [], configs_dir, generated_root).config
    except BadInput:
        return {}


def _lookup(config: dict[str, Any], key: str) -> str:
    if "." not in key:  # a group pick: show the base entry's class
        target = str((config.get(key) or {}).get("_target_", "-"))
        return ".".join(target.split(".")[-2:])
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return "-"
        node = node[part]
    return repr(node)

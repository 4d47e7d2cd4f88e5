"""`sentinel review list|show|approve|reject|modify`: decide offline review bundles.

These commands read and write only the reviews folder (SENTINEL_REVIEWS, default
<project>/reviews), never the FeedbackStore: `sentinel campaign resume` picks the decision up
and records it. A bundle is addressed by its proposal id (`17`) or as `CAMPAIGN/17`.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from sentinel.agent.cli._exit import mapped_errors
from sentinel.agent.cli._output import console, emit_json

app = typer.Typer(help="Offline review of proposed runs (bundles written by --approval offline).")

REVIEWER_HELP = "Who decides (recorded with the bundle's sha256); default: your login name."
DIFF_FILES = (("config.diff", "diff"), ("model.diff", "diff"), ("validator.json", "json"))


def _root():
    from sentinel.sandbox.paths import REVIEWS_DIR

    return REVIEWS_DIR


@app.command("list")
def list_cmd(
    campaign: str = typer.Option(None, "--campaign", help="Only this campaign's bundles."),
    pending: bool = typer.Option(False, "--pending", help="Only bundles without a decision."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every review bundle with its state (pending, approved, rejected, modified) and integrity."""
    from sentinel.agent.review import list_bundles, printable

    with mapped_errors():
        found = [s for s in list_bundles(_root(), campaign) if not pending or s.state == "pending"]
    if as_json:
        emit_json({"reviews": [s.to_json() for s in found]})
        return
    if not found:
        console.print(f"no review bundles under {_root()}")
        return
    table = Table(title=f"review bundles in {_root()}")
    for column in ("id", "campaign", "#", "tier", "state", "bundle", "overrides"):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(
            str(s.proposal_id),
            s.campaign,
            str(s.proposal.get("seq", "?")),
            str(s.proposal.get("tier", "?")),
            _state_text(s),
            (s.current or "-")[:12],
            Text(printable(" ".join(str(a) for a in s.proposal.get("override_args", [])))[:60]),
        )
    console.print(table)


@app.command("show")
def show(
    review_id: str = typer.Argument(..., metavar="ID", help="Proposal id (`review list`) or CAMPAIGN/ID."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The proposal, its config and model diffs (syntax-highlighted) and the validator report."""
    from sentinel.agent.review import find_bundle, inspect, printable

    with mapped_errors():
        status = inspect(find_bundle(_root(), review_id))
    if as_json:
        emit_json(status.to_json())
        return
    doc = status.proposal
    head = Table.grid(padding=(0, 2))
    for key in ("campaign", "seq", "experiment", "tier", "brain", "lineage", "parent_id", "model_ref"):
        head.add_row(Text(key, style="bold"), Text(printable(str(doc.get(key, "-")))))
    args = " ".join(map(str, doc.get("override_args", []))) or "-"
    head.add_row(Text("overrides", style="bold"), Text(printable(args)))
    head.add_row(Text("rationale", style="bold"), Text(printable(str(doc.get("rationale", "-")))))
    head.add_row(Text("state", style="bold"), _state_text(status))
    head.add_row(Text("bundle sha256", style="bold"), Text(status.current or "-"))
    console.print(Panel(head, title=f"review {status.proposal_id}  ({status.folder})", title_align="left"))
    for name, lexer in DIFF_FILES:
        path = status.folder / name
        if path.is_file() and not path.is_symlink():
            text = printable(path.read_text(encoding="utf-8", errors="replace"))
            console.print(Panel(Syntax(text, lexer, theme="ansi_dark", word_wrap=True), title=name))
    if status.state == "pending" and status.intact:
        ref = status.proposal_id
        console.print(f"decide: `sentinel review approve {ref}`, `reject {ref}` or `modify {ref} KEY=VALUE`")


@app.command("approve")
def approve(
    review_id: str = typer.Argument(..., metavar="ID"),
    reviewer: str = typer.Option(None, "--reviewer", help=REVIEWER_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Approve the bundle as it is now; `sentinel campaign resume` then runs the proposal."""
    _decide(review_id, "approved", reviewer, as_json)


@app.command("reject")
def reject(
    review_id: str = typer.Argument(..., metavar="ID"),
    reviewer: str = typer.Option(None, "--reviewer", help=REVIEWER_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Reject the proposal; the campaign records it and the brain moves on."""
    _decide(review_id, "rejected", reviewer, as_json)


@app.command("modify")
def modify(
    review_id: str = typer.Argument(..., metavar="ID"),
    changes: list[str] = typer.Argument(..., help="key=value sets or replaces a key; -key drops one."),
    reviewer: str = typer.Option(None, "--reviewer", help=REVIEWER_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run a changed proposal instead: it gets its own bundle to review after `campaign resume`."""
    _decide(review_id, "modified", reviewer, as_json, changes)


def _decide(review_id: str, decision: str, reviewer: str | None, as_json: bool, changes: Any = None) -> None:
    from sentinel.agent.campaign.approval import default_reviewer
    from sentinel.agent.review import checked_overrides, find_bundle, inspect, record_decision
    from sentinel.sandbox.paths import CONFIGS_DIR, RUNS_DIR

    with mapped_errors():
        folder = find_bundle(_root(), review_id)
        overrides = None
        if decision == "modified":  # the bundle folder is reviews/<campaign>/<id>
            generated_root = RUNS_DIR / folder.parent.name
            overrides = checked_overrides(
                inspect(folder).proposal, list(changes), CONFIGS_DIR, generated_root
            )
        made, new = record_decision(folder, decision, reviewer or default_reviewer(), overrides=overrides)
    campaign = folder.parent.name
    if as_json:
        emit_json({"id": int(folder.name), "campaign": campaign, "new": new, **made.to_json()})
        return
    verb = "recorded" if new else "already recorded"
    sha = (made.bundle_sha256 or "-")[:12]
    console.print(f"{verb}: review {folder.name} {made.decision} by {made.reviewer} (bundle {sha})")
    console.print(f"continue with `sentinel campaign resume {campaign}`")


def _state_text(status: Any) -> Text:
    if status.problem:
        return Text(f"{status.state}, damaged: {status.problem}", style="red")
    if status.changed_after_decision:
        return Text(f"{status.state}, CHANGED after the decision", style="red")
    if not status.intact:
        return Text(f"{status.state}, changed since written", style="red")
    style = {"approved": "green", "rejected": "yellow", "modified": "cyan"}.get(status.state, "bold")
    who = f" by {status.decision.reviewer}" if status.decision else ""
    return Text(f"{status.state}{who}", style=style)

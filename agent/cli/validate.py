"""`sentinel validate PATH... [--json]`: run the tier-3 policy on model files.

Exit 0 when every file is accepted, 1 when any is rejected (findings printed, or one JSON
object on stdout), 2 when a file cannot be read (one `error:` line on stderr, nothing on
stdout). Every file is read and judged before anything is printed, so an unreadable path
never leaves half a report behind. Findings quote hostile source, so what reaches the
terminal is escaped: no rich markup, no control characters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sentinel.agent.cli._exit import EXIT_FAILED, EXIT_OK, mapped_errors

if TYPE_CHECKING:
    from sentinel.validator import Report


def _printable(text: str) -> str:
    """Quote hostile text for a terminal: control and format characters become escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _print_reports(reports: list[Report]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    for report in reports:
        path = escape(_printable(report.path or "<source>"))
        if report.accepted:
            entries = ", ".join(report.entry_points) or "-"
            console.print(f"[green]accepted[/green] {path} (model classes: {escape(entries)})")
            continue
        console.print(f"[red]rejected[/red] {path}: {len(report.violations)} finding(s)")
        for v in report.violations:
            message = escape(_printable(v.message))
            console.print(f"  {path}:{v.line}:{v.column}: [bold]{v.code}[/bold] {message}")
            if v.snippet:
                console.print(f"      [dim]{escape(_printable(v.snippet))}[/dim]")


def validate(
    paths: Annotated[list[Path], typer.Argument(help="Model source files to judge.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Check generated model code against the tier-3 policy (never imports it)."""
    from sentinel.validator import validate_path

    with mapped_errors():
        reports = [validate_path(path) for path in paths]
    accepted = all(report.accepted for report in reports)
    if as_json:
        payload = {"accepted": accepted, "files": [report.to_dict() for report in reports]}
        typer.echo(json.dumps(payload, sort_keys=True))
    else:
        _print_reports(reports)
    raise typer.Exit(EXIT_OK if accepted else EXIT_FAILED)

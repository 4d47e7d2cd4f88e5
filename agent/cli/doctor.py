"""`sentinel doctor [--fix] [--json]`: what this machine has for sandboxed runs."""

from __future__ import annotations

import typer
from rich.table import Table

from sentinel.agent.cli._exit import EXIT_ENVIRONMENT, mapped_errors
from sentinel.agent.cli._output import console, emit_json, err_console


def doctor(
    fix: bool = typer.Option(False, "--fix", help="Install, start and build what is missing (root)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Check engine, runtimes (runc, runsc), runtime image and data; --fix repairs what it can."""
    from sentinel.sandbox.data import prepare_all, verify
    from sentinel.sandbox.doctor import run_doctor
    from sentinel.sandbox.errors import EngineUnavailable
    from sentinel.sandbox.paths import DATA_DIR

    def say(message: str) -> None:
        if not as_json:
            err_console.print(f"[dim]doctor:[/] {message}")

    with mapped_errors():
        report = run_doctor(
            fix=fix,
            data_dir=DATA_DIR,
            progress=say,
            prepare_data=prepare_all,
            data_ready=lambda d: not verify(d),
        )
    if as_json:
        emit_json(report.to_json())
    else:
        table = Table(title="sentinel doctor", show_lines=False)
        table.add_column("check")
        table.add_column("ok")
        table.add_column("detail")
        for check in report.checks:
            table.add_row(check.name, "[green]yes[/]" if check.ok else "[red]no[/]", check.detail)
        console.print(table)
        for line in report.fixed:
            console.print(f"[cyan]fixed:[/] {line}")
    if not report.engine_ok:
        if as_json:  # the JSON object says it; stderr stays quiet for scripts
            raise typer.Exit(EXIT_ENVIRONMENT)
        with mapped_errors():
            raise EngineUnavailable(
                "no Docker engine", "run `sentinel doctor --fix` as root to install and start one"
            )
    raise typer.Exit(0 if report.ok else EXIT_ENVIRONMENT)

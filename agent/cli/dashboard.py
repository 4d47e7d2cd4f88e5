"""`sentinel dashboard CAMPAIGN [--out FILE] [--mlflow DIR]`: one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import typer

from sentinel.agent.cli._exit import mapped_errors
from sentinel.agent.cli._output import console


def dashboard(
    campaign: str = typer.Argument(..., help="Campaign id (see `sentinel campaign status`)."),
    out: Path = typer.Option(
        None, "--out", help="HTML file to write (default: runs/<campaign>/dashboard.html)."
    ),
    mlflow: Path = typer.Option(
        None, "--mlflow", help="Also export the runs to this MLflow file store folder (an mlruns root)."
    ),
) -> None:
    """Write the campaign's dashboard: opens from disk, no network, no scripts."""
    from sentinel.agent.dashboard import export_mlflow, write_dashboard
    from sentinel.agent.errors import BadInput
    from sentinel.agent.store import open_store
    from sentinel.sandbox.paths import RUNS_DIR

    with mapped_errors():
        db = RUNS_DIR / "feedback.db"
        if not db.is_file():
            raise BadInput(f"no campaigns yet: {db} does not exist (start one with `sentinel campaign run`)")
        store = open_store(db)
        target = out or RUNS_DIR / campaign / "dashboard.html"
        if target.is_dir():
            raise BadInput(f"--out {target} is a folder; name the HTML file to write")
        store.get_campaign(campaign)  # an unknown id is bad input (exit 2), before anything is written
        written = write_dashboard(store, campaign, target, RUNS_DIR)
        exported = export_mlflow(store, campaign, mlflow, RUNS_DIR) if mlflow is not None else None
    console.print(f"dashboard: {written}")
    if exported is not None:
        console.print(
            f"mlflow: {exported.runs} run(s) in experiment {exported.experiment_name!r}"
            f" (id {exported.experiment_id}) under {exported.folder}"
        )

"""`sentinel dashboard CAMPAIGN [--out FILE] [--mlflow-uri URI]`: one self-contained HTML page."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from sentinel.agent.cli._exit import mapped_errors
from sentinel.agent.cli._output import console

MAX_NAME_BYTES = 255


def check_campaign_id(campaign: str) -> None:
    from sentinel.agent.errors import BadInput
    from sentinel.agent.store._values import PATTERNS

    if not PATTERNS["campaign_id"].fullmatch(campaign):
        shown = repr(campaign[:40]) + ("..." if len(campaign) > 40 else "")
        raise BadInput(f"{shown} is not a campaign id (see `sentinel campaign status`)")


def _check_out(out: Path) -> None:
    """--out names a file in an existing folder: the folder is never created, a folder is refused."""
    from sentinel.agent.errors import BadInput

    if len(out.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise BadInput(f"--out file name is longer than {MAX_NAME_BYTES} bytes")
    if out.is_dir():
        raise BadInput(f"--out {out} is a folder; name the HTML file to write")
    if not out.parent.is_dir():
        raise BadInput(f"--out {out}: folder {out.parent} does not exist (it is not created)")


@contextmanager
def _written(target: Path) -> Iterator[None]:
    """File-system refusals as one line: a folder you may not write is bad input (exit 2), a full
    disk is the environment (exit 3). The writer is atomic, so nothing half-written stays."""
    from sentinel.agent.errors import BadInput, EnvironmentProblem

    try:
        yield
    except OSError as err:
        why = err.strerror or type(err).__name__
        if err.errno in {errno.ENOSPC, errno.EDQUOT, errno.EIO}:
            raise EnvironmentProblem(f"cannot write {target}: {why}") from None
        raise BadInput(f"cannot write {target}: {why}") from None


def dashboard(
    campaign: str = typer.Argument(..., help="Campaign id (see `sentinel campaign status`)."),
    out: Path = typer.Option(
        None, "--out", help="HTML file to write (default: runs/<campaign>/dashboard.html)."
    ),
    mlflow_uri: str = typer.Option(
        None,
        "--mlflow-uri",
        help="Also export the runs to this MLflow tracking URI (e.g. sqlite:///mlflow.db, http://host:5000).",
    ),
) -> None:
    """Write the campaign's dashboard: opens from disk, no network, no scripts."""
    from sentinel.agent.dashboard import check_tracking_uri, export_mlflow, write_dashboard
    from sentinel.agent.errors import BadInput
    from sentinel.agent.store import open_store
    from sentinel.sandbox.paths import RUNS_DIR

    with mapped_errors():
        check_campaign_id(campaign)  # a 5000-character id is bad input, not a path to try
        db = RUNS_DIR / "feedback.db"
        if not db.is_file():
            raise BadInput(f"no campaigns yet: {db} does not exist (start one with `sentinel campaign run`)")
        target = out or RUNS_DIR / campaign / "dashboard.html"
        if out is not None:
            _check_out(out)
        if mlflow_uri is not None:
            check_tracking_uri(mlflow_uri)  # its shape, before anything is written
        store = open_store(db)
        store.get_campaign(campaign)  # an unknown id is bad input (exit 2), before anything is written
        with _written(target):
            written = write_dashboard(store, campaign, target, RUNS_DIR)
        exported = export_mlflow(store, campaign, mlflow_uri, RUNS_DIR) if mlflow_uri is not None else None
    console.print(f"dashboard: {written}")
    if exported is not None:
        console.print(
            f"mlflow: {exported.runs} run(s) in experiment {exported.experiment_name!r}"
            f" (id {exported.experiment_id}) at {exported.tracking_uri}"
        )

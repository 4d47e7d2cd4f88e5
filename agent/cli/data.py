"""`sentinel data prepare`: datasets into the data folder that runs mount read-only."""

from __future__ import annotations

from pathlib import Path

import typer

from sentinel.agent.cli._exit import mapped_errors
from sentinel.agent.cli._output import console, emit_json

app = typer.Typer(help="Datasets.", no_args_is_help=True)


@app.command("prepare")
def prepare(
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Target folder (default: SENTINEL_DATA or ./data)."
    ),
    force: bool = typer.Option(False, "--force", help="Regenerate even when present and verified."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Generate or verify every dataset (digits, ppg_hr, ecg_rhythm, synthetic_vae) with checksums."""
    from sentinel.sandbox.data import prepare_all
    from sentinel.sandbox.paths import DATA_DIR

    target = data_dir or DATA_DIR
    with mapped_errors(), console.status(f"preparing datasets in {target}"):
        infos = prepare_all(target, force=force)
    if as_json:
        emit_json({"data_dir": str(target), "datasets": [getattr(i, "name", str(i)) for i in infos]})
    else:
        console.print(f"datasets ready in {target}: {', '.join(getattr(i, 'name', str(i)) for i in infos)}")

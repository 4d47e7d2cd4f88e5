"""`sentinel sandbox run`: one hardened, network-less training run with a live progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentinel.agent.cli._exit import EXIT_FAILED, mapped_errors
from sentinel.agent.cli._output import console, emit_json, err_console

app = typer.Typer(help="Sandboxed training runs.", no_args_is_help=True)

UNSAFE_WARNING = (
    "WARNING: --unsafe-skip-validation runs the model file WITHOUT the static validator.\n"
    "         Only the container boundary stands between that code and this machine.\n"
    "         This flag exists for security tests of that boundary; never use it on real work."
)


class _LiveMetrics:
    """Feeds the progress bar from metrics.jsonl as the run writes it (read as hostile input)."""

    def __init__(self, progress: Progress, task: int, epochs: int) -> None:
        from sentinel.sandbox.artifacts import MetricsTail

        self._progress, self._task, self._epochs = progress, task, max(epochs, 1)
        self._tail: MetricsTail | None = None
        self._tail_cls = MetricsTail

    def __call__(self, artifacts_dir: Path) -> None:
        if self._tail is None:
            self._tail = self._tail_cls(artifacts_dir)
        records = self._tail.poll()
        for record in records:
            label = f"epoch {record.epoch + 1}/{self._epochs} step {record.step}"
            if record.split == "val":
                self._progress.update(self._task, completed=min(record.epoch + 1, self._epochs))
                label += f"  val loss {record.loss:.4g}"
            self._progress.update(self._task, description=label)


def _result_table(outcome) -> Table:
    table = Table(title=f"run {outcome.run_id}")
    table.add_column("field")
    table.add_column("value")
    table.add_row("status", outcome.status)
    table.add_row("reason", outcome.reason)
    result = outcome.result
    if result is not None:
        table.add_row("isolation", result.isolation)
        table.add_row("wall time", f"{result.seconds:.1f} s")
        summary = result.artifacts.summary if result.artifacts else None
        if summary is not None and summary.best is not None:
            table.add_row("best epoch", str(summary.best.epoch))
            for key, value in sorted(summary.best.values.items()):
                table.add_row(f"claimed best {key}", f"{value:.4g}")
        if result.trusted is not None:  # computed by the host from the run's predictions
            for key, value in sorted(result.trusted.values.items()):
                table.add_row(f"trusted {key}", "n/a" if value is None else f"{value:.4g}")
    table.add_row("folder", str(outcome.out_dir))
    return table


@app.command("run")
def run(
    experiment: str = typer.Argument("ppg_hr", help="Experiment in configs/experiments/."),
    overrides: list[str] = typer.Argument(None, help="Overrides like trainer.lr=0.001 model=cnn1d."),
    model_file: Path = typer.Option(None, "--model-file", help="A tier-3 model file (validated first)."),
    isolation: str = typer.Option("runc", "--isolation", help="runc (hardened) or gvisor (runsc)."),
    timeout: float = typer.Option(600.0, "--timeout", help="Wall-clock limit in seconds."),
    cpus: float = typer.Option(1.0, "--cpus"),
    memory: str = typer.Option("2g", "--memory"),
    no_monitor: bool = typer.Option(False, "--no-monitor", help="Train without the in-loop monitor."),
    out: Path = typer.Option(None, "--out", help="Run folder (default runs/adhoc/<run id>)."),
    keep_image: bool = typer.Option(False, "--keep-image", help="Keep the per-run image after the run."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    unsafe_skip_validation: bool = typer.Option(
        False, "--unsafe-skip-validation", help="Security tests only: run --model-file without the validator."
    ),
) -> None:
    """Train EXPERIMENT in a hardened container and print the result."""
    from sentinel.agent.launch import LaunchRequest, launch_run, resolve_request
    from sentinel.agent.review import printable

    if unsafe_skip_validation:
        err_console.print(f"[bold red]{UNSAFE_WARNING}[/]")
    request = LaunchRequest(
        experiment=experiment,
        overrides=tuple(overrides or ()),
        model_file=model_file,
        isolation=isolation,
        timeout_s=timeout,
        cpus=cpus,
        memory=memory,
        out_dir=out,
        keep_image=keep_image,
        unsafe_skip_validation=unsafe_skip_validation,
        monitor=not no_monitor,
    )
    with mapped_errors():
        resolved = resolve_request(request)  # composed once: bad input fails here, nothing written
        if as_json:
            outcome = launch_run(resolved, request)
        else:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as progress:
                task = progress.add_task(f"starting {experiment}", total=None)
                live: list[_LiveMetrics] = []

                def on_poll(artifacts_dir: Path, config: dict) -> None:
                    if not live:
                        epochs = int(config.get("trainer", {}).get("epochs", 1))
                        progress.update(task, total=epochs)
                        live.append(_LiveMetrics(progress, task, epochs))
                    live[0](artifacts_dir)

                outcome = launch_run(resolved, request, on_progress=on_poll)
    if as_json:
        emit_json(outcome.to_json())
    else:
        console.print(_result_table(outcome))
        if outcome.status not in {"completed"} and outcome.result is not None and outcome.result.log_tail:
            err_console.print("[dim]last lines of the run's output:[/]")
            # The run's own output is hostile: escape sequences must not reach the operator's terminal.
            err_console.print(printable(outcome.result.log_tail[-2000:]), markup=False, highlight=False)
    raise typer.Exit(0 if outcome.status == "completed" else EXIT_FAILED)

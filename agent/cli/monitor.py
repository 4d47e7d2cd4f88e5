"""`sentinel monitor`: the in-loop monitor's operator and research views.

`spec` prints the decision process generated from the monitor's own definitions; `status` lists
the latest experience records from monitor_events.jsonl files (read as hostile input: only
enumerated names and numbers reach the terminal); `bench` runs the counterfactual benchmark.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sentinel.agent.cli._exit import EXIT_OK, mapped, mapped_errors
from sentinel.agent.cli._output import console, emit_json, err_console
from sentinel.agent.errors import AgentError, BadInput

if TYPE_CHECKING:
    from sentinel.agent.monitoring.bench.sandbox_executor import SandboxExecutor
    from sentinel.agent.monitoring.status import Experience

app = typer.Typer(help="The in-loop training monitor.", no_args_is_help=True)

MAX_EVENT_FILES = 1000
MAX_ROWS = 10_000
EXECUTORS = ("sandbox", "host", "ray")  # the first is the default; ray: sandbox runs on a Ray cluster


def _load_config(path: Path | None):
    from sentinel.monitor.config import MonitorConfig

    if path is None:
        return MonitorConfig()
    import yaml

    try:
        with path.open("rb") as fh:
            raw = yaml.safe_load(fh.read(256 * 1024))
        return MonitorConfig.from_params(raw)
    except (OSError, yaml.YAMLError, ValueError) as err:
        raise BadInput(f"{path}: {str(err).splitlines()[0]}") from None


@app.command("spec")
@mapped
def spec(
    config: Path | None = typer.Option(None, "--config", help="A monitor config (the `monitor:` mapping)."),
) -> None:
    """Print the monitor's decision process (observations, anomalies, actions, transitions, reward)."""
    from sentinel.monitor.spec import render_spec

    print(render_spec(_load_config(config)))
    raise typer.Exit(EXIT_OK)


def _fmt(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4g}"


def _store_rows(store_path: Path, campaign: str | None, n: int) -> list[Experience]:
    from sentinel.agent.monitoring.status import experience_rows
    from sentinel.agent.store import open_store

    records = open_store(store_path).latest_experiences(n, campaign)
    return experience_rows(((r.run_id, r) for r in records), n)


@app.command("status")
@mapped
def status(
    n: int = typer.Option(20, "--n", min=1, max=MAX_ROWS, help="How many experiences to list."),
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign's runs."),
    store: Path | None = typer.Option(
        None, "--store", help="The experience store (default: the campaigns' feedback.db)."
    ),
    events: list[Path] = typer.Option(
        [], "--events", help="Read monitor_events.jsonl files instead of the store (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """List the latest experiences (anomaly, evidence, action, outcome, reward) from the experience
    store the campaigns fill, or from monitor_events.jsonl files given with --events."""
    from sentinel.agent.monitoring.status import experience_rows, read_event_files
    from sentinel.sandbox.paths import RUNS_DIR

    def fail(message: str) -> None:
        raise BadInput(message)

    notes: list[dict] = []
    if events:
        if len(events) > MAX_EVENT_FILES:
            fail(f"at most {MAX_EVENT_FILES} --events files")
        if campaign is not None or store is not None:
            fail("--events reads files: it cannot be combined with --campaign or --store")
        parsed = read_event_files(events)
        rows = experience_rows(((i, e) for i, f in enumerate(parsed) for e in f.events), n)
        notes = [
            {"file": i, "rejected": f.rejection, "notes": list(f.notes)}
            for i, f in enumerate(parsed)
            if f.rejection or f.notes
        ]
    else:
        store_path = store or RUNS_DIR / "feedback.db"
        if not store_path.is_file():
            fail(f"no experience store at {store_path}: run a campaign first, or pass --events FILE")
        with mapped_errors():  # an unknown campaign or a store from another version: one line
            rows = _store_rows(store_path, campaign, n)
    if as_json:
        emit_json(
            {
                "experiences": [
                    {
                        "source": str(r.source),
                        "step": r.step,
                        "anomaly": r.anomaly,
                        "action": r.action,
                        "outcome": r.outcome,
                        "reward": r.reward if math.isfinite(r.reward) else None,
                        "evidence": {k: v if math.isfinite(v) else None for k, v in r.evidence.items()},
                        "measured": {k: v if math.isfinite(v) else None for k, v in r.params.items()},
                    }
                    for r in rows
                ],
                "notes": notes,
            }
        )
        raise typer.Exit(EXIT_OK)
    table = Table(title=f"latest {len(rows)} monitor experiences")
    for column in (
        "run" if not events else "file",
        "step",
        "anomaly",
        "evidence",
        "action",
        "outcome",
        "reward",
    ):
        table.add_column(column)
    for r in rows:
        evidence = " ".join(f"{k}={_fmt(v)}" for k, v in sorted(r.evidence.items()))
        table.add_row(str(r.source), str(r.step), r.anomaly, evidence, r.action, r.outcome, _fmt(r.reward))
    console.print(table, markup=False, highlight=False)
    for i, path in enumerate(events):
        console.print(f"file {i}: {path}", markup=False, highlight=False)
    for note in notes:
        what = f"rejected: {note['rejected']}" if note["rejected"] else "; ".join(note["notes"])
        err_console.print(f"note: file {note['file']}: {what}", markup=False, highlight=False)
    raise typer.Exit(EXIT_OK)


def _sandbox_executor(data: Path, isolation: str, timeout: float, launch=None) -> SandboxExecutor:
    """Check the engine and build or find the runtime image once, then pin it for every run, so
    parallel jobs never race to build it and both twins of a pair run the same code."""
    from sentinel.agent.monitoring.bench.sandbox_executor import SandboxExecutor
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.errors import EngineUnavailable
    from sentinel.sandbox.images import ensure_runtime_image
    from sentinel.sandbox.spec import ISOLATIONS

    def say(message: str) -> None:
        err_console.print(f"image: {message}", markup=False, highlight=False)

    engine = Engine()
    runtime_name = ISOLATIONS[isolation]
    if runtime_name not in engine.runtimes():
        raise EngineUnavailable(f"the engine has no {runtime_name} runtime for --isolation {isolation}")
    runtime = ensure_runtime_image(engine, progress=say)
    if launch is None:
        return SandboxExecutor(data, isolation, timeout_s=timeout, runtime_image=runtime.tag)
    return SandboxExecutor(data, isolation, timeout_s=timeout, runtime_image=runtime.tag, launch=launch)


@app.command("bench")
@mapped
def bench(
    suite: Path | None = typer.Option(
        None, "--suite", help="Suite YAML (default: configs/monitor/bench_default.yaml)."
    ),
    seeds: int | None = typer.Option(
        None, "--seeds", min=1, max=100, help="Use seeds 0..N-1 for every condition (--space: 3)."
    ),
    space: Path | None = typer.Option(
        None, "--space", help="Sample conditions from a space YAML (configs/monitor/space.yaml) instead."
    ),
    sample: int = typer.Option(60, "--sample", help="--space: how many conditions to draw."),
    split: str = typer.Option("tune", "--split", help="--space: tune or holdout (by hash of the setup)."),
    seed: int = typer.Option(0, "--seed", min=0, help="--space: the sampler's seed."),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: runs/monitor-bench/<time>)."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Prepared data (default: SENTINEL_DATA or ./data)."
    ),
    jobs: int = typer.Option(1, "--jobs", min=1, max=16, help="Runs at once (each uses one CPU)."),
    executor: str = typer.Option(
        "sandbox",
        "--executor",
        help="sandbox: each run in the hardened container; host: python subprocesses, no isolation; "
        "ray: sandbox runs on a Ray cluster's Docker nodes.",
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="--executor ray: the head's host:port."
    ),
    isolation: str = typer.Option("runc", "--isolation", help="Sandbox isolation: runc or gvisor (runsc)."),
    timeout: float = typer.Option(600.0, "--timeout", min=10.0, help="Seconds per run."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
) -> None:
    """Counterfactual benchmark: each condition monitored and as a shadow, same seed and faults."""
    import time

    from sentinel.agent.configs.compose import compose
    from sentinel.agent.monitoring.bench import (
        HostSubprocessExecutor,
        SuiteError,
        format_summary,
        load_suite,
        run_suite,
        write_results,
    )
    from sentinel.sandbox.paths import CONFIGS_DIR, DATA_DIR, RUNS_DIR
    from sentinel.sandbox.spec import ISOLATIONS

    def fail(message: str) -> None:
        raise BadInput(message)

    if executor not in EXECUTORS:
        fail(f"unknown executor {executor!r} (available: {', '.join(EXECUTORS)})")
    if isolation not in ISOLATIONS:
        fail(f"unknown isolation {isolation!r} (available: {', '.join(sorted(ISOLATIONS))})")
    if space is not None and suite is not None:
        fail("--space and --suite are alternatives: give one")
    try:
        if space is not None:
            from sentinel.agent.monitoring.bench.sampling import sample_space
            from sentinel.agent.monitoring.bench.space import load_space

            spec = sample_space(load_space(space), sample, split, seed, seeds or 3)
        else:
            spec = load_suite(suite or CONFIGS_DIR / "monitor" / "bench_default.yaml")
            if seeds is not None:
                spec = spec.with_seeds(seeds)
    except (OSError, SuiteError) as err:
        fail(str(err).splitlines()[0])
    data = data_dir or DATA_DIR
    if not (data / "MANIFEST.json").is_file():
        fail(f"no prepared data in {data}: run `sentinel data prepare` first")

    def composed(experiment: str, overrides: list[str]) -> dict:
        return compose(experiment, overrides, CONFIGS_DIR).config

    with mapped_errors():  # a condition that does not compose is bad input, caught before any run
        for condition in spec.conditions:
            for monitored in (True, False):
                composed(condition.experiment, condition.run_overrides(condition.seeds[0], monitored))
    if executor in ("sandbox", "ray"):
        with mapped_errors():  # no engine, runtime or image: exit 3 before any folder exists
            from sentinel.agent.executors import make_executor

            launch = make_executor("ray", ray_address).launch if executor == "ray" else None
            runner = _sandbox_executor(data, isolation, timeout, launch)
    else:
        runner = HostSubprocessExecutor(composed, data, timeout_s=timeout)
    folder = out or RUNS_DIR / "monitor-bench" / time.strftime("%Y%m%d-%H%M%S", time.gmtime())

    def progress(request, outcome) -> None:
        arm = "monitored" if request.monitored else "shadow"
        err_console.print(
            f"{request.condition} seed {request.seed} {arm}: {outcome.status} ({outcome.seconds:.1f} s)",
            markup=False,
            highlight=False,
        )

    try:
        with mapped_errors():  # the engine or the pinned image vanishing mid-bench is exit 3
            result = run_suite(spec, runner, folder, jobs, progress)
    finally:
        if isinstance(runner, HostSubprocessExecutor):
            runner.close()
    write_results(result, folder)
    if space is not None:
        from sentinel.agent.monitoring.bench.sampling import suite_yaml

        (folder / "suite.yaml").write_text(suite_yaml(spec), encoding="utf-8")
    from sentinel.agent.dashboard.bench_results import bench_report

    (folder / "report.html").write_text(bench_report(result, folder), encoding="utf-8")
    if as_json:
        print((folder / "summary.json").read_text(), end="")
    else:
        print((folder / "results_table.txt").read_text())
        print(format_summary(result))
        print(f"results in {folder} (report.html: table and paired curves)")
    unjudged = result.summary()["unjudgeable_pairs"] + result.summary()["invalid_baselines"]
    if unjudged:
        raise AgentError("a clean baseline's shadow failed: its conditions are unjudgeable (see summary)")
    raise typer.Exit(EXIT_OK)

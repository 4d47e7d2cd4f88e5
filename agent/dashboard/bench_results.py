"""A finished `sentinel monitor bench` folder as its HTML report (report.html).

The table comes from the scored pairs; the curves are each twin's train loss, read back from its
artifacts through the sandbox's hostile reader (a run that wrote something unreadable simply has
no curve), with the monitor's interventions marked on the monitored curve.
"""

from __future__ import annotations

import math
from pathlib import Path

from sentinel.agent.dashboard.bench import BenchCurves, Value, render_bench_page
from sentinel.agent.monitoring.bench import BenchResult, PairResult, format_summary, run_folder
from sentinel.sandbox.artifacts import read_artifacts

__all__ = ["bench_report"]

MAX_CURVES = 60  # one chart per faulty pair keeps a default-suite page readable and small


def _row(p: PairResult) -> dict[str, Value]:
    def loss(value: float) -> float | None:
        return value if math.isfinite(value) else None

    return {
        "condition": p.condition.name,
        "seed": p.seed,
        "monitored final loss": loss(p.monitored.final_loss),
        "shadow final loss": loss(p.shadow.final_loss),
        "delta": loss(p.delta),
        "verdict": p.verdict,
        "no harm": p.harmless,
        "first action": None if p.first_action == "-" else p.first_action,
        "latency": loss(p.latency),
        "monitored status": p.monitored.status,
        "shadow status": p.shadow.status,
    }


def _train_loss(run_dir: Path) -> list[tuple[float, float]]:
    artifacts = read_artifacts(run_dir / "artifacts")
    if not artifacts.accepted:
        return []
    return [(float(m.step), m.loss) for m in artifacts.metrics if m.split == "train"]


def bench_report(result: BenchResult, out_dir: Path) -> str:
    """The report page of `result`, whose runs live under `out_dir` (as run_suite left them)."""
    curves: dict[str, BenchCurves] = {}
    for p in result.pairs:
        if p.verdict == "clean" and not p.detected:
            continue  # an untouched clean pair's twins are the same curve
        if len(curves) >= MAX_CURVES:
            break
        curves[f"{p.condition.name} seed {p.seed}"] = {
            "monitored": _train_loss(run_folder(out_dir, p.condition.name, p.seed, True)),
            "shadow": _train_loss(run_folder(out_dir, p.condition.name, p.seed, False)),
            "events": [(float(e.step), e.action) for e in p.decisions],
        }
    return render_bench_page(
        [_row(p) for p in result.pairs],
        curves,
        title=f"Monitor benchmark: suite {result.suite.name}",
        summary=format_summary(result).splitlines(),
    )

"""Benchmark outputs: results_table.txt (the original system's columns plus ours),
experiment_log.jsonl (one object per twin pair) and summary.json, all numbers and names only."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sentinel.agent.monitoring.bench.harness import BenchResult, PairResult, interventions

__all__ = ["format_summary", "pair_record", "write_results"]

_COLUMNS = (
    "condition",
    "seed",
    "agent loss",
    "shadow loss",
    "delta",
    "detected",
    "intervened",
    "resolved",
    "first action",
    "latency",
    "shadow status",
)


def _num(value: float, digits: int = 4) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}g}"


def _resolved(p: PairResult) -> str:
    return {
        "resolved": "yes",
        "unresolved": "no",
        "benign": "benign",
        "clean": "-",
        "invalid_baseline": "invalid baseline",
        "unjudgeable": "unjudgeable",
    }[p.verdict]


def _row(p: PairResult) -> tuple[str, ...]:
    return (
        p.condition.name,
        str(p.seed),
        _num(p.monitored.final_loss),
        _num(p.shadow.final_loss),
        _num(p.delta, 3),
        "yes" if p.detected else "no",
        "yes" if p.intervened else "no",
        _resolved(p),
        p.first_action,
        _num(p.latency, 3),
        p.shadow.status,
    )


def results_table(result: BenchResult) -> str:
    rows = [_COLUMNS, *(_row(p) for p in result.pairs)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def pair_record(p: PairResult) -> dict[str, Any]:
    def arm(run: Any) -> dict[str, Any]:
        return {
            "status": run.status,
            "final_loss": _finite(run.final_loss),
            "best_loss": _finite(run.best_loss),
            "steps": run.steps,
            "start_loss": _finite(run.start_loss),
            "seconds": round(run.seconds, 3),
            "interventions": len(interventions(run.events)),
            "rejection": run.rejection,
        }

    return {
        "condition": p.condition.name,
        "experiment": p.condition.experiment,
        "overrides": list(p.condition.overrides),  # from the suite file, not from the run
        "faults": [dict(f) for f in p.condition.faults],
        "baseline": p.condition.baseline,
        "fault_step": p.condition.fault_step,
        "seed": p.seed,
        "monitored": arm(p.monitored),
        "shadow": arm(p.shadow),
        "clean_median": _finite(p.clean_median),
        "verdict": p.verdict,
        "no_harm": p.harmless,
        "detected": p.detected,
        "intervened": p.intervened,
        "first_action": p.first_action,
        "detection_latency": _finite(p.latency),
        "actions": [[e.step, e.anomaly, e.action] for e in p.decisions],
        "reports": [[e.step, e.anomaly] for e in p.reports],
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def format_summary(result: BenchResult) -> str:
    s = result.summary()
    pct = lambda v: "n/a" if not math.isfinite(v) else f"{100 * v:.1f}%"  # noqa: E731
    return "\n".join(
        [
            f"suite {result.suite.name}: {int(s['pairs'])} twin pairs ({int(s['faulty_pairs'])} faulty, "
            f"{int(s['clean_runs'])} clean)",
            f"resolution: {int(s['resolved'])}/{int(s['faulty_shadow_failed'])} faulty pairs "
            "whose shadow failed "
            f"({pct(s['resolution_rate'])}); {int(s['benign_pairs'])} benign (shadow fine)",
            f"false positives: {int(s['false_positives'])}/{int(s['clean_runs'])} clean runs "
            "with an intervention",
            f"no harm: {pct(s['no_harm_rate'])} of {int(s['no_harm_pairs'])} pairs whose shadow was fine",
            f"detection: {int(s['detected_faulty'])}/{int(s['faulty_pairs'])} faulty pairs; latency median "
            f"{_num(s['median_detection_latency'], 3)} steps, max {_num(s['max_detection_latency'], 3)}",
            f"baselines: {int(s['invalid_baselines'])} invalid (a clean shadow failed, or "
            f"{int(s['untrained_baselines'])} whose shadows did not train); "
            f"{int(s['unjudgeable_pairs'])} pairs unjudgeable; {int(s['reports'])} run-quality reports",
            f"time: {s['run_seconds']:.0f} s of runs, {s['wall_seconds']:.0f} s wall",
        ]
    )


def write_results(result: BenchResult, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results_table.txt").write_text(results_table(result))
    with (out_dir / "experiment_log.jsonl").open("w") as fh:
        for p in result.pairs:
            fh.write(json.dumps(pair_record(p), allow_nan=False, sort_keys=True) + "\n")
    summary = {k: _finite(v) for k, v in result.summary().items()}
    summary.update(
        suite=result.suite.name, tolerance=result.suite.tolerance, harm_tolerance=result.suite.harm_tolerance
    )
    (out_dir / "summary.json").write_text(
        json.dumps(summary, allow_nan=False, indent=1, sort_keys=True) + "\n"
    )
    (out_dir / "summary.txt").write_text(format_summary(result) + "\n")

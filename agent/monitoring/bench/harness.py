"""The counterfactual benchmark: every condition and seed runs twice, monitored and as a shadow
with the monitor off, with the same seed and the same injected faults, so the only difference
between the twins is the monitor.

Definitions (also in docs/monitor.md):

- clean median: the median final val loss of a clean baseline's *shadow* runs;
- a shadow *failed*: it did not complete, or its final val loss is missing or above
  (1 + tolerance) x the clean median of its baseline;
- *resolved* (faulty conditions whose shadow failed): the monitored twin completed with a final
  val loss within (1 + tolerance) x the clean median;
- *benign*: a faulty condition whose shadow did not fail (the fault did no lasting harm); it is
  reported, not counted in the resolution rate;
- *no harm* (every pair whose shadow did not fail, clean ones included): the monitored twin
  completed with a final val loss within (1 + harm_tolerance) x the shadow's *or* x the clean
  median (a rollback that restores the clean trajectory is no harm when a fault happened to
  help the shadow);
- *invalid baseline*: a clean condition with a shadow that did not complete with a finite
  loss, or whose shadows did not learn (median final val loss above `UNTRAINED_RATIO` x the
  median first train loss: a yardstick that never trained makes "within 10% of clean"
  meaningless). Its own pairs are `invalid_baseline` and every condition judged against it is
  `unjudgeable`: reported, never counted as failed or resolved (the CLI exits 1);
- *false positive*: a clean condition's monitored run with at least one intervention;
- *detection latency*: first intervention step minus the condition's fault step.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sentinel.agent.monitoring.bench.executor import Executor, RunOutcome, RunRequest
from sentinel.agent.monitoring.bench.suite import Condition, Suite
from sentinel.contract.records import MonitorEvent

__all__ = [
    "STATE_CHANGING",
    "UNTRAINED_RATIO",
    "BenchResult",
    "PairResult",
    "interventions",
    "run_folder",
    "run_suite",
    "score",
    "untrained",
]

# actions that change how training continues (containment acts on one step only)
STATE_CHANGING = frozenset({"lr_cut", "rollback", "reinit", "lr_restart", "stop"})
# A clean baseline whose shadows end above this share of their start loss did not train
UNTRAINED_RATIO = 0.5


def interventions(events: tuple[MonitorEvent, ...]) -> list[MonitorEvent]:
    """The monitor's decisions: intervention lines that act (not experiences, not reports)."""
    return [e for e in events if e.kind == "intervention" and e.action != "none"]


@dataclass(frozen=True, slots=True)
class PairResult:
    condition: Condition
    seed: int
    monitored: RunOutcome
    shadow: RunOutcome
    clean_median: float = math.nan
    verdict: str = ""  # clean | resolved | unresolved | benign | invalid_baseline | unjudgeable
    harmless: bool | None = None  # None when the shadow failed (no-harm does not apply)

    @property
    def decisions(self) -> list[MonitorEvent]:
        return interventions(self.monitored.events)

    @property
    def reports(self) -> list[MonitorEvent]:
        """Run-quality reports (collapse, mediocre): recorded, never counted as interventions."""
        return [e for e in self.monitored.events if e.action == "none"]

    @property
    def detected(self) -> bool:
        return bool(self.decisions)

    @property
    def intervened(self) -> bool:
        return any(e.action in STATE_CHANGING for e in self.decisions)

    @property
    def latency(self) -> float:
        step = self.condition.fault_step
        if step is None or not self.decisions:
            return math.nan
        return float(self.decisions[0].step - step)

    @property
    def first_action(self) -> str:
        return self.decisions[0].action if self.decisions else "-"

    @property
    def delta(self) -> float:
        return self.monitored.final_loss - self.shadow.final_loss


@dataclass(frozen=True, slots=True)
class BenchResult:
    suite: Suite
    pairs: tuple[PairResult, ...]
    wall_seconds: float

    def summary(self) -> dict[str, float]:
        """The headline numbers (all plain numbers, for summary.json)."""
        clean = [p for p in self.pairs if p.verdict == "clean"]
        failing = [p for p in self.pairs if p.verdict in ("resolved", "unresolved")]
        benign = [p for p in self.pairs if p.verdict == "benign"]
        healthy = [p for p in self.pairs if p.harmless is not None]
        latencies = [p.latency for p in failing + benign if math.isfinite(p.latency)]
        faulty = failing + benign
        return {
            "pairs": float(len(self.pairs)),
            "faulty_pairs": float(len(faulty)),
            "faulty_shadow_failed": float(len(failing)),
            "resolved": float(sum(p.verdict == "resolved" for p in failing)),
            "resolution_rate": _rate(sum(p.verdict == "resolved" for p in failing), len(failing)),
            "benign_pairs": float(len(benign)),
            "clean_runs": float(len(clean)),
            "false_positives": float(sum(p.detected for p in clean)),
            "false_positive_rate": _rate(sum(p.detected for p in clean), len(clean)),
            "no_harm_pairs": float(len(healthy)),
            "no_harm_rate": _rate(sum(bool(p.harmless) for p in healthy), len(healthy)),
            "detected_faulty": float(sum(p.detected for p in faulty)),
            "median_detection_latency": statistics.median(latencies) if latencies else math.nan,
            "max_detection_latency": max(latencies) if latencies else math.nan,
            "invalid_baselines": float(
                len({p.condition.name for p in self.pairs if p.verdict == "invalid_baseline"})
            ),
            "untrained_baselines": float(
                len({c for c, shadows in self._invalid().items() if untrained(shadows)})
            ),
            "unjudgeable_pairs": float(sum(p.verdict == "unjudgeable" for p in self.pairs)),
            "reports": float(sum(len(p.reports) for p in self.pairs)),
            "run_seconds": sum(p.monitored.seconds + p.shadow.seconds for p in self.pairs),
            "wall_seconds": self.wall_seconds,
        }

    def _invalid(self) -> dict[str, list[RunOutcome]]:
        """The shadows of each invalid baseline, by condition name."""
        found: dict[str, list[RunOutcome]] = {}
        for p in self.pairs:
            if p.verdict == "invalid_baseline":
                found.setdefault(p.condition.name, []).append(p.shadow)
        return found


def _rate(hits: int, total: int) -> float:
    return hits / total if total else math.nan


def run_folder(out_dir: Path, condition: str, seed: int, monitored: bool) -> Path:
    """Where one twin's run lives inside a bench folder (its artifacts under `artifacts/`)."""
    return Path(out_dir) / "runs" / condition / f"seed{seed}-{'monitored' if monitored else 'shadow'}"


def run_suite(
    suite: Suite,
    executor: Executor,
    out_dir: Path,
    jobs: int = 1,
    progress: Callable[[RunRequest, RunOutcome], None] | None = None,
) -> BenchResult:
    """Run every (condition, seed) twin; `jobs` runs go at once (each run uses its own CPUs)."""
    import time

    start = time.perf_counter()
    requests: list[tuple[Condition, int, bool, RunRequest]] = []
    for condition in suite.conditions:
        for seed in condition.seeds:
            for monitored in (True, False):
                folder = run_folder(out_dir, condition.name, seed, monitored)
                request = RunRequest(
                    condition.name,
                    condition.experiment,
                    tuple(condition.run_overrides(seed, monitored)),
                    seed,
                    monitored,
                    folder,
                )
                requests.append((condition, seed, monitored, request))

    def one(item: tuple[Condition, int, bool, RunRequest]) -> RunOutcome:
        outcome = executor.run(item[3])
        if progress is not None:
            progress(item[3], outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, requests))
    twins: dict[tuple[str, int], dict[bool, RunOutcome]] = {}
    for (condition, seed, monitored, _), outcome in zip(requests, outcomes, strict=True):
        twins.setdefault((condition.name, seed), {})[monitored] = outcome
    pairs = [
        PairResult(c, s, twins[(c.name, s)][True], twins[(c.name, s)][False])
        for c in suite.conditions
        for s in c.seeds
    ]
    return BenchResult(suite, tuple(score(suite, pairs)), time.perf_counter() - start)


def score(suite: Suite, pairs: list[PairResult]) -> list[PairResult]:
    """Attach the clean median, the verdict and the no-harm flag to each pair."""
    medians: dict[str, float] = {}
    invalid: set[str] = set()
    for condition in suite.conditions:
        if condition.clean:
            shadows = [p.shadow for p in pairs if p.condition.name == condition.name]
            if any(r.status != "completed" or not math.isfinite(r.final_loss) for r in shadows):
                invalid.add(condition.name)  # a poisoned yardstick judges nothing
            finite = [r.final_loss for r in shadows if math.isfinite(r.final_loss)]
            medians[condition.name] = statistics.median(finite) if finite else math.nan
            if untrained(shadows):
                invalid.add(condition.name)
    scored = []
    for p in pairs:
        base = p.condition.baseline or p.condition.name
        median = medians[base]
        limit = (1 + suite.tolerance) * median
        shadow_failed = not _fine(p.shadow, limit)
        harmless = None
        if base in invalid:
            verdict = "invalid_baseline" if p.condition.clean else "unjudgeable"
        elif p.condition.clean:
            verdict = "clean"
        elif not shadow_failed:
            verdict = "benign"
        else:
            verdict = "resolved" if _fine(p.monitored, limit) else "unresolved"
        if verdict in ("clean", "benign"):
            bar = max(p.shadow.final_loss, median) if math.isfinite(p.shadow.final_loss) else median
            harmless = _fine(p.monitored, (1 + suite.harm_tolerance) * bar)
        scored.append(PairResult(p.condition, p.seed, p.monitored, p.shadow, median, verdict, harmless))
    return scored


def untrained(shadows: list[RunOutcome]) -> bool:
    """The clean shadows did not learn: median final val loss > UNTRAINED_RATIO x the median
    first train loss (unknown start losses, as from a canned executor, never judge)."""
    finals = [r.final_loss for r in shadows if math.isfinite(r.final_loss)]
    starts = [r.start_loss for r in shadows if math.isfinite(r.start_loss)]
    if not finals or not starts:
        return False
    return statistics.median(finals) > UNTRAINED_RATIO * statistics.median(starts)


def _fine(run: RunOutcome, limit: float) -> bool:
    return run.status == "completed" and math.isfinite(run.final_loss) and run.final_loss <= limit

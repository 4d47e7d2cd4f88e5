"""Counterfactual benchmark of the monitor (host side).

`run_suite` runs each condition of a suite twice with the same seed and faults, monitored and
as a shadow, through a pluggable `Executor` (`HostSubprocessExecutor`: child processes on this
machine; `sandbox_executor.SandboxExecutor`: the hardened container, imported on its own
because it drives Docker); `write_results` writes results_table.txt,
experiment_log.jsonl and summary.json. Every run's artifacts are read by the sandbox's hostile
reader; `space` samples suites from a condition space with a held-out half.
"""

from __future__ import annotations

from sentinel.agent.monitoring.bench.executor import (
    Executor,
    HostSubprocessExecutor,
    RunOutcome,
    RunRequest,
    outcome_of,
    read_outcome,
)
from sentinel.agent.monitoring.bench.harness import BenchResult, PairResult, run_folder, run_suite, score
from sentinel.agent.monitoring.bench.report import format_summary, write_results
from sentinel.agent.monitoring.bench.suite import Condition, Suite, SuiteError, load_suite, parse_suite

__all__ = [
    "BenchResult",
    "Condition",
    "Executor",
    "HostSubprocessExecutor",
    "PairResult",
    "RunOutcome",
    "RunRequest",
    "Suite",
    "SuiteError",
    "format_summary",
    "load_suite",
    "outcome_of",
    "parse_suite",
    "read_outcome",
    "run_folder",
    "run_suite",
    "score",
    "write_results",
]

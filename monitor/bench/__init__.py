"""Counterfactual benchmark of the monitor (host side: never imported by container code).

`run_suite` runs each condition of a suite twice with the same seed and faults, monitored and
as a shadow, through a pluggable `Executor`; `write_results` writes results_table.txt,
experiment_log.jsonl and summary.json. Imports only yaml, the stdlib and `sentinel.monitor`'s
host-safe modules.
"""

from __future__ import annotations

from sentinel.monitor.bench.executor import (
    Executor,
    HostSubprocessExecutor,
    RunOutcome,
    RunRequest,
    read_outcome,
)
from sentinel.monitor.bench.harness import BenchResult, PairResult, run_folder, run_suite, score
from sentinel.monitor.bench.report import format_summary, write_results
from sentinel.monitor.bench.suite import Condition, Suite, SuiteError, load_suite, parse_suite

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
    "parse_suite",
    "read_outcome",
    "run_folder",
    "run_suite",
    "score",
    "write_results",
]

"""Helpers the container tests share (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SENTINEL = [sys.executable, "-m", "sentinel.agent.cli.main"]

# The short bench both CI bench tests run: a clean digits run and a 100x LR spike at step 200.
CI_BENCH_CONDITIONS = [
    {"name": "clean_digits", "experiment": "digits", "overrides": ["trainer=constant"], "seeds": [0]},
    {
        "name": "lr_spike_digits",
        "experiment": "digits",
        "overrides": ["trainer=constant"],
        "seeds": [0],
        "baseline": "clean_digits",
        "faults": [{"kind": "lr_spike", "at_step": 200, "factor": 100.0}],
    },
]


def run_sentinel(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """The real `sentinel` CLI in a child process, output captured, never raising on its exit code."""
    return subprocess.run(
        [*SENTINEL, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """Bad input's contract: exactly one non-empty stderr line, starting with `error: `."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def payload_report(result) -> dict:
    """The last line of a payload's stdout that is a JSON object (payloads print one report)."""
    for line in reversed(result.log_tail.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"payload printed no report; status={result.status} log={result.log_tail[-500:]}")


def honest_trusted(artifacts: object) -> dict[str, float | None] | None:
    """What trusted evaluation gives an honest run: the host's scores equal its claimed best val
    numbers, on val and (as if the test split scored the same) on test. None without a summary."""
    summary = getattr(artifacts, "summary", None)
    best = getattr(summary, "best", None)
    if best is None:
        return None
    values: dict[str, float | None] = {}
    for key, value in best.values.items():
        name = key.split("/", 1)[-1]
        finite = value if value == value else None
        values[f"val/{name}"] = values[f"test/{name}"] = finite
    return values

"""How a benchmark run gets executed: a pluggable `Executor`, and a host-subprocess one.

The harness only builds `RunRequest`s (an experiment plus dotted overrides that carry the seed,
the faults and whether the monitor is on) and reads `RunOutcome`s, so the same suite can run
as plain host subprocesses (here) or in the hardened container (the sandbox's executor).
Whatever runs, its artifacts are read back as hostile input: bounded sizes, strict JSON,
enumerated strings only.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from sentinel.monitor.status import read_events

__all__ = ["Executor", "HostSubprocessExecutor", "RunOutcome", "RunRequest", "read_summary"]

RUN_STATUSES = ("completed", "diverged", "failed")
MAX_SUMMARY_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class RunRequest:
    condition: str
    experiment: str
    overrides: tuple[str, ...]  # includes trainer.faults, experiment.seed and monitor.enabled
    seed: int
    monitored: bool
    out_dir: Path


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What the host learnt from one run. `status` is completed|diverged|failed from the run's
    summary when it exited normally, else `error` (no usable artifacts: timeout, crash, bad
    config); `final_loss` is the final val/loss or NaN."""

    status: str
    final_loss: float
    best_loss: float
    steps: int
    seconds: float
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected_event_lines: int = 0
    exit_code: int | None = None


@runtime_checkable
class Executor(Protocol):
    def run(self, request: RunRequest) -> RunOutcome:
        """Run one training run to the end and read its artifacts back (never raise for a run
        that failed: report it as an outcome)."""


Compose = Callable[[str, list[str]], dict[str, Any]]


class HostSubprocessExecutor:
    """`python -m sentinel.sandbox.runtime` in a child process on this host, no container.

    For development and CI of the monitor itself: the run is not isolated, so only Sentinel's
    own built-in models belong here. `compose` turns (experiment, overrides) into a checked run
    config; the CLI passes Sentinel's config composer, tests may pass anything equivalent.
    """

    def __init__(
        self,
        compose: Compose,
        data_dir: Path,
        timeout_s: float = 600.0,
        threads: int = 1,
        python: str = sys.executable,
    ) -> None:
        self.compose, self.data_dir, self.timeout_s = compose, Path(data_dir), timeout_s
        self.threads, self.python = threads, python

    def run(self, request: RunRequest) -> RunOutcome:
        job, artifacts, generated = (
            request.out_dir / "job",
            request.out_dir / "artifacts",
            request.out_dir / "gen",
        )
        for folder in (job, artifacts, generated):
            folder.mkdir(parents=True, exist_ok=True)
        config = self.compose(request.experiment, list(request.overrides))
        (job / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SENTINEL_CPUS": str(self.threads),
            "PYTHONHASHSEED": "0",
            "HOME": str(request.out_dir),
        }
        command = [
            self.python,
            "-m",
            "sentinel.sandbox.runtime",
            "--config",
            str(job / "config.yaml"),
            "--data",
            str(self.data_dir),
            "--artifacts",
            str(artifacts),
            "--generated",
            str(generated),
        ]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, env=env, capture_output=True, timeout=self.timeout_s, check=False)
            code: int | None = done.returncode
            (request.out_dir / "stdout.log").write_bytes(done.stdout[-65536:] + done.stderr[-65536:])
        except subprocess.TimeoutExpired:
            code = None
        seconds = time.perf_counter() - start
        return read_outcome(artifacts, code, seconds)


def read_outcome(artifacts: Path, exit_code: int | None, seconds: float) -> RunOutcome:
    """Turn an artifacts folder into a RunOutcome, defensively (any executor may use this)."""
    summary = read_summary(artifacts / "summary.json")
    events = read_events(artifacts / "monitor_events.jsonl")
    if exit_code is None or summary is None:
        return RunOutcome(
            "error", math.nan, math.nan, 0, seconds, events.events, events.rejected_lines, exit_code
        )
    return RunOutcome(
        summary["status"],
        summary["final_loss"],
        summary["best_loss"],
        summary["steps"],
        seconds,
        events.events,
        events.rejected_lines,
        exit_code,
    )


def read_summary(path: Path) -> dict[str, Any] | None:
    """The few summary.json fields the benchmark needs, or None if the file is missing or bad."""
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with path.open("rb") as fh:
            data = fh.read(MAX_SUMMARY_BYTES + 1)
        if len(data) > MAX_SUMMARY_BYTES:
            return None
        raw = json.loads(data.decode("utf-8"), parse_constant=_refuse)
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("status") not in RUN_STATUSES:
        return None
    steps = raw.get("steps")
    return {
        "status": raw["status"],
        "steps": steps if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0 else 0,
        "final_loss": _loss(raw.get("final")),
        "best_loss": _loss(raw.get("best")),
    }


def _loss(point: Any) -> float:
    value = point.get("val/loss") if isinstance(point, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return math.nan
    return float(value)


def _refuse(name: str) -> float:
    raise ValueError(f"JSON constant {name} is not allowed")

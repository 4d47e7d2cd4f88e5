"""How a benchmark run gets executed: a pluggable `Executor`, and a host-subprocess one.

The harness only builds `RunRequest`s (an experiment plus dotted overrides that carry the seed,
the faults and whether the monitor is on) and reads `RunOutcome`s, so the same suite can run
as plain host subprocesses (here) or in the hardened container (`sandbox_executor`). Whatever
runs, its artifacts are read back by the sandbox's one hostile reader (`read_artifacts`), and
both executors turn its typed records into an outcome with the same function, `outcome_of`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from sentinel.contract.records import MonitorEvent, RunArtifacts, SummaryPoint
from sentinel.sandbox.artifacts import read_artifacts

__all__ = ["Executor", "HostSubprocessExecutor", "RunOutcome", "RunRequest", "outcome_of", "read_outcome"]

BENCH_STATUSES = ("completed", "diverged", "failed")  # what a run that exited can end as


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
    events: tuple[MonitorEvent, ...] = ()
    exit_code: int | None = None
    rejection: str | None = None  # the artifact reader's reason, when it rejected the folder
    start_loss: float = math.nan  # the first finite train loss (step 1): where the run began


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

    `preload=True` (the default) forks each run from a parent that imported torch and the
    runtime once (`_zygote`), which saves ~1.5 CPU-seconds of a run that trains in 0.3; each run
    is still its own process with the same entrypoint, environment and events. `preload=False`
    starts a fresh interpreter per run. Call `close()` (or use `with`) to end the parents.
    """

    def __init__(
        self,
        compose: Compose,
        data_dir: Path,
        timeout_s: float = 600.0,
        threads: int = 1,
        python: str = sys.executable,
        preload: bool = True,
    ) -> None:
        self.compose, self.data_dir, self.timeout_s = compose, Path(data_dir), timeout_s
        self.threads, self.python, self.preload = threads, python, preload
        self._idle: queue.SimpleQueue[_Zygote] = queue.SimpleQueue()
        self._started: list[_Zygote] = []
        self._lock = threading.Lock()

    def __enter__(self) -> HostSubprocessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        env = self._env(str(request.out_dir))
        argv = ["--config", str(job / "config.yaml"), "--data", str(self.data_dir)]
        argv += ["--artifacts", str(artifacts), "--generated", str(generated)]
        start = time.perf_counter()
        log = request.out_dir / "stdout.log"
        code = self._forked(argv, env, log) if self.preload else self._fresh(argv, env, log)
        return read_outcome(artifacts, code, time.perf_counter() - start)

    def close(self) -> None:
        """End every preloaded parent (each also ends by itself when this process exits)."""
        with self._lock:
            started, self._started = self._started, []
        for zygote in started:
            zygote.close()

    def _env(self, home: str) -> dict[str, str]:
        threads = str(self.threads)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SENTINEL_CPUS": threads,
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "PYTHONHASHSEED": "0",
            "HOME": home,
        }

    def _fresh(self, argv: list[str], env: dict[str, str], log: Path) -> int | None:
        command = [self.python, "-m", "sentinel.sandbox.runtime", *argv]
        try:
            done = subprocess.run(command, env=env, capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return None
        log.write_bytes(done.stdout[-65536:] + done.stderr[-65536:])
        return done.returncode

    def _forked(self, argv: list[str], env: dict[str, str], log: Path) -> int | None:
        try:
            zygote = self._idle.get_nowait()
        except queue.Empty:
            zygote = _Zygote(self.python, self._env(tempfile.gettempdir()))
            with self._lock:
                self._started.append(zygote)
        try:
            code = zygote.run(argv, env, log, self.timeout_s)
        except OSError:  # the parent died (killed from outside): this run is an error, use a new one
            zygote.close()
            return None
        self._idle.put(zygote)
        return code


class _Zygote:
    """One preloaded parent process, used by one run at a time."""

    def __init__(self, python: str, env: dict[str, str]) -> None:
        module = "sentinel.agent.monitoring.bench._zygote"
        self._proc = subprocess.Popen(
            [python, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
        )

    def run(self, argv: list[str], env: dict[str, str], log: Path, timeout_s: float) -> int | None:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        request = {"argv": argv, "env": env, "log": str(log), "timeout": timeout_s}
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        reply = stdout.readline()
        if not reply:
            raise OSError("the preloaded parent ended")
        code = json.loads(reply)["exit"]
        return code if isinstance(code, int) else None

    def close(self) -> None:
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def read_outcome(artifacts: Path, exit_code: int | None, seconds: float) -> RunOutcome:
    """A host run's outcome: its folder read by the hostile reader. Nothing observed the run
    from outside but its exit, so a run that exited is what its summary says it is."""
    read = read_artifacts(artifacts)
    claimed = read.summary.status if read.summary is not None else "error"
    return outcome_of(claimed if exit_code is not None else "error", read, exit_code, seconds)


def outcome_of(status: str, artifacts: RunArtifacts, exit_code: int | None, seconds: float) -> RunOutcome:
    """The bench's view of one run, for either executor. A status outside completed|diverged|
    failed (timeout, oom, killed, artifact_rejected, never started), a rejected folder or a run
    without a summary is `error`; losses are the summary's final and best val/loss, or NaN."""
    summary = artifacts.summary
    if status not in BENCH_STATUSES or not artifacts.accepted or summary is None:
        return RunOutcome(
            "error", math.nan, math.nan, 0, seconds, artifacts.events, exit_code, artifacts.rejection
        )
    start = next(
        (m.loss for m in artifacts.metrics if m.split == "train" and math.isfinite(m.loss)), math.nan
    )
    return RunOutcome(
        status,
        _val_loss(summary.final),
        _val_loss(summary.best),
        summary.steps,
        seconds,
        artifacts.events,
        exit_code,
        start_loss=start,
    )


def _val_loss(point: SummaryPoint | None) -> float:
    value = point.values.get("val/loss", math.nan) if point is not None else math.nan
    return float(value) if math.isfinite(value) else math.nan

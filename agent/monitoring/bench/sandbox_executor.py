"""The monitor benchmark's default executor: every twin runs in the hardened container.

`sentinel monitor bench` measures the monitor where campaign runs use it: same image, isolation,
limits and artifact reader, through `launch_run`; the harness only sees the `Executor` protocol.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.errors import AgentError, BadInput
from sentinel.agent.launch import LaunchOutcome, LaunchRequest, launch_run, resolve_request
from sentinel.agent.monitoring.bench.executor import RunOutcome, RunRequest, outcome_of
from sentinel.contract.patterns import RUN_ID
from sentinel.contract.records import RunArtifacts
from sentinel.sandbox.errors import DataUnavailable, EngineUnavailable, ImageUnavailable, SandboxError
from sentinel.sandbox.spec import ISOLATIONS

__all__ = ["BENCH_CAMPAIGN", "SandboxExecutor", "bench_run_id", "outcome_from_launch"]

BENCH_CAMPAIGN = "monitor-bench"  # the campaign label on every bench image and container
# The machine, not the run, is at fault: every later run would fail too, so the bench stops.
ENVIRONMENT_ERRORS = (EngineUnavailable, ImageUnavailable, DataUnavailable)

Launcher = Callable[[ResolvedConfig, LaunchRequest], LaunchOutcome]


class SandboxExecutor:
    """Runs a benchmark `RunRequest` through `launch_run` and reads back what the host trusts.

    `runtime_image` pins the runtime tag the caller checked once before the runs (so parallel
    twins share one image and run the same code); None lets each launch ensure it. `launch` is
    the seam for tests, as in the campaign loop.
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        isolation: str = "runc",
        timeout_s: float = 600.0,
        cpus: float = 1.0,
        memory: str = "2g",
        runtime_image: str | None = None,
        launch: Launcher = launch_run,
    ) -> None:
        if isolation not in ISOLATIONS:
            raise BadInput(f"unknown isolation {isolation!r} (available: {', '.join(sorted(ISOLATIONS))})")
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.isolation, self.timeout_s, self.cpus, self.memory = isolation, timeout_s, cpus, memory
        self.runtime_image, self._launch = runtime_image, launch

    def request_for(self, request: RunRequest) -> LaunchRequest:
        return LaunchRequest(
            experiment=request.experiment,
            overrides=request.overrides,  # seed, faults and monitor.enabled are already in them
            isolation=self.isolation,
            timeout_s=self.timeout_s,
            cpus=self.cpus,
            memory=self.memory,
            out_dir=request.out_dir,
            keep_image=False,
            campaign=BENCH_CAMPAIGN,
            run_id=bench_run_id(request),
            data_dir=self.data_dir,
            runtime_image=self.runtime_image,
            # The bench compares each twin's own training curves (nothing is ranked), so the
            # evaluation container of trusted results would only double its containers.
            trusted_evaluation=False,
        )

    def run(self, request: RunRequest) -> RunOutcome:
        launch_request = self.request_for(request)
        start = time.perf_counter()
        try:
            launched = self._launch(resolve_request(launch_request), launch_request)
        except ENVIRONMENT_ERRORS:
            raise
        except (AgentError, SandboxError) as err:  # this run could not start; the others may
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            _record_failed_start(request.out_dir, launch_request.run_id or "", reason)
            return RunOutcome("error", math.nan, math.nan, 0, time.perf_counter() - start)
        return outcome_from_launch(launched, time.perf_counter() - start)


def bench_run_id(request: RunRequest) -> str:
    """`mb-<condition>-s<seed>-<mon|sha>-<6 hex>`: readable in `docker ps`, unique per launch,
    and always within the sandbox's run-id rules (the condition is cut to fit)."""
    arm = "mon" if request.monitored else "sha"
    tail = f"-s{request.seed}-{arm}-{secrets.token_hex(3)}"
    stem = re.sub(r"[^a-z0-9]+", "-", request.condition.lower()).strip("-") or "run"
    run_id = f"mb-{stem[: 64 - 3 - len(tail)]}{tail}"
    if not RUN_ID.fullmatch(run_id):  # pragma: no cover - suite seeds are < 2**31, so it fits
        raise BadInput(f"cannot make a run id from condition {request.condition!r}")
    return run_id


def outcome_from_launch(launched: LaunchOutcome, seconds: float) -> RunOutcome:
    """The bench's view of a sandboxed run. Status comes from what the host observed: timeout,
    oom, killed, artifact_rejected or a run that never started are `error`, as is an exit that
    left no summary. Losses and events are the records the sandbox's hostile reader accepted
    when the launch copied the artifacts back: nothing is read twice."""
    result = launched.result
    artifacts = getattr(result, "artifacts", None)
    if not isinstance(artifacts, RunArtifacts):
        artifacts = RunArtifacts()
    return outcome_of(launched.status, artifacts, getattr(result, "exit_code", None), seconds)


def _record_failed_start(out_dir: Path, run_id: str, reason: str) -> None:
    """run.json for a run that never started, in launch_run's shape; an existing one is kept."""
    record = LaunchOutcome(run_id, "failed_to_start", reason, out_dir).to_json()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with (out_dir / "run.json").open("x") as fh:
            fh.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    except FileExistsError:
        pass

"""The strategist bench's host-subprocess launcher: `launch_run`'s contract without a container.

For benchmarking brains only (like the monitor bench's HostSubprocessExecutor): the run is NOT
isolated, so only Sentinel's own built-in models and its own generated architectures (validated
once by the loop, as in the sandbox path) belong here. Everything else is the campaign's real
path: the loop's one composed and checked config is what runs, the runtime is the container's entrypoint
(`python -m sentinel.sandbox.runtime`), its artifacts are read back by the same hostile reader
(`copy_artifacts`), and the status comes from the exit code the host observed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from sentinel.agent.configs import ResolvedConfig
from sentinel.agent.launch import LaunchOutcome, LaunchRequest, OnProgress
from sentinel.contract.records import RunResult
from sentinel.sandbox.artifacts import copy_artifacts
from sentinel.sandbox.paths import DATA_DIR
from sentinel.sandbox.run import KILLED_EXIT_CODES, POLL_S, RUNTIME_EXIT_STATUS

__all__ = ["host_launcher"]


def host_launcher(data_dir: Path = DATA_DIR, threads: int = 1):
    """A `CampaignRunner(launcher=...)` that trains in a child process of this host."""

    def launch(
        resolved: ResolvedConfig, request: LaunchRequest, on_progress: OnProgress | None = None
    ) -> LaunchOutcome:
        out = Path(request.out_dir or "runs-bench/adhoc")
        job, live = out / "job", out / "live"
        (job / "generated").mkdir(parents=True, exist_ok=True)
        live.mkdir(parents=True, exist_ok=True)
        for name, data in resolved.files.items():  # validated once by the loop, as for launch_run
            (job / "generated" / name).write_bytes(data)
        config = resolved.config
        text = yaml.safe_dump(config, sort_keys=True)
        (job / "config.yaml").write_text(text)
        (out / "config.yaml").write_text(text)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SENTINEL_CPUS": str(threads)}
        env.update({"PYTHONHASHSEED": "0", "HOME": str(out)})
        command = [sys.executable, "-m", "sentinel.sandbox.runtime", "--config", str(job / "config.yaml")]
        command += ["--data", str(data_dir), "--artifacts", str(live), "--generated", str(job / "generated")]
        started = time.monotonic()
        with (out / "stdout.log").open("wb") as log:
            child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            timed_out = False
            while child.poll() is None:
                if time.monotonic() - started > request.timeout_s:
                    child.kill()
                    timed_out = True
                time.sleep(POLL_S / 5)
                if on_progress is not None:
                    on_progress(live, config)
            code = child.wait()
        seconds = time.monotonic() - started
        artifacts = copy_artifacts(live, out / "artifacts")
        status = "timeout" if timed_out else RUNTIME_EXIT_STATUS.get(code, "failed")
        if code in KILLED_EXIT_CODES or code < 0:
            status = "timeout" if timed_out else "killed"
        if status in ("completed", "diverged") and (artifacts.rejection or artifacts.summary is None):
            status = "artifact_rejected"
        reason = f"host subprocess exited with code {code}"
        result = RunResult(
            run_id=request.run_id or "",
            status=status,
            reason=reason,
            exit_code=code,
            oom_killed=False,
            timed_out=timed_out,
            isolation=request.isolation,
            image="host-subprocess",
            seconds=round(seconds, 3),
            out_dir=out,
            log_tail="",
            artifacts=artifacts,
        )
        return LaunchOutcome(request.run_id or "", status, reason, out, config, result=result)

    return launch

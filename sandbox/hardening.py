"""The hardened container settings, as plain data the engine's create call takes.

Every line here is a DESIGN.md boundary rule. The container gets exactly three things: its
own image, /data read-only and /artifacts (a size-capped volume). No network, no
capabilities, no new privileges, uid 65534, read-only rootfs, a small noexec /tmp, limits on
pids, memory (no swap), CPU, open files and file size, Sentinel's own init as PID 1
(`runtime/supervisor.py`: undumpable, reaps, forwards signals, and holds the wall-clock and
CPU limits even when the host is gone), Sentinel's seccomp profile and a size-capped engine log.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sentinel.sandbox.seccomp import profile_json
from sentinel.sandbox.spec import RunSpec

NOBODY = "65534:65534"
SUPERVISOR = ("python", "-m", "sentinel.sandbox.runtime.supervisor", "--")
CPU_GRACE_S = 5
DEADLINE_GRACE_S = 2
NPROC_LIMIT = 4096
TMP_OPTIONS = "rw,noexec,nosuid,nodev,size={size}"


def container_environment(spec: RunSpec) -> dict[str, str]:
    """A fixed, minimal environment: nothing from the host's environment is passed in."""
    threads = str(max(1, math.floor(spec.limits.cpus)))
    return {
        "HOME": "/tmp",
        "PATH": "/opt/venv/bin:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "SENTINEL_RUN_ID": spec.run_id,
        # Read by the supervisor (PID 1) before the job starts; the job cannot change its copy.
        # The host enforces timeout_s itself; the supervisor's deadline is the backstop for a
        # host that died, a little later so the host's own observation wins when it is alive.
        "SENTINEL_DEADLINE_S": f"{spec.limits.timeout_s + DEADLINE_GRACE_S:g}",
        "SENTINEL_CPU_S": f"{math.ceil(spec.limits.timeout_s * max(1.0, spec.limits.cpus)) + CPU_GRACE_S}",
    }


def container_command(spec: RunSpec) -> list[str]:
    """The job's command under Sentinel's init (Docker's init would stay readable to the job)."""
    return [*SUPERVISOR, *spec.command]


def host_config_kwargs(spec: RunSpec, artifacts_dir: Path) -> dict[str, Any]:
    """Arguments for docker-py's `create_host_config`; the docker SDK builds the API body."""
    limits = spec.limits
    return {
        "network_mode": "none",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true", f"seccomp={profile_json()}"],
        "privileged": False,
        "init": False,  # the supervisor is PID 1
        "runtime": spec.runtime,
        "pids_limit": limits.pids,
        "mem_limit": limits.memory_bytes,
        "memswap_limit": limits.memory_bytes,  # equal to the memory limit: no swap
        "nano_cpus": int(limits.cpus * 1e9),
        "ipc_mode": "private",
        "shm_size": 16 * 1024**2,
        "tmpfs": {"/tmp": TMP_OPTIONS.format(size=limits.tmp_bytes)},
        "binds": {
            str(spec.data_dir): {"bind": "/data", "mode": "ro,rprivate"},
            str(artifacts_dir): {"bind": "/artifacts", "mode": "rw,rprivate"},
        },
        "ulimits": [
            {"Name": "nofile", "Soft": limits.nofile, "Hard": limits.nofile},
            {"Name": "fsize", "Soft": limits.file_bytes, "Hard": limits.file_bytes},
            # RLIMIT_NPROC counts every task of uid 65534 on the host, so it is a backstop set
            # above the pids limit (which is the per-container fork-bomb cap) for parallel runs.
            {"Name": "nproc", "Soft": NPROC_LIMIT, "Hard": NPROC_LIMIT},
            {"Name": "core", "Soft": 0, "Hard": 0},
        ],
        "log_config": {
            "Type": "json-file",
            "Config": {"max-size": str(limits.log_bytes), "max-file": "1"},
        },
        "auto_remove": False,  # the host removes it after reading the state (exit code, OOM)
    }


def create_kwargs(spec: RunSpec) -> dict[str, Any]:
    """Arguments for the create call itself (besides image, command and host config)."""
    return {
        "user": NOBODY,
        "environment": container_environment(spec),
        "working_dir": "/tmp",
        "hostname": "sentinel-run",
        "network_disabled": True,
        "labels": dict(spec.labels),
        "stdin_open": False,
        "tty": False,
    }

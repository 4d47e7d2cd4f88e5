"""Get a Docker engine on a bare Debian machine: install, register runsc, start, wait.

PLATFORM.md facts this encodes: there is no systemd, so dockerd is started by hand with its
log in a file; a killed dockerd leaves /var/run/docker.pid behind and the next one refuses to
start, so a pid file whose process is gone is removed first; runsc must be registered with
`--network=none` in runtimeArgs or network-less containers fail to start under it.

Only `sentinel doctor --fix` (and so `make demo`/`make test`) calls the mutating functions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sentinel.sandbox.errors import EngineUnavailable
from sentinel.sandbox.process import pid_alive

DAEMON_JSON = Path("/etc/docker/daemon.json")
PID_FILE = Path("/var/run/docker.pid")
SOCKET = Path("/var/run/docker.sock")
DAEMON_LOG = Path("/var/log/sentinel-dockerd.log")
RUNSC_PATH = "/usr/bin/runsc"
APT_PACKAGES = ("docker.io", "runsc", "debootstrap", "e2fsprogs")
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class FixStep:
    """One thing `doctor --fix` did, in Sentinel's words, for the report."""

    name: str
    detail: str


def missing_packages() -> list[str]:
    """Debian packages Sentinel's engine set-up needs that are not installed yet."""
    wanted = {
        "docker.io": "dockerd",
        "runsc": "runsc",
        "debootstrap": "debootstrap",
        "e2fsprogs": "mkfs.ext4",
    }
    return [pkg for pkg, binary in wanted.items() if shutil.which(binary, path=_sbin_path()) is None]


def _sbin_path() -> str:
    return os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin"


def install_packages(packages: list[str]) -> FixStep:
    """apt-get install as root; an apt failure is an environment problem (exit 3)."""
    if os.geteuid() != 0:
        raise EngineUnavailable(f"packages {', '.join(packages)} are missing; install them as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise EngineUnavailable(f"{' '.join(cmd[:2])} failed: {tail[0]}")
    return FixStep("packages", f"installed {', '.join(packages)}")


def register_runsc() -> FixStep | None:
    """Add runsc to daemon.json (keeping other settings); returns None when already there."""
    if not Path(RUNSC_PATH).exists():
        return None
    config = json.loads(DAEMON_JSON.read_text()) if DAEMON_JSON.exists() else {}
    wanted = {"path": RUNSC_PATH, "runtimeArgs": ["--network=none"]}
    if config.get("runtimes", {}).get("runsc") == wanted:
        return None
    config.setdefault("runtimes", {})["runsc"] = wanted
    DAEMON_JSON.parent.mkdir(parents=True, exist_ok=True)
    tmp = DAEMON_JSON.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    tmp.replace(DAEMON_JSON)
    return FixStep("runsc", f"registered runsc in {DAEMON_JSON}")


def running_daemon_pid() -> int | None:
    """The pid of a live dockerd per its pid file; a stale pid file is removed."""
    if not PID_FILE.exists():
        return None
    try:
        pid = int(PID_FILE.read_text().strip() or "0")
    except (OSError, ValueError):
        pid = 0
    if pid_alive(pid):
        return pid
    PID_FILE.unlink(missing_ok=True)
    return None


def start_daemon(ping: callable) -> FixStep:  # type: ignore[valid-type]
    """Start dockerd in the background (own session, log to a file) and wait until `ping()`."""
    dockerd = shutil.which("dockerd", path=_sbin_path())
    if dockerd is None:
        raise EngineUnavailable("dockerd is not installed; run `sentinel doctor --fix` as root")
    DAEMON_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(DAEMON_LOG, "ab") as log:
        subprocess.Popen(
            [dockerd],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if ping():
            return FixStep("engine", f"started dockerd (log: {DAEMON_LOG})")
        time.sleep(0.25)
    tail = DAEMON_LOG.read_text(errors="replace").strip().splitlines()[-1:] or ["no log output"]
    raise EngineUnavailable(f"dockerd did not answer within {START_TIMEOUT_S:.0f} s: {tail[0]}")


def reload_daemon(pid: int) -> FixStep:
    """SIGHUP makes dockerd re-read daemon.json (new runtimes) without stopping containers."""
    os.kill(pid, 1)
    time.sleep(0.5)
    return FixStep("engine", "reloaded dockerd configuration")

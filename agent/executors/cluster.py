"""Start and stop a Sentinel node of a Ray cluster on this machine.

A node advertises `sentinel_docker` slots only after `sentinel doctor` is green here (engine,
runtimes, runtime image, data), so the Ray scheduler can never place a run on a machine that
cannot run it hardened. Everything binds to the address given (default 127.0.0.1) and the
dashboard is off: Ray's GCS and dashboard have no authentication. Stopping a node also runs
the sandbox's reaper, so the containers, run images and artifact volumes of runs that were in
flight there do not outlive it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sentinel.agent.errors import BadInput
from sentinel.agent.executors.ray_cluster import DOCKER_RESOURCE, check_address
from sentinel.sandbox.errors import EngineUnavailable

__all__ = ["doctor_green", "node_command", "reap_node", "start_node", "stop_node"]


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


def doctor_green() -> tuple[bool, str]:
    """(True, "") when every doctor check passes on this machine, else (False, what failed)."""
    from sentinel.sandbox.data import verify
    from sentinel.sandbox.doctor import run_doctor
    from sentinel.sandbox.paths import DATA_DIR

    report = run_doctor(fix=False, data_dir=DATA_DIR, data_ready=lambda d: not verify(d))
    failed = [f"{c.name}: {c.detail}" for c in report.checks if not c.ok]
    return report.ok, "; ".join(failed)


def node_command(
    address: str | None, *, ip: str = "127.0.0.1", cpus: int = 1, slots: int = 1, port: int = 6379
) -> list[str]:
    """`ray start` for a head (address None) or a worker joining `address`, bound to `ip`."""
    if not 1 <= cpus <= 512 or not 0 <= slots <= 512:
        raise BadInput(f"--cpus must be in 1..512 and --slots in 0..512, got {cpus} and {slots}")
    command = [_ray_bin(), "start", f"--node-ip-address={ip}", f"--num-cpus={cpus}"]
    command += [f"--resources={json.dumps({DOCKER_RESOURCE: slots})}", "--disable-usage-stats"]
    if address is None:
        return [*command, "--head", f"--port={port}", "--include-dashboard=false"]
    return [*command, f"--address={check_address(address)}"]


def start_node(
    address: str | None, *, ip: str = "127.0.0.1", cpus: int = 1, slots: int = 1, port: int = 6379
) -> str:
    """Start a node once doctor is green; returns `ray start`'s own output. EngineUnavailable
    (exit 3) when the doctor is not green: the node would take runs it cannot run.

    What runs of an earlier life of this node left (a node stopped with plain `ray stop` kills
    its Ray workers before they can clean up) is reaped first: their owners are dead."""
    from sentinel.agent.executors.node import _clean_stale, node_root
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.run import reap_orphans

    command = node_command(address, ip=ip, cpus=cpus, slots=slots, port=port)
    ok, failed = doctor_green()
    if not ok:
        raise EngineUnavailable(
            f"`sentinel doctor` is not green here ({failed})", "run `sentinel doctor --fix`"
        )
    reap_orphans(Engine())
    if node_root().is_dir():
        _clean_stale(node_root())
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise EngineUnavailable(
            f"`ray start` failed: {(done.stderr or done.stdout).strip()[-400:]}", "see the log above"
        )
    return done.stdout


def reap_node(wait_s: float = 30.0) -> list[str]:
    """After `ray stop`: wait (up to `wait_s`) until no container here is owned by a live Ray
    worker, then run the sandbox's reaper, so no container, run image or volume outlives it."""
    from sentinel.agent.executors.node import _clean_stale, node_root
    from sentinel.sandbox.engine import RUN_LABEL, Engine
    from sentinel.sandbox.run import OWNER_LABEL, reap_orphans

    engine = Engine()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        owners = [engine.container_labels(c) for c in engine.containers_with_label(RUN_LABEL)]
        if not any(_is_ray_worker((labels or {}).get(OWNER_LABEL, "")) for labels in owners):
            break
        time.sleep(0.5)
    reaped = reap_orphans(engine)
    if node_root().is_dir():
        _clean_stale(node_root())  # the node folders of runs whose Ray worker is gone
    return reaped


def _is_ray_worker(owner: str) -> bool:
    """A live Ray worker process of this user (Ray titles its workers `ray::...`)."""
    if not owner.isdigit():
        return False
    try:
        title = Path(f"/proc/{owner}/cmdline").read_bytes()
        mine = os.stat(f"/proc/{owner}").st_uid == os.getuid()
    except OSError:
        return False
    return mine and title.startswith(b"ray::")


def stop_node(force: bool = False) -> list[str]:
    """`ray stop` on this machine, then reap the containers and volumes its runs left."""
    command = [_ray_bin(), "stop", *(["--force"] if force else [])]
    subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return reap_node()

"""A Ray worker node as its own process tree on this machine, and stopping it as `ray stop` does.

`ray start --address 127.0.0.1:PORT` cannot join a cluster bound to loopback on one machine: Ray
rewrites a loopback address to the machine's outward IP before connecting. `start_process_node`
runs Ray's own `ray start ... --block` in a new session with its own temp dir, keeping the
loopback address as given (the only change), so the node is a separate process tree exactly as
on a second machine. `stop_like_ray_stop` then stops that node, and only it, the way `ray stop`
stops every Ray process of a machine: SIGTERM to the raylet, SIGKILL after its share of the grace
period, then the same for the node's other processes (its workers, agents, the `ray start`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# `ray start`, with the bootstrap address kept as given (see the module docstring).
_RAY_START = (
    "import ray._private.services as s; s.resolve_ip_for_localhost = lambda host: host; "
    "from ray.scripts.scripts import main; main()"
)
RAY_STOP_GRACE_S = 16.0  # `ray stop`'s default --grace-period


def start_process_node(address: str, temp_dir: Path, log: Path, *, cpus: int = 1, slots: int = 1):
    """`ray start --address ADDRESS --block` for one worker node in a new session; its Popen."""
    command = [
        sys.executable,
        "-c",
        _RAY_START,
        "start",
        f"--address={address}",
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={cpus}",
        f"--resources={json.dumps({'sentinel_docker': slots})}",
        f"--object-store-memory={100 * 1024 * 1024}",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
        "--block",
    ]
    with log.open("w") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ)
        )


def wait_for_live_nodes(cluster, count: int, timeout_s: float = 120.0) -> list[str]:
    """The ids of the cluster's live nodes once there are `count` of them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        live = list(cluster.global_state._live_node_ids())
        if len(live) == count:
            return live
        time.sleep(0.5)
    raise TimeoutError(f"the Ray cluster did not reach {count} live nodes in {timeout_s:.0f} s")


def _stat(pid: int) -> tuple[str, int] | None:
    """(name, parent pid) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
    return (name, int(rest[1])) if rest[0] != "Z" else None


def node_processes(node: subprocess.Popen) -> dict[int, str]:
    """pid -> name of the node's `ray start` and every process below it (raylet, workers, agents)."""
    parents: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = found
    tree = {node.pid: parents[node.pid][0]} if node.pid in parents else {}
    grew = True
    while grew:
        grew = False
        for pid, (name, parent) in parents.items():
            if parent in tree and pid not in tree:
                tree[pid] = name
                grew = True
    return tree


def _alive(pid: int) -> bool:
    return _stat(pid) is not None


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    """The pids still alive after up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in pids if _alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _alive(p)]
    return alive


def stop_like_ray_stop(node: subprocess.Popen, grace_s: float = RAY_STOP_GRACE_S) -> dict[str, list[int]]:
    """Stop one node as `ray stop` does; returns the pids that ended on SIGTERM and on SIGKILL."""
    processes = node_processes(node)  # collected first: the raylet's children outlive it
    raylet = [pid for pid, name in processes.items() if name == "raylet"]
    rest = [pid for pid in processes if pid not in raylet]
    ended: dict[str, list[int]] = {"sigterm": [], "sigkill": []}
    for bucket in (raylet, rest):  # `ray stop` stops the raylet first, everything else after
        _signal(bucket, signal.SIGTERM)
        alive = _wait_gone(bucket, grace_s / 3)
        ended["sigterm"] += [pid for pid in bucket if pid not in alive]
        _signal(alive, signal.SIGKILL)
        _wait_gone(alive, 5.0)
        ended["sigkill"] += alive
    node.wait(timeout=30)
    return ended

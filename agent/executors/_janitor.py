"""Node-side cleanup for a Ray worker that dies before its runs can clean up after themselves.

`ray stop` on a node SIGTERMs its raylet first, and the raylet ends the node's Ray workers at
once: a run's `finally` never runs, so its container (still training), run image, artifact
volume and owner file would stay until the next Sentinel command on that machine. So the first
run a Ray worker process takes starts one janitor for it: a small process outside Ray's process
tree (detached twice, in its own session, so neither `ray stop` nor Ray's killing of a dead
worker's children reaches it) that waits for that worker to die, then runs the sandbox's
reaper (whatever a dead owner left: containers, run images, volumes, owner files) and the node's
stale-folder sweep, and exits. The reaper only ever removes what a dead process owned, so a
janitor firing while other runs go on is harmless.

    python -m sentinel.agent.executors._janitor [--detach] PID START_MARKER NODE_ROOT
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sentinel.sandbox.process import pid_alive, start_marker

__all__ = ["start_janitor", "watch"]

POLL_S = 1.0
MODULE = "sentinel.agent.executors._janitor"  # not __name__: that is __main__ under `python -m`


def _reap(root: Path) -> None:
    from sentinel.agent.executors.node import _clean_stale
    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.errors import SandboxError
    from sentinel.sandbox.run import reap_orphans

    with contextlib.suppress(SandboxError):  # no engine here any more: nothing of it to clean
        reap_orphans(Engine())
    if root.is_dir():
        _clean_stale(root)


def watch(
    pid: int, start: str, root: Path, reap: Callable[[Path], None] = _reap, poll_s: float = POLL_S
) -> None:
    """Wait until process `pid` (with start marker `start`) is gone, then reap once."""
    while pid_alive(pid, start):
        time.sleep(poll_s)
    reap(root)


def start_janitor(root: Path) -> None:
    """Start the janitor of this process (a Ray worker); returns once it is detached."""
    start = start_marker(os.getpid())
    if start is None:
        return
    subprocess.run(
        [sys.executable, "-m", MODULE, "--detach", str(os.getpid()), str(start), str(root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        timeout=60,
        check=False,
    )


def main(argv: list[str]) -> int:
    detach = argv[:1] == ["--detach"]
    args = argv[1:] if detach else argv
    if len(args) != 3 or not args[0].isdigit() or not args[1].isdigit():
        print("usage: _janitor [--detach] PID START_MARKER NODE_ROOT", file=sys.stderr)
        return 2
    if detach:  # the second fork: the janitor's parent exits now, so it is nobody's child
        subprocess.Popen(
            [sys.executable, "-m", MODULE, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
        return 0
    watch(int(args[0]), args[1], Path(args[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Who owns a campaign or a run, and whether that owner is still alive.

A pid alone is not an identity: after a crash the kernel may hand the same pid to an unrelated
process, which would keep a dead campaign's runs `running` forever. So an owner is
(pid, host, start marker), where the marker is the process start time from /proc. A zombie (an
exited child its parent has not reaped yet) counts as dead: it will never heartbeat again.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Owner", "is_alive", "start_marker", "this_process"]

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Owner:
    pid: int
    host: str
    start: str | None  # None where /proc is not available (then only the pid is checked)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return raw.rpartition(")")[2].split()


def start_marker(pid: int) -> str | None:
    """The process start time in clock ticks since boot (field 22), or None if unknown."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def this_process() -> Owner:
    pid = os.getpid()
    return Owner(pid, socket.gethostname(), start_marker(pid))


def is_alive(owner: Owner) -> bool | None:
    """True/False for an owner on this host; None when it lives on another host (cannot tell)."""
    if owner.host != socket.gethostname():
        return None
    if owner.pid <= 0:
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    fields = _stat_fields(owner.pid)
    if fields is None:
        return not PROC.is_dir()  # no /proc: the kill probe is all we have; else it just exited
    if fields[0] in {"Z", "X"}:
        return False
    return owner.start is None or len(fields) <= 19 or fields[19] == owner.start

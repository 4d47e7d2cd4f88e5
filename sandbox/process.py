"""Who owns a campaign, a run, a container or a volume, and whether that owner is still alive.

The host's one liveness check (the FeedbackStore, the orphan reaper, `doctor`'s dockerd probe).
A pid alone is not an identity: after a crash the kernel may hand the same pid to an unrelated
process, which would keep a dead campaign's runs `running` forever or a dead host's containers
unreaped. So an owner is (pid, host, start marker), where the marker is the process start time
from /proc. A zombie (an exited child its parent has not reaped yet) counts as dead: it will
never heartbeat again. Where only text can carry the owner (a container label, an owner file),
`owner_token` writes "<pid>:<start>" and `token_alive` reads it back (a bare "<pid>", as older
Sentinel versions wrote, is checked by pid alone).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Owner", "is_alive", "owner_token", "pid_alive", "start_marker", "this_process", "token_alive"]

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
    return pid_alive(owner.pid, owner.start)


def pid_alive(pid: int, start: str | None = None) -> bool:
    """A process of this host with this pid runs (not a zombie) and, when `start` is given, is
    the same process that had that start marker (not a later one that got the pid again)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    fields = _stat_fields(pid)
    if fields is None:
        return not PROC.is_dir()  # no /proc: the kill probe is all we have; else it just exited
    if fields[0] in {"Z", "X"}:
        return False
    return start is None or len(fields) <= 19 or fields[19] == start


def owner_token(owner: Owner | None = None) -> str:
    """`owner` (default: this process) as text for a label or a file: "<pid>:<start>"."""
    owner = owner or this_process()
    return f"{owner.pid}:{owner.start}" if owner.start is not None else str(owner.pid)


def token_alive(token: str) -> bool:
    """Whether the local owner an `owner_token` names still runs; malformed text is no owner."""
    pid, _, start = token.strip().partition(":")
    if not pid.isdigit() or (start and not start.isdigit()):
        return False
    return pid_alive(int(pid), start or None)

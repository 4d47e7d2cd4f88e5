"""PID 1 of every run container: an init the job can neither read nor outlive its deadline.

    python -m sentinel.sandbox.runtime.supervisor -- python -m sentinel.sandbox.runtime

Why not Docker's own init: it runs as the same uid as the job and stays dumpable, so the job
could read its memory and environment through /proc/1/mem and /proc/1/environ. This init
makes itself undumpable first (the kernel then refuses those files to any process without
CAP_SYS_PTRACE, which no process in the container has), and the job makes itself undumpable
as its first act too (`make_undumpable`), so anything it might start cannot read it.

It also holds the run's limits without the host: RLIMIT_CPU (a hard limit the job cannot
raise) and a wall-clock deadline after which it kills the job's whole process group and exits
with `DEADLINE_EXIT` (the host reads that as `timeout`). It forwards SIGTERM/SIGINT to the job,
reaps every orphan, and exits with the job's exit code (128 + signal when it was killed).
Stdlib only: it starts before anything else and imports nothing of the job's.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import resource
import signal
import sys
import time

__all__ = ["DEADLINE_EXIT", "main", "make_undumpable"]

DEADLINE_EXIT = 124  # as timeout(1)
DEADLINE_ENV, CPU_ENV = "SENTINEL_DEADLINE_S", "SENTINEL_CPU_S"
_PR_SET_DUMPABLE = 4
_WATCHED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}


def make_undumpable() -> None:
    """PR_SET_DUMPABLE 0: /proc/<self>/mem, environ, maps become unreadable to other processes."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _seconds(name: str) -> float | None:
    text = os.environ.get(name, "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _limit_cpu(cpu_s: float | None) -> None:
    if cpu_s is not None:
        soft = math.ceil(cpu_s)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))  # SIGXCPU, then SIGKILL


def _reap(child: int) -> int | None:
    """Reap every exited process; the job's exit code once it has exited, else None."""
    code = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return code
        if pid == 0:
            return code
        if pid == child:
            exit_code = os.waitstatus_to_exitcode(status)
            code = exit_code if exit_code >= 0 else 128 - exit_code


def supervise(argv: list[str], deadline_s: float | None, cpu_s: float | None) -> int:
    signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    _limit_cpu(cpu_s)
    child = os.posix_spawnp(argv[0], argv, dict(os.environ), setsigmask=(), setpgroup=0)
    deadline = time.monotonic() + deadline_s if deadline_s is not None else None
    expired = False
    while True:
        if deadline is None:
            info = signal.sigwaitinfo(_WATCHED)
        else:
            info = signal.sigtimedwait(_WATCHED, max(0.0, deadline - time.monotonic()))
        if info is None:  # the deadline passed: the job and anything it started go at once
            expired, deadline = True, None
            _kill_group(child, signal.SIGKILL)
            continue
        if info.si_signo in (signal.SIGTERM, signal.SIGINT):
            _kill_group(child, info.si_signo)
            continue
        code = _reap(child)
        if code is not None:
            _kill_group(child, signal.SIGKILL)  # stragglers of the job's group
            return DEADLINE_EXIT if expired else code


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m sentinel.sandbox.runtime.supervisor -- COMMAND...", file=sys.stderr)
        return 2
    make_undumpable()
    return supervise(args, _seconds(DEADLINE_ENV), _seconds(CPU_ENV))


if __name__ == "__main__":
    sys.exit(main())

"""The container's PID 1: exit codes pass through, the deadline holds without the host, and the
process makes itself undumpable (its /proc files are then closed to same-uid processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sentinel.sandbox.runtime.supervisor import DEADLINE_EXIT

SUPERVISOR = [sys.executable, "-m", "sentinel.sandbox.runtime.supervisor", "--"]


def _run(code: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SUPERVISOR, sys.executable, "-c", code],
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def test_exit_codes_and_signals_pass_through() -> None:
    assert _run("import sys; sys.exit(3)").returncode == 3
    assert _run("pass").returncode == 0
    assert _run("import os; os.kill(os.getpid(), 9)").returncode == 128 + 9


def test_the_deadline_kills_the_job_and_everything_it_started() -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    start = time.monotonic()
    proc = _run(code, {"SENTINEL_DEADLINE_S": "1"})
    assert proc.returncode == DEADLINE_EXIT and time.monotonic() - start < 10


def test_the_cpu_limit_is_a_hard_limit_the_job_cannot_raise() -> None:
    code = (
        "import resource\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_CPU)\n"
        "assert (soft, hard) == (7, 12), (soft, hard)\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_CPU, (hard + 10, hard + 10))\n"
        "except (ValueError, OSError):\n"
        "    raise SystemExit(5)\n"
        "raise SystemExit(0 if __import__('os').getuid() == 0 else 6)\n"
    )
    # as root the kernel lets a process raise its own hard limit; inside a run (uid 65534,
    # no capabilities) it cannot: the exit code tells which case ran.
    assert _run(code, {"SENTINEL_CPU_S": "7"}).returncode in {0, 5}


def test_sigterm_is_forwarded_to_the_job() -> None:
    proc = subprocess.Popen(
        [*SUPERVISOR, sys.executable, "-c", "import time; time.sleep(60)"], env=os.environ.copy()
    )
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM


def test_make_undumpable_clears_the_dumpable_flag() -> None:
    """PR_GET_DUMPABLE (3) reads 0 after the call: the kernel then refuses /proc/<pid>/mem,
    environ and maps to every process without CAP_SYS_PTRACE (checked in a real container by
    tests/security/test_trusted_results.py)."""
    code = (
        "import ctypes; from sentinel.sandbox.runtime.supervisor import make_undumpable as m\n"
        "before = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0); m()\n"
        "print(before, ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"
    )
    probe = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=30
    )
    assert probe.stdout.split() == ["1", "0"], probe.stderr

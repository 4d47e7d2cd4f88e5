"""A preloaded parent for host bench runs: `python -m sentinel.agent.monitoring.bench._zygote`.

A bench run of a small model trains for well under a second, but a fresh `python -m
sentinel.sandbox.runtime` first spends ~1.5 CPU-seconds importing torch and the runtime. This
process imports them once, then forks one child per run; the child is the same entrypoint
(`sentinel.sandbox.runtime.__main__.main`) in a fresh process of its own, with the run's
environment, its output in the run's stdout.log, and its own process group, so a run still
cannot see another run's state. Decisions depend on steps and values only, so the events equal
those of a plain subprocess (a test compares them).

Protocol, one JSON object per line: stdin `{"argv": [...], "env": {...}, "log": PATH,
"timeout": SECONDS}` -> stdout `{"exit": CODE}` (null when the run was killed at its timeout).
EOF on stdin ends the process. Host-side only; never part of a run image's code path.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import traceback
from typing import Any

POLL_S = 0.02


def preload() -> None:
    """What every run imports first; the children inherit it, already initialised."""
    import torch
    import torch._inductor  # noqa: F401  (torch.use_deterministic_algorithms imports it: ~1.5 CPU-s)

    import sentinel.monitor
    import sentinel.sandbox.runtime.__main__
    import sentinel.sandbox.runtime.datasets
    import sentinel.sandbox.runtime.loader
    import sentinel.sandbox.runtime.trainer  # noqa: F401


def child(request: dict[str, Any]) -> None:
    """In the forked child: become the run (never returns)."""
    code = 1
    try:
        os.setpgrp()
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.environ.clear()
        os.environ.update(request["env"])
        from sentinel.sandbox.runtime.__main__ import main

        code = main(list(request["argv"]))
    except BaseException:  # the run's own failure: its log says why, its exit code is 1
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        deadline = time.monotonic() + float(request["timeout"])
        code: int | None = None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(POLL_S)
        sys.stdout.write(json.dumps({"exit": code}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()

"""The janitor of a Ray worker: it waits for exactly that process to die, then reaps once.
(The detached janitor on a real node, under a real `ray stop`, runs in
tests/integration/test_ray_executor.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from sentinel.agent.executors._janitor import main, watch
from sentinel.sandbox.process import start_marker


def test_the_janitor_reaps_once_when_its_process_is_gone(tmp_path):
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    start = start_marker(worker.pid)
    assert start is not None
    reaped: list = []
    janitor = threading.Thread(target=watch, args=(worker.pid, start, tmp_path, reaped.append, 0.05))
    janitor.start()
    janitor.join(timeout=0.2)
    assert janitor.is_alive() and reaped == []  # the worker still runs
    worker.wait()
    janitor.join(timeout=5)
    assert not janitor.is_alive() and reaped == [tmp_path]


def test_a_reused_pid_is_not_its_process():
    reaped: list = []
    watch(os.getpid(), str(int(start_marker(os.getpid())) + 1), os.devnull, reaped.append, 0.01)
    assert reaped == [os.devnull]


def test_bad_arguments_exit_2(capsys):
    assert main(["not-a-pid", "1", "/tmp"]) == 2
    assert main(["--detach", "1"]) == 2
    assert "usage" in capsys.readouterr().err

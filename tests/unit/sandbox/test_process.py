"""The host's one liveness check: a pid plus its start marker, so pid reuse is never life."""

from __future__ import annotations

import subprocess
import sys
import time

from sentinel.sandbox.engine import OWNER_LABEL, OWNER_START_LABEL, owner_labels
from sentinel.sandbox.process import Owner, is_alive, owner_token, pid_alive, this_process, token_alive
from sentinel.sandbox.run import _owner_dead


def test_this_process_is_alive_by_owner_token_and_labels() -> None:
    me = this_process()
    assert is_alive(me) and pid_alive(me.pid, me.start)
    assert token_alive(owner_token()) and owner_token() == f"{me.pid}:{me.start}"
    assert not _owner_dead(owner_labels())


def test_a_reused_pid_is_not_the_owner() -> None:
    """Same pid, other start marker: the process that wrote the token is gone."""
    me = this_process()
    other_start = str(int(me.start or "0") + 1)
    assert not pid_alive(me.pid, other_start)
    assert not token_alive(f"{me.pid}:{other_start}")
    assert _owner_dead({OWNER_LABEL: str(me.pid), OWNER_START_LABEL: other_start})
    assert is_alive(Owner(me.pid, me.host, other_start)) is False


def test_old_bare_pid_tokens_and_labels_are_checked_by_pid() -> None:
    me = this_process()
    assert token_alive(str(me.pid))
    assert not _owner_dead({OWNER_LABEL: str(me.pid)})


def test_exited_and_zombie_processes_are_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while pid_alive(child.pid) and time.monotonic() < deadline:  # exited, not yet reaped: a zombie
        time.sleep(0.05)
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid) and not token_alive(str(child.pid))


def test_malformed_tokens_name_no_owner() -> None:
    for token in ("", "abc", "-1", "0", "12:x", f"{this_process().pid}:"):
        assert token_alive(token) is (token == f"{this_process().pid}:"), token


def test_an_owner_on_another_host_cannot_be_judged() -> None:
    assert is_alive(Owner(this_process().pid, "some-other-host", None)) is None

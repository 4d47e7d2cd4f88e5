"""Terminal approval through a real pseudo-terminal: the campaign CLI runs with its stdin, stdout and
stderr on a pty (so it sees a terminal, draws its live view and reads answers like at a desk), and
the test types answers as a person would.

The campaign runs through tests/unit/agent/_approval_support.py: the real `sentinel` CLI with the
container launch faked at the transport seam and a small list brain standing in for the strategist.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from sentinel.agent.campaign.approval import default_reviewer
from sentinel.agent.store import FeedbackStore

DRIVER = Path(__file__).resolve().parents[1] / "unit" / "agent" / "_approval_support.py"
PROMPT = "help > "
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|[\r\x07]")


class Terminal:
    """A child process on a pty, with expect/send like a person reading and typing."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 160, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
        )
        os.close(slave)
        self.raw = ""
        self.seen = 0  # `expect` matches only text after the previous match

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    def expect(self, needle: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            found = self.text.find(needle, self.seen)
            if found >= 0:
                self.seen = found + len(needle)
                return self.text[:found]
            if time.monotonic() > deadline or not self._read(deadline - time.monotonic()):
                raise AssertionError(f"{needle!r} never appeared; the terminal shows:\n{self.text[-3000:]}")

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self._read(max(0.0, deadline - time.monotonic())):
            pass
        try:
            return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            os.close(self.master)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, min(timeout, 1.0)))
        if not ready:
            return self.proc.poll() is None and timeout > 0
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.raw += chunk.decode("utf-8", "replace")
        return bool(chunk)


@pytest.fixture
def campaign(tmp_path: Path):
    runs = tmp_path / "runs"
    env = {**os.environ, "SENTINEL_RUNS": str(runs), "SENTINEL_REVIEWS": str(tmp_path / "reviews")}
    env.update({"TERM": "xterm-256color", "SENTINEL_TEST_LRS": "0.02,0.005,0.03"})
    for name in ("NO_COLOR", "COLUMNS", "LINES"):
        env.pop(name, None)
    started: list[Terminal] = []

    def start(budget: int) -> Terminal:
        argv = [sys.executable, str(DRIVER), "campaign", "run", "digits:quick", "--approval", "terminal"]
        term = Terminal([*argv, "--budget", str(budget)], env, tmp_path)
        started.append(term)
        return term

    yield start, lambda: FeedbackStore(runs / "feedback.db")
    for term in started:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()


def _approvals(store: FeedbackStore) -> list[tuple[str, str]]:
    [record] = store.list_campaigns()
    return [(a.decision, a.reviewer) for p in store.proposals(record.id) for a in store.approvals(p.id)]


def test_help_diff_approve_and_reject_at_a_terminal(campaign) -> None:
    start, store = campaign
    term = start(2)
    screen = term.expect(PROMPT)
    for part in ("proposal 1 of campaign", "trainer.lr", "0.02", "0.003", "try learning rate 0.02"):
        assert part in screen
    assert "drift:" in screen and "best val/acc" in screen
    term.send("h")
    term.expect("approve this and every later proposal")
    term.expect(PROMPT)
    term.send("d")
    assert "+  lr: 0.02" in term.expect(PROMPT)
    term.send("a")
    screen = term.expect(PROMPT)
    assert "proposal 2 of campaign" in screen and "recent runs" in screen and "completed" in screen
    term.send("r")
    assert "proposal 3 of campaign" in term.expect(PROMPT)
    term.send("approve")
    assert term.finish() == 0
    me = default_reviewer()
    assert _approvals(store()) == [("approved", me), ("rejected", me), ("approved", me)]


def test_modify_at_a_terminal_is_revalidated_and_runs_as_a_human_proposal(campaign) -> None:
    start, store = campaign
    term = start(1)
    term.expect(PROMPT)
    term.send("m")
    term.expect("changes (key=value")
    term.send("trainer.lr=fast")
    term.expect("not changed:")
    term.expect(PROMPT)
    term.send("m trainer.lr=0.004")
    term.expect("replaces proposal 1")
    assert term.finish() == 0
    s = store()
    [record] = s.list_campaigns()
    original, replacement = s.proposals(record.id)
    assert original.state == "rejected_by_reviewer"
    assert (replacement.brain, replacement.state, dict(replacement.overrides)) == (
        "human",
        "finished",
        {"trainer.lr": 0.004},
    )


def test_all_approves_the_rest_without_asking(campaign) -> None:
    start, store = campaign
    term = start(3)
    term.expect(PROMPT)
    term.send("all")
    assert term.finish() == 0
    assert PROMPT not in term.text[term.seen :]  # asked once
    me = default_reviewer()
    assert _approvals(store()) == [("approved", me), ("approved", f"{me}+auto"), ("approved", f"{me}+auto")]


def test_pause_at_a_terminal_exits_4(campaign) -> None:
    start, store = campaign
    term = start(1)
    term.expect(PROMPT)
    term.send("p")
    term.expect("campaign resume")
    assert term.finish() == 4
    assert store().list_campaigns()[0].state == "paused"

"""The terminal hook's conversation in the real loop, with its input as a text stream (the real
pseudo-terminal path is tests/e2e/test_terminal_approval.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

import pytest
from _approval_support import ArtifactLauncher, ListBrain, goal, no_engine, runner
from rich.console import Console

from sentinel.agent.brains._base import CampaignContext, Proposal
from sentinel.agent.campaign.approval import HUMAN_BRAIN, TerminalApproval, default_reviewer
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


class CountingLive:
    """A live display stand-in that records whether it was stopped while the person answered."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def stop(self) -> None:
        self.events.append("stop")

    def start(self) -> None:
        self.events.append("start")


class Session:
    def __init__(self, tmp_path: Path, answers: str, brain: ListBrain | None = None) -> None:
        self.store = FeedbackStore(tmp_path / "f.db")
        self.screen = io.StringIO()
        self.live = CountingLive()
        self.hook = TerminalApproval(
            self.store,
            CONFIGS_DIR,
            reviewer="alice",
            console=Console(file=self.screen, width=140, color_system=None),
            stdin=io.StringIO(answers),
            live=self.live,
        )
        self.launcher = ArtifactLauncher()
        self.runner = runner(self.store, self.hook, tmp_path / "runs", self.launcher, brain)

    def run(self, runs: int):
        return self.runner.start(goal(runs), seed=0)

    @property
    def text(self) -> str:
        return self.screen.getvalue()

    def approvals(self, campaign_id: str) -> list[tuple[str, str]]:
        return [
            (a.decision, a.reviewer)
            for p in self.store.proposals(campaign_id)
            for a in self.store.approvals(p.id)
        ]


def test_approve_runs_and_the_screen_shows_the_proposal(tmp_path: Path) -> None:
    s = Session(tmp_path, "a\n")
    out = s.run(1)
    assert out.state == "finished" and len(s.launcher.calls) == 1
    assert s.approvals(out.campaign_id) == [("approved", "alice")]
    for part in ("proposal 1 of campaign", "trainer.lr", "0.02", "0.003", "try learning rate 0.02"):
        assert part in s.text
    for part in ("history: no runs yet", "best val/acc: - (no finished run yet)", "drift: continue"):
        assert part in s.text
    assert s.live.events == ["stop", "start"]


def test_reject_then_approve_with_history_and_best(tmp_path: Path) -> None:
    s = Session(tmp_path, "a\nr\nyes\n")
    out = s.run(2)
    assert [p.state for p in s.store.proposals(out.campaign_id)] == [
        "finished",
        "rejected_by_reviewer",
        "finished",
    ]
    assert s.approvals(out.campaign_id) == [
        ("approved", "alice"),
        ("rejected", "alice"),
        ("approved", "alice"),
    ]
    assert "recent runs" in s.text and "completed" in s.text and "rejected_by_reviewer" in s.text
    assert "best val/acc: 0.9 (run 1: trainer.lr=0.02)" in s.text


def test_help_diff_and_unknown_answers_keep_asking(tmp_path: Path) -> None:
    s = Session(tmp_path, "h\n\nwhat\nd\na\n")
    out = s.run(1)
    assert out.state == "finished"
    assert "approve this and every later proposal" in s.text and "unknown answer 'what'" in s.text
    assert "-  lr: 0.003" in s.text and "+  lr: 0.02" in s.text


def test_modify_revalidates_then_runs_the_human_proposal(tmp_path: Path) -> None:
    s = Session(tmp_path, "m trainer.lr=fast\nm model=nope\nm\n\nm\ntrainer.lr=0.004 model=cnn1d\n")
    out = s.run(1)
    assert out.state == "finished"
    assert s.text.count("not changed:") == 2  # the bad value and the unknown model, each re-asked
    original, replacement = s.store.proposals(out.campaign_id)
    assert original.state == "rejected_by_reviewer" and replacement.state == "finished"
    assert (replacement.brain, replacement.parent_id) == (HUMAN_BRAIN, original.id)
    assert dict(replacement.overrides) == {"trainer.lr": 0.004, "model": "cnn1d"}
    assert replacement.rationale.startswith("modified by alice from proposal 1")
    assert s.approvals(out.campaign_id) == [("rejected", "alice"), ("approved", "alice")]
    assert s.launcher.calls[0].overrides == ("model=cnn1d", "trainer.lr=0.004")
    assert "proposal 2 (model=cnn1d trainer.lr=0.004) replaces proposal 1" in s.text


def test_all_approves_the_rest_without_asking(tmp_path: Path) -> None:
    s = Session(tmp_path, "all\n")
    out = s.run(3)
    assert out.state == "finished" and len(s.launcher.calls) == 3
    assert s.approvals(out.campaign_id) == [
        ("approved", "alice"),
        ("approved", "alice+auto"),
        ("approved", "alice+auto"),
    ]
    assert s.text.count("of campaign") == 1  # one screen, then no more questions


def test_pause_and_end_of_input_pause_the_campaign(tmp_path: Path) -> None:
    s = Session(tmp_path, "p\n")
    out = s.run(1)
    assert out.state == "paused" and "was paused by alice" in out.reason and "campaign resume" in out.reason
    s2 = Session(tmp_path / "eof", "")
    out2 = s2.run(1)
    assert out2.state == "paused" and "got no answer" in out2.reason and not s2.launcher.calls


class MarkupBrain(ListBrain):
    name: ClassVar[str] = "markup"

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        if ctx.store.proposals(ctx.campaign_id):
            return None
        return Proposal(tier=1, overrides={"trainer.lr": 0.02}, rationale="[bold red]trust me[/] \x1b[2J")


def test_rationale_is_shown_as_text_never_as_markup(tmp_path: Path) -> None:
    s = Session(tmp_path, "r\n", MarkupBrain())
    s.run(1)
    assert "[bold red]trust me[/]" in s.text and "\x1b" not in s.text


def test_default_reviewer_is_a_valid_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "Ann Lee/admin")
    assert default_reviewer() == "Ann-Lee-admin"
    monkeypatch.setattr("getpass.getuser", lambda: "...")
    assert default_reviewer() == "terminal"

"""Terminal approval: a person at the campaign's terminal decides each proposal as it comes.

The hook shows the proposal (overrides against the base config, tier, rationale), the recent
runs, the best so far and the drift recommendation, then reads one answer per line from stdin:
approve, reject, modify (re-validated by composing the config), approve all the rest, diff,
pause or help (see `_screen.HELP`). End of input pauses the campaign instead of guessing.

A live progress display, if any, is stopped while the person reads and types, so the screen
shows what is being decided and nothing redraws over the answer.
"""

from __future__ import annotations

import getpass
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from rich.console import Console
from rich.text import Text

from sentinel.agent.campaign.approval._base import ApprovalHook, Decision
from sentinel.agent.campaign.approval._modify import modify_proposal
from sentinel.agent.campaign.approval._screen import HELP, PROMPT, show_diff, show_proposal
from sentinel.agent.errors import AgentError
from sentinel.agent.review import checked_overrides
from sentinel.agent.store import FeedbackStore, ProposalRecord

if TYPE_CHECKING:
    from sentinel.agent.configs import CheckedConfig

__all__ = ["TerminalApproval", "default_reviewer"]

_NOT_REVIEWER = re.compile(r"[^A-Za-z0-9_.@+-]")
ANSWERS = {
    "a": "approve", "approve": "approve", "y": "approve", "yes": "approve",
    "r": "reject", "reject": "reject", "n": "reject", "no": "reject",
    "m": "modify", "modify": "modify",
    "all": "all",
    "d": "diff", "diff": "diff",
    "p": "pause", "pause": "pause",
    "h": "help", "help": "help", "?": "help",
}  # fmt: skip


class Live(Protocol):
    """A live display (rich Progress or Live) that can be stopped and started again."""

    def stop(self) -> None: ...

    def start(self) -> None: ...


def default_reviewer() -> str:
    """The login name, made a valid reviewer name; "terminal" when there is none."""
    try:
        name = _NOT_REVIEWER.sub("-", getpass.getuser()).lstrip("._@+-")[:64]
    except (OSError, KeyError):
        name = ""
    return name or "terminal"


class TerminalApproval(ApprovalHook):
    name = "terminal"

    def __init__(
        self,
        store: FeedbackStore,
        configs_dir: Path,
        *,
        reviewer: str | None = None,
        console: Console | None = None,
        stdin: TextIO | None = None,
        live: Live | None = None,
        runs_dir: Path | None = None,
    ) -> None:
        self.store, self.configs_dir = store, Path(configs_dir)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None  # campaigns' generated entries
        self.reviewer = reviewer or default_reviewer()
        self.console = console or Console(stderr=True)
        self._stdin = stdin  # None: sys.stdin through input(), with the terminal's line editing
        self._live = live
        self._rest_approved = False
        self._authored: dict[int, str] = {}  # proposals a person wrote here -> that person
        self._waiting: dict[int, str] = {}

    def decide(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision | None:
        if proposal.id in self._authored:
            author = self._authored.pop(proposal.id)
            self.console.print(f"proposal {proposal.seq}: approved as modified by {author}")
            return Decision("approved", author)
        if self._rest_approved:
            self.console.print(f"proposal {proposal.seq}: approved (all the rest)")
            return Decision("approved", f"{self.reviewer[:59]}+auto")
        with self._screen():
            show_proposal(self.console, self.store, proposal, self.configs_dir, self._root(proposal))
            return self._converse(proposal, checked)

    def _root(self, proposal: ProposalRecord) -> Path | None:
        return self.runs_dir / proposal.campaign_id if self.runs_dir is not None else None

    def pause_message(self, proposal: ProposalRecord) -> str:
        why = self._waiting.get(proposal.id, "waits for a decision at the terminal")
        return f"proposal {proposal.seq} {why}; `sentinel campaign resume {proposal.campaign_id}` asks again"

    def _converse(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision | None:
        while True:
            line = self._read(PROMPT)
            if line is None:
                self._waiting[proposal.id] = "got no answer (end of input)"
                return None
            word, _, rest = line.strip().partition(" ")
            action = ANSWERS.get(word.lower())
            if action == "approve":
                return Decision("approved", self.reviewer)
            if action == "reject":
                return Decision("rejected", self.reviewer)
            if action == "all":
                self._rest_approved = True
                return Decision("approved", self.reviewer)
            if action == "pause":
                self._waiting[proposal.id] = f"was paused by {self.reviewer}"
                return None
            if action == "modify":
                decision = self._modify(proposal, rest.strip())
                if decision is not None:
                    return decision
            elif action == "diff":
                show_diff(self.console, proposal, self.configs_dir, self._root(proposal), checked)
            elif action == "help":
                self.console.print(Text(HELP))
            elif word:
                self.console.print(Text(f"unknown answer {word!r}; type h for help", style="red"))

    def _modify(self, proposal: ProposalRecord, inline: str) -> Decision | None:
        """A new proposal with the person's overrides, or None (back to the menu) if they fail."""
        text = inline or self._read("changes (key=value, -key; empty line goes back) > ")
        if not text or not text.strip():
            return None
        try:
            overrides = checked_overrides(proposal, shlex.split(text), self.configs_dir, self._root(proposal))
            replacement = modify_proposal(self.store, proposal, overrides, self.reviewer)
        except (AgentError, ValueError) as err:
            self.console.print(Text(f"not changed: {err}", style="red"))
            return None
        self._authored[replacement.id] = self.reviewer
        args = " ".join(replacement.override_args())
        note = f"proposal {replacement.seq} ({args}) replaces proposal {proposal.seq}; it runs once validated"
        self.console.print(Text(note))
        return Decision("rejected", self.reviewer)

    def _read(self, prompt: str) -> str | None:
        """One line, or None at end of input."""
        try:
            if self._stdin is None:
                return self.console.input(prompt)
            self.console.print(prompt, end="")
            line = self._stdin.readline()
            return line if line else None
        except EOFError:
            return None

    @contextmanager
    def _screen(self) -> Iterator[None]:
        if self._live is None:
            yield
            return
        self._live.stop()
        try:
            yield
        finally:
            self._live.start()

"""FeedbackStore errors: each states its DESIGN.md exit code and carries the facts.

They sit under AgentError (agent/errors.py) so the CLI maps them in its one place; the ones a
user can cause by typing a wrong id or pointing at the wrong file are also BadInput (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from sentinel.agent.errors import AgentError, BadInput

__all__ = [
    "BadRecord",
    "CampaignBusy",
    "NotAStore",
    "SchemaTooNew",
    "StateConflict",
    "StoreError",
    "StoreUnavailable",
    "UnknownRecord",
]


class StoreError(AgentError):
    """Root of the store's errors (exit 1 unless a subclass says otherwise)."""


class StoreUnavailable(StoreError):
    """The database cannot be opened as a durable store on this machine (e.g. no WAL support)."""

    exit_code: ClassVar[int] = 3

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"feedback store {path}: {detail}")
        self.path, self.detail = path, detail


class SchemaTooNew(StoreUnavailable):
    """Written by a newer Sentinel: refusing is the only way not to corrupt it."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            path,
            f"schema version {found} is newer than this Sentinel supports ({supported}); "
            "upgrade Sentinel or use another store file",
        )
        self.found, self.supported = found, supported


class NotAStore(StoreError, BadInput):
    """The file is an SQLite database (or not even that) but not a FeedbackStore."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"{path} is not a Sentinel feedback store: {detail}")
        self.path = path


class UnknownRecord(StoreError, BadInput):
    """A campaign, proposal or run id that the store does not hold (often a typo at the CLI)."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r} in the feedback store")
        self.kind, self.key = kind, key


class BadRecord(StoreError, BadInput):
    """A value the store refuses to write (bad key, non-finite number, free text too long...)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


class CampaignBusy(StoreError, BadInput):
    """Another live process owns the campaign: two loops on one campaign would run proposals twice."""

    def __init__(self, campaign_id: str, pid: int, host: str) -> None:
        super().__init__(f"campaign {campaign_id} is being run by process {pid} on {host}; stop it first")
        self.campaign_id, self.pid, self.host = campaign_id, pid, host


class StateConflict(StoreError):
    """A transition the state machine does not allow (a bug or a lost race), refused unwritten."""

    def __init__(self, kind: str, key: object, state: str, wanted: str) -> None:
        super().__init__(f"{kind} {key!r} is {state}; cannot move it to {wanted}")
        self.kind, self.key, self.state, self.wanted = kind, key, state, wanted

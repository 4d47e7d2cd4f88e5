"""Every host-side error, in one tree: each class states its DESIGN.md exit code and carries the facts.

The CLI turns them into one `error:` line and the class's exit code in one place
(`agent/cli/_exit.py`): 1 the work ran and failed, 2 bad input, 3 environment, 4 paused for
review. Each class has exactly one parent, so `except` clauses and exit codes never disagree;
a family whose members differ in exit code (the store's) states the code per class. The
sandbox's errors live in `sentinel.sandbox.errors` (the other side of the boundary) and the
validator's in `sentinel.validator.errors`; the two executor errors below extend sandbox
errors because the loop treats them like a sandbox that went away.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from sentinel.sandbox.errors import ImageUnavailable, SandboxError

__all__ = [
    "AgentError",
    "AlreadyDecided",
    "BadInput",
    "BadRecord",
    "BundleChanged",
    "BundleInvalid",
    "CampaignBusy",
    "CampaignPaused",
    "ConfigError",
    "EntryExists",
    "EnvironmentProblem",
    "LLMUnavailable",
    "NodeRefused",
    "NotAStore",
    "ReviewError",
    "RunLost",
    "SchemaTooNew",
    "StateConflict",
    "StoreError",
    "StoreUnavailable",
    "ToolInputError",
    "UnknownRecord",
    "UnknownReview",
]


class AgentError(Exception):
    exit_code: ClassVar[int] = 1  # the work ran and failed


class BadInput(AgentError):
    """The user's input (experiment, override, goal, path) is wrong; nothing was written."""

    exit_code = 2


class ConfigError(BadInput):
    """A config cannot be composed or does not fit the registry."""


class EnvironmentProblem(AgentError):
    """The input was fine but the machine refused (a full disk): exit 3, the message says what."""

    exit_code = 3


# the campaign loop and its brains -----------------------------------------------------------
class CampaignPaused(AgentError):
    """The approval hook asked for a human decision that is not recorded yet (exit 4)."""

    exit_code = 4


class LLMUnavailable(AgentError):
    """The model cannot be reached or used (no client package, endpoint down, key refused): an
    environment problem, so the campaign stays resumable once it is fixed."""

    exit_code = 3


class ToolInputError(BadInput):
    """A tool was called with an argument it cannot use; the message names the argument and the
    accepted values, so a caller (or an LLM) can correct the call. Nothing was written."""


class EntryExists(ToolInputError):
    """The entry name a tool was asked to write is taken by a different entry: choose another."""


# executors ----------------------------------------------------------------------------------
class RunLost(SandboxError):
    """The machine running the run went away mid-run (node death, worker crash).

    Nothing about the run itself is known: the store marks it `lost` and the loop gives its
    proposal one more attempt, which the cluster schedules on a live node."""


class NodeRefused(ImageUnavailable):
    """A node will not run this run: its runtime image or composed config differs from the head's.

    A node that would run other code than the head approved never runs anything: like a missing
    image, the campaign pauses (exit 3) with the run requeued, never recorded as its failure."""


# the feedback store -------------------------------------------------------------------------
class StoreError(AgentError):
    """Root of the store's errors (exit 1 unless a subclass says otherwise); the ones a user can
    cause by typing a wrong id or pointing at the wrong file are exit 2."""


class StoreUnavailable(StoreError):
    """The database cannot be opened as a durable store on this machine (e.g. no WAL support)."""

    exit_code = 3

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


class NotAStore(StoreError):
    """The file is an SQLite database (or not even that) but not a FeedbackStore."""

    exit_code = 2

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"{path} is not a Sentinel feedback store: {detail}")
        self.path = path


class UnknownRecord(StoreError):
    """A campaign, proposal or run id that the store does not hold (often a typo at the CLI)."""

    exit_code = 2

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r} in the feedback store")
        self.kind, self.key = kind, key


class BadRecord(StoreError):
    """A value the store refuses to write (bad key, non-finite number, free text too long...)."""

    exit_code = 2

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


class CampaignBusy(StoreError):
    """Another live process owns the campaign: two loops on one campaign would run proposals twice."""

    exit_code = 2

    def __init__(self, campaign_id: str, pid: int, host: str) -> None:
        super().__init__(f"campaign {campaign_id} is being run by process {pid} on {host}; stop it first")
        self.campaign_id, self.pid, self.host = campaign_id, pid, host


class StateConflict(StoreError):
    """A transition the state machine does not allow (a bug or a lost race), refused unwritten."""

    def __init__(self, kind: str, key: object, state: str, wanted: str) -> None:
        super().__init__(f"{kind} {key!r} is {state}; cannot move it to {wanted}")
        self.kind, self.key, self.state, self.wanted = kind, key, state, wanted


# offline review -----------------------------------------------------------------------------
class ReviewError(BadInput):
    """Root of the review errors: a reviewer's request that cannot be honoured (exit 2, nothing
    written)."""


class UnknownReview(ReviewError):
    def __init__(self, ref: str, root: Path) -> None:
        super().__init__(f"no review bundle {ref!r} under {root} (see `sentinel review list`)")
        self.ref, self.root = ref, root


class BundleInvalid(ReviewError):
    """The folder holds something a bundle never does (a link, a subfolder, a huge file) or lost
    its seal, so no digest of it can be trusted."""

    def __init__(self, folder: Path, detail: str) -> None:
        super().__init__(f"review bundle {folder}: {detail}")
        self.folder, self.detail = folder, detail


class BundleChanged(ReviewError):
    """The bundle's files differ from the digest that was sealed or approved."""

    def __init__(self, folder: Path, expected: str, actual: str, what: str) -> None:
        super().__init__(
            f"review bundle {folder} changed since {what} (was {expected[:12]}, now {actual[:12]})"
        )
        self.folder, self.expected, self.actual = folder, expected, actual


class AlreadyDecided(ReviewError):
    def __init__(self, folder: Path, detail: str) -> None:
        super().__init__(f"review bundle {folder}: {detail}")
        self.folder = folder

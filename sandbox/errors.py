"""Sandbox error tree: each class states its DESIGN.md exit code and carries the facts."""

from __future__ import annotations

from typing import ClassVar


class SandboxError(Exception):
    exit_code: ClassVar[int] = 1  # the work ran and failed


class EngineUnavailable(SandboxError):
    """The input was fine but this machine has no usable engine; the message says how to get one."""

    exit_code = 3

    def __init__(self, detail: str, hint: str = "run `sentinel doctor --fix` as root") -> None:
        super().__init__(f"{detail}; {hint}")
        self.detail, self.hint = detail, hint


class ImageUnavailable(SandboxError):
    """The runtime image is missing or cannot be built on this machine."""

    exit_code = 3


class DataUnavailable(SandboxError):
    """The prepared data (or its held-out targets) is missing or unreadable on this machine."""

    exit_code = 3


class BadRunInput(SandboxError):
    """The run request is wrong (missing model file, bad limit); nothing was started."""

    exit_code = 2


class ArtifactRejected(SandboxError):
    """A run's artifacts broke the contract; the host keeps going and marks the run.

    `reason` is Sentinel's own complete sentence, naming the file ("metrics.jsonl line 12
    exceeds 4096 bytes"), never text copied from the artifact, so it is safe on a terminal, a
    dashboard or in an LLM prompt. `file` is the offending artifact's name, or "" when the
    violation concerns the artifact folder as a whole.
    """

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(reason)
        self.file, self.reason = file, reason

    def __reduce__(self) -> tuple[type[ArtifactRejected], tuple[str, str]]:
        """Stay picklable (multiprocessing, pytest-xdist) despite the two-field init."""
        return (type(self), (self.file, self.reason))

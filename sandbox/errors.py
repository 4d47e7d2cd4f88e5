"""Sandbox error tree: one root, each class states its DESIGN.md exit code and carries the facts.

The CLI maps these to exit codes in one place (`agent/cli/_exit.py`). Other sandbox errors
(engine unavailable, bad run input, ...) belong in this file, under `SandboxError`.
"""

from __future__ import annotations

from typing import ClassVar


class SandboxError(Exception):
    """Root of every sandbox failure; by default the work ran and failed (DESIGN.md exit 1)."""

    exit_code: ClassVar[int] = 1


class ArtifactRejected(SandboxError):
    """A run's artifacts broke a boundary rule, so the run is `artifact_rejected`.

    `reason` is always Sentinel's own wording (never text copied from the artifact), so it is
    safe to show on a terminal, a dashboard or in an LLM prompt. `file` names the offending
    artifact, or is "" when the violation concerns the artifact folder as a whole.
    """

    def __init__(self, reason: str, file: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file

    def __reduce__(self) -> tuple[type[ArtifactRejected], tuple[str, str]]:
        """Keep the error picklable (multiprocessing, pytest-xdist) despite the two-field init."""
        return (type(self), (self.reason, self.file))

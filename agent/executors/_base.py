"""The executor seam: one way to run a prepared run, whatever machine runs it.

An `Executor` takes the `LaunchRequest` the campaign loop (or a bench) prepared and returns the
`LaunchOutcome` of `launch_run`: a typed `RunResult` whose artifacts were read by the one
hostile reader (`sentinel.sandbox.artifacts`) on this host. Callers never learn which executor
ran a run; `launch` has `launch_run`'s signature so it drops into the loop's `launcher` seam.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import TYPE_CHECKING

from sentinel.agent.errors import NodeRefused, RunLost

if TYPE_CHECKING:
    from sentinel.agent.configs import ResolvedConfig
    from sentinel.agent.launch import LaunchOutcome, LaunchRequest, OnProgress

__all__ = ["Executor", "NodeRefused", "RunLost"]


class Executor(ABC):
    """Runs prepared runs; safe to call `launch` from several threads (`--parallel K`)."""

    name: str = ""

    @abstractmethod
    def launch(
        self, resolved: ResolvedConfig, request: LaunchRequest, on_progress: OnProgress | None = None
    ) -> LaunchOutcome:
        """Run `resolved` as `request` says to its end; raise as `launch_run` does (BadInput,
        SandboxError, RunLost). The caller composed `resolved` once; executors never compose it again."""

    def close(self) -> None:
        """Let go of whatever the executor holds (a cluster connection); safe to call twice."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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

from sentinel.sandbox.errors import ImageUnavailable, SandboxError

if TYPE_CHECKING:
    from sentinel.agent.launch import LaunchOutcome, LaunchRequest, OnProgress

__all__ = ["Executor", "NodeRefused", "RunLost"]


class RunLost(SandboxError):
    """The machine running the run went away mid-run (node death, worker crash).

    Nothing about the run itself is known: the store marks it `lost` and the loop gives its
    proposal one more attempt, which the cluster schedules on a live node."""


class NodeRefused(ImageUnavailable):
    """A node will not run this run: its runtime image or composed config differs from the head's.

    A node that would run other code than the head approved never runs anything: like a missing
    image, the campaign pauses (exit 3) with the run requeued, never recorded as its failure."""


class Executor(ABC):
    """Runs prepared runs; safe to call `launch` from several threads (`--parallel K`)."""

    name: str = ""

    @abstractmethod
    def launch(self, request: LaunchRequest, on_progress: OnProgress | None = None) -> LaunchOutcome:
        """Run `request` to its end; raise as `launch_run` does (BadInput, SandboxError, RunLost)."""

    def close(self) -> None:
        """Let go of whatever the executor holds (a cluster connection); safe to call twice."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

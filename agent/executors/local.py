"""`local`: today's path, the hardened runner on this machine (the default executor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sentinel.agent.executors._base import Executor

if TYPE_CHECKING:
    from sentinel.agent.configs import ResolvedConfig
    from sentinel.agent.launch import LaunchOutcome, LaunchRequest, OnProgress

__all__ = ["LocalExecutor"]


class LocalExecutor(Executor):
    name = "local"

    def launch(
        self, resolved: ResolvedConfig, request: LaunchRequest, on_progress: OnProgress | None = None
    ) -> LaunchOutcome:
        from sentinel.agent.launch import launch_run

        return launch_run(resolved, request, on_progress)

"""What an action is: one remedy applied through TrainingControl, the run's only handle.

Actions do exactly what the policy's `Decision` says and report the parameters they really used
(the clip's pre-clip norm, the LR after a cut), which is what lands in monitor_events.jsonl.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.protocol import TrainingControl
from sentinel.monitor.signals import SignalWindow
from sentinel.monitor.snapshots import SnapshotStore

__all__ = ["Action", "ActionContext"]


@dataclass(slots=True)
class ActionContext:
    """What an action may touch besides the run: the monitor's own window and snapshots."""

    window: SignalWindow
    snapshots: SnapshotStore
    config: MonitorConfig
    episode_start: int
    in_backward: bool  # True: called from after_backward, so the optimizer is about to step


class Action(ABC):
    name: ClassVar[str]
    cost: ClassVar[float]  # subtracted from the experience reward: how much training it throws away
    summary: ClassVar[str]  # one line for `sentinel monitor spec`
    drops_step: ClassVar[bool] = False  # True: this step's gradients must not be applied

    @abstractmethod
    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        """Act on the run; return the parameters actually used (numbers only)."""

    def _drop_step(self, ctl: TrainingControl, ctx: ActionContext) -> None:
        if ctx.in_backward:
            ctl.skip_step()

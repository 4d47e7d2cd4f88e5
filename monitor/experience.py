"""Experience records: each intervention with its outcome measured `outcome_horizon` steps later
and a scalar reward, so the host can learn which remedy works for which anomaly.

Timing uses the monitor's own tick counter (steps observed), not the trainer's step, because a
rollback moves the trainer's step backwards while the time spent keeps running.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sentinel.contract.events import experience_event
from sentinel.monitor.actions import ACTIONS
from sentinel.monitor.signals import SignalWindow, fast_median

__all__ = ["OUTCOME_VALUE", "ExperienceLog"]

# reward = OUTCOME_VALUE[outcome] - ACTIONS[action].cost
OUTCOME_VALUE = {"recovered": 1.0, "persisting": -0.5, "escalated": -1.0, "stopped": -1.0, "run_ended": 0.0}


@dataclass(slots=True)
class _Pending:
    event: dict[str, Any]
    tick: int
    ref_loss: float
    episode: int


class ExperienceLog:
    """Open one record per new intervention; close it as escalated, stopped, or by measurement."""

    def __init__(self, horizon: int, tolerance: float) -> None:
        self.horizon, self.tolerance = horizon, tolerance
        self.pending: list[_Pending] = []

    def open(self, event: dict[str, Any], tick: int, ref_loss: float, episode: int) -> None:
        self.pending.append(_Pending(event, tick, ref_loss, episode))

    def escalated(self, episode: int, tick: int) -> list[dict[str, Any]]:
        """The episode climbed a rung: every earlier record of it failed to settle things."""
        done = [p for p in self.pending if p.episode == episode]
        self.pending = [p for p in self.pending if p.episode != episode]
        return [self._close(p, "escalated", {"steps_after": float(tick - p.tick)}) for p in done]

    def due(self, tick: int, window: SignalWindow, last_finding_tick: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        keep: list[_Pending] = []
        for p in self.pending:
            if tick - p.tick < self.horizon:
                keep.append(p)
                continue
            loss = window.values("loss", self.horizon // 2)
            loss = loss[np.isfinite(loss)]
            now = fast_median(loss) if loss.size else math.nan
            ratio = now / p.ref_loss if p.ref_loss > 0 and math.isfinite(now) else math.nan
            quiet = tick - last_finding_tick >= self.horizon // 2
            limit = 1.0 if p.event["anomaly"] == "plateau" else 1.0 + self.tolerance
            outcome = "recovered" if quiet and math.isfinite(ratio) and ratio <= limit else "persisting"
            measured = {
                "steps_after": float(tick - p.tick),
                "loss_ratio": ratio,
                "quiet_steps": float(tick - last_finding_tick),
            }
            out.append(self._close(p, outcome, measured))
        self.pending = keep
        return out

    def finish(self, tick: int, stopped: bool) -> list[dict[str, Any]]:
        outcome = "stopped" if stopped else "run_ended"
        done, self.pending = self.pending, []
        return [self._close(p, outcome, {"steps_after": float(tick - p.tick)}) for p in done]

    @staticmethod
    def reward(outcome: str, action: str) -> float:
        return OUTCOME_VALUE[outcome] - ACTIONS[action].cost

    def _close(self, p: _Pending, outcome: str, measured: dict[str, float]) -> dict[str, Any]:
        return experience_event(p.event, outcome, self.reward(outcome, p.event["action"]), measured)

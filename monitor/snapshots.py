"""Healthy in-memory snapshots: the run's state (through TrainingControl) plus the monitor's own
window, so a rollback returns both the model and the statistics it is judged against.

The first snapshot (taken at train start or right after a re-init) is kept apart from the ring of
recent ones: it is the fallback when every recent snapshot was taken inside a slow divergence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from sentinel.monitor.protocol import TrainingControl
from sentinel.monitor.signals import SignalWindow

__all__ = ["Snapshot", "SnapshotStore"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    step: int
    lr: float
    training: Any  # opaque: whatever ctl.snapshot() returned
    window: dict[str, object]


class SnapshotStore:
    def __init__(self, kept: int) -> None:
        if kept < 1:
            raise ValueError(f"kept must be >= 1, got {kept}")
        self.initial: Snapshot | None = None
        self.recent: deque[Snapshot] = deque(maxlen=kept)
        self.momentum_caps: dict[str, float] = {}  # see actions/_momentum.py

    def take(self, ctl: TrainingControl, window: SignalWindow, initial: bool = False) -> Snapshot:
        snap = Snapshot(int(ctl.step), float(ctl.lr), ctl.snapshot(), window.state())
        if initial:
            self.initial = snap
            self.recent.clear()
        else:
            self.recent.append(snap)
        return snap

    def before(self, step: int) -> Snapshot | None:
        """Newest snapshot taken at or before `step`, else the initial one."""
        for snap in reversed(self.recent):
            if snap.step <= step:
                return snap
        return self.initial

    def drop_after(self, step: int) -> None:
        """After a rollback to `step`, later snapshots describe a future that did not happen."""
        while self.recent and self.recent[-1].step > step:
            self.recent.pop()

    @property
    def latest_lr(self) -> float:
        snap = self.recent[-1] if self.recent else self.initial
        return snap.lr if snap is not None else float("nan")

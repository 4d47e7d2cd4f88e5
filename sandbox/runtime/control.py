"""`RunControl`: the trainer's implementation of the `TrainingControl` handles a hook may use.

The trainer owns a `LoopState`; `RunControl` is a narrow view over it, so a hook can only act
through the methods of the contract in `hooks.py`. Actions that invalidate the gradients of
the step in progress (restore, reinit) also cancel that step's update, since applying
gradients computed for other weights would corrupt the restored model.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from sentinel.monitor.protocol import STOP_STATUSES
from sentinel.monitor.state_copy import clone_state
from sentinel.sandbox.runtime.datasets import Batcher, BatcherState
from sentinel.sandbox.runtime.metrics import EventWriter
from sentinel.sandbox.runtime.optim import Schedule

__all__ = ["LoopState", "RunControl", "Snapshot", "total_grad_norm"]

MAX_SKIP_BATCHES = 1_000_000
_REASON_CHARS = re.compile(r"[^a-z0-9_:.\- ]")


def total_grad_norm(params: list[torch.nn.Parameter]) -> torch.Tensor:
    """Global L2 norm of every gradient in one fused call (no per-parameter Python norms)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(grads, norm_type=2.0, error_if_nonfinite=False, foreach=True)


@dataclass
class LoopState:
    """Mutable run state shared by the trainer loop and `RunControl`."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    batcher: Batcher
    events: EventWriter
    params: list[torch.nn.Parameter] = field(default_factory=list)
    step: int = 0  # 1-based index of the step in progress, or of the last one finished
    in_backward: bool = False  # inside after_backward: gradients are live
    skip_update: bool = False
    grads_touched: bool = False  # a hook clipped the gradients after the trainer measured them
    pending_skips: int = 0
    stop_status: str | None = None
    stop_reason: str = ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything `restore` needs to continue as if the steps since `step` never happened."""

    step: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    schedule: dict[str, Any]
    batcher: BatcherState
    torch_rng: torch.Tensor
    numpy_rng: Any
    python_rng: Any


class RunControl:
    """Implements `sentinel.monitor.protocol.TrainingControl` over a `LoopState`."""

    def __init__(self, state: LoopState) -> None:
        self._s = state

    @property
    def step(self) -> int:
        return self._s.step

    @property
    def lr(self) -> float:
        return float(self._s.optimizer.param_groups[0]["lr"])

    @property
    def model(self) -> torch.nn.Module:
        return self._s.model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self._s.optimizer

    def scale_lr(self, factor: float) -> None:
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"scale_lr factor must be a finite number > 0, got {factor!r}")
        self._s.schedule.scale(float(factor))

    def planned_lr(self) -> float:
        return self._s.schedule.planned_lr()

    def peak_lr(self) -> float:
        return self._s.schedule.peak_lr()

    def replan_lr(self, lr: float) -> None:
        self._s.schedule.replan(float(lr))

    def snapshot(self) -> Snapshot:
        s = self._s
        return Snapshot(
            step=s.step,
            model={k: v.detach().clone() for k, v in torch.nn.Module.state_dict(s.model).items()},
            optimizer=clone_state(s.optimizer.state_dict()),
            schedule=s.schedule.state_dict(),
            batcher=s.batcher.state(),
            torch_rng=torch.get_rng_state(),
            numpy_rng=np.random.get_state(),
            python_rng=random.getstate(),
        )

    def restore(self, snapshot: Snapshot) -> None:
        if not isinstance(snapshot, Snapshot):
            raise TypeError(f"restore needs a Snapshot from snapshot(), got {type(snapshot).__name__}")
        s = self._s
        torch.nn.Module.load_state_dict(s.model, snapshot.model)
        s.optimizer.load_state_dict(clone_state(snapshot.optimizer))  # the snapshot stays intact
        s.schedule.load_state_dict(snapshot.schedule)
        s.batcher.load(snapshot.batcher)
        torch.set_rng_state(snapshot.torch_rng)
        np.random.set_state(snapshot.numpy_rng)
        random.setstate(snapshot.python_rng)
        self._cancel_update()

    def reinit_model(self) -> None:
        """Fresh weights from each layer's own `reset_parameters`, empty optimizer state."""
        s = self._s
        with torch.no_grad():
            for module in torch.nn.Module.modules(s.model):
                reset = getattr(module, "reset_parameters", None)
                if callable(reset):
                    reset()
        s.optimizer.state.clear()
        self._cancel_update()

    def skip_batches(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_SKIP_BATCHES:
            raise ValueError(f"skip_batches needs an int in [0, {MAX_SKIP_BATCHES}], got {n!r}")
        self._s.pending_skips += n

    def skip_step(self) -> None:
        if self._s.in_backward:
            self._s.skip_update = True

    def clip_grad_norm(self, max_norm: float) -> float:
        if not (math.isfinite(max_norm) and max_norm > 0):
            raise ValueError(f"max_norm must be a finite number > 0, got {max_norm!r}")
        params = self._s.params
        norm = total_grad_norm(params)
        torch.nn.utils.clip_grads_with_norm_(params, max_norm, norm, foreach=True)
        self._s.grads_touched = True
        return float(norm)

    def stop(self, status: str, reason: str) -> None:
        if status not in STOP_STATUSES:
            raise ValueError(f"stop status must be one of {sorted(STOP_STATUSES)}, got {status!r}")
        if self._s.stop_status is None:  # the first decision stands
            self._s.stop_status = status
            self._s.stop_reason = _REASON_CHARS.sub("_", str(reason).lower())[:120] or "stopped"

    def record_event(self, event: dict[str, Any]) -> None:
        self._s.events.record(event)

    def _cancel_update(self) -> None:
        if self._s.in_backward:
            self._s.skip_update = True
        self._s.optimizer.zero_grad(set_to_none=True)

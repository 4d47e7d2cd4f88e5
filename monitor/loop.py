"""The monitor in anyone's own PyTorch loop, in four lines:

    mon = sentinel.monitor.attach(model, optimizer, scheduler=None, events="monitor_events.jsonl")
    ...
        loss.backward()
        if mon.check(loss):
            optimizer.step()
        if mon.stopped:
            break

`check` measures the step (loss, one fused global grad norm, LR), runs the same `MonitorHook`
the built-in trainer uses, and answers whether the optimizer may step. `LoopControl` is the
`TrainingControl` of a plain loop: it cannot rewind the user's data iterator, so a rollback
restores weights, optimizer, scheduler and RNG states and simply continues with fresh batches
(the offending ones were already consumed, which is what skipping them means here).
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.hook import MonitorHook
from sentinel.monitor.protocol import STOP_STATUSES, StepSignals
from sentinel.monitor.state_copy import clone_state
from sentinel.monitor.update_ratio import global_norm

__all__ = ["LoopControl", "Monitor", "attach"]


class LoopControl:
    """`TrainingControl` over a model, an optimizer and an optional LR scheduler."""

    rewinds_data = False  # restore() cannot move a user's data iterator back

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any | None = None,
        events: str | Path | None = None,
    ) -> None:
        self._model, self._optimizer, self.scheduler = model, optimizer, scheduler
        self.events_path = Path(events) if events is not None else None
        self.events: list[dict[str, Any]] = []
        self.current_step = 0
        self.skip_left = 0
        self.skip_this = False
        self.status: str | None = None
        self.reason: str | None = None

    @property
    def step(self) -> int:
        return self.current_step

    @property
    def lr(self) -> float:
        return float(self._optimizer.param_groups[0]["lr"])

    @property
    def model(self) -> torch.nn.Module:
        return self._model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self._optimizer

    def _params(self) -> list[torch.Tensor]:
        return [p for g in self._optimizer.param_groups for p in g["params"]]

    def scale_lr(self, factor: float) -> None:
        for group in self._optimizer.param_groups:
            group["lr"] *= factor
            if "initial_lr" in group:
                group["initial_lr"] *= factor
        base = getattr(self.scheduler, "base_lrs", None)
        if base is not None:
            self.scheduler.base_lrs = [b * factor for b in base]

    def planned_lr(self) -> float:
        return math.nan  # a foreign scheduler cannot be asked what it would have given

    def peak_lr(self) -> float:
        base = getattr(self.scheduler, "base_lrs", None)
        return float(max(base)) if base else math.nan

    def replan_lr(self, lr: float) -> None:
        if self.lr > 0:
            self.scale_lr(lr / self.lr)

    def snapshot(self) -> dict[str, Any]:
        return {
            "model": {k: v.detach().clone() for k, v in self._model.state_dict().items()},
            "optimizer": clone_state(self._optimizer.state_dict()),
            "scheduler": clone_state(self.scheduler.state_dict()) if self.scheduler else None,
            "rng": (torch.get_rng_state(), np.random.get_state(), random.getstate()),
            "step": self.current_step,
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Weights, optimizer, schedule and RNGs go back; the step counter and data do not, because
        a plain loop's iterator cannot be rewound."""
        self._model.load_state_dict(snapshot["model"])
        self._optimizer.load_state_dict(clone_state(snapshot["optimizer"]))
        if self.scheduler is not None and snapshot["scheduler"] is not None:
            self.scheduler.load_state_dict(clone_state(snapshot["scheduler"]))
        torch_rng, np_rng, py_rng = snapshot["rng"]
        torch.set_rng_state(torch_rng)
        np.random.set_state(np_rng)
        random.setstate(py_rng)

    def reinit_model(self) -> None:
        with torch.no_grad():
            for module in self._model.modules():
                reset = getattr(module, "reset_parameters", None)
                if callable(reset):
                    reset()
        self._optimizer.state.clear()

    def skip_batches(self, n: int) -> None:
        self.skip_left += max(0, int(n))

    def skip_step(self) -> None:
        self.skip_this = True

    def clip_grad_norm(self, max_norm: float) -> float:
        return float(torch.nn.utils.clip_grad_norm_(self._params(), max_norm, foreach=True))

    def stop(self, status: str, reason: str) -> None:
        if status not in STOP_STATUSES:
            raise ValueError(f"status must be one of {sorted(STOP_STATUSES)}, got {status!r}")
        self.status, self.reason = status, reason

    def record_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if self.events_path is not None:
            with self.events_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(event, allow_nan=False, separators=(",", ":")) + "\n")


class Monitor:
    """Drives `MonitorHook` from a plain loop: `check(loss)` after backward, step if it says so."""

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any | None = None,
        params: dict[str, Any] | None = None,
        events: str | Path | None = None,
    ) -> None:
        self.config = MonitorConfig.from_params(params)
        self.control = LoopControl(model, optimizer, scheduler, events)
        self.hook = MonitorHook(self.config)
        self._previous: StepSignals | None = None
        self._closed = False

    @property
    def stopped(self) -> bool:
        return self.control.status is not None

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.control.events

    def check(self, loss: torch.Tensor | float) -> bool:
        """Call after `loss.backward()`. True: call `optimizer.step()`. False: the monitor dropped
        this step (its gradients are cleared) or stopped the run."""
        ctl = self.control
        if not self.config.enabled:
            return True
        if self._previous is not None:  # the previous step is complete now
            self.hook.after_step(ctl, self._previous)
            self._previous = None
            ctl.current_step += 1
        if ctl.status is not None:
            self._drop()
            return False
        if ctl.skip_left > 0:
            ctl.skip_left -= 1
            self._drop()
            ctl.current_step += 1
            return False
        value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        norm = global_norm([p.grad for p in ctl._params() if p.grad is not None])
        gate, step = self.hook.gate, ctl.current_step
        quiet = gate is not None and step < gate.until and ctl.lr <= gate.lr_max
        if quiet and value <= gate.loss_max and norm <= gate.grad_max:
            gate.pending.append((ctl.current_step, 0, value, norm, ctl.lr))  # quiet, as in the trainer
            ctl.current_step += 1
            return True
        signals = StepSignals(ctl.current_step, 0, value, norm, ctl.lr)
        ctl.skip_this = False
        self.hook.after_backward(ctl, signals)
        self._previous = signals
        if ctl.skip_this or ctl.status is not None:
            self._drop()
            return False
        return True

    def close(self) -> None:
        """Finish: flush the last step and the experience records still waiting for their outcome."""
        if self._closed or not self.config.enabled:
            return
        if self._previous is not None:
            self.hook.after_step(self.control, self._previous)
            self._previous = None
        self.hook.on_train_end(self.control, self.control.status or "completed")
        self._closed = True

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drop(self) -> None:
        self.control.optimizer.zero_grad(set_to_none=True)


def attach(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any | None = None,
    params: dict[str, Any] | None = None,
    events: str | Path | None = None,
) -> Monitor:
    """Watch a plain PyTorch loop; `params` takes the same keys as a run config's `monitor:`."""
    return Monitor(model, optimizer, scheduler, params, events)

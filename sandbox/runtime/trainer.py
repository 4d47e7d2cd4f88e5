"""The built-in training loop: epochs and steps, validation each epoch, hooks, faults, metrics.

One step: zero grads -> forward (faults may scale inputs or poison the loss) -> backward ->
(grad_explosion scales grads) -> global grad norm, one fused call -> `after_backward` ->
clip (trainer.grad_clip) -> optimizer and schedule step -> `after_step` -> maybe a metrics line.
An epoch ends with validation, the best-model checkpoint and `on_epoch_end`.

Numbering: steps are 1-based and count every step attempted (a monitor rollback does not
rewind them, so metrics stay monotonic and `max_steps` bounds the run); epochs are 0-based
indices in metrics lines, hooks and summary points, and `summary.epochs` counts finished ones.

A non-finite loss ends the run as `diverged` at once when no hook watches it, and after
`nonfinite_patience` consecutive non-finite losses when one does (so a monitor that fails to
act cannot keep a broken run alive forever).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentinel.monitor.protocol import StepSignals, TrainerHook
from sentinel.sandbox.runtime.checkpoint import CheckpointKeeper, CheckpointResult
from sentinel.sandbox.runtime.control import LoopState, RunControl, total_grad_norm
from sentinel.sandbox.runtime.datasets import ArrayDataset, Batcher
from sentinel.sandbox.runtime.faults import FaultPlan
from sentinel.sandbox.runtime.metrics import EventWriter, MetricsWriter, finite_or_none
from sentinel.sandbox.runtime.optim import Schedule, build_optimizer
from sentinel.sandbox.runtime.tasks import Task

__all__ = ["RunResult", "Trainer", "TrainingFailed", "seed_everything"]

# Planned steps times this bounds a run without max_steps, rollbacks included.
STEP_BUDGET_FACTOR = 3


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed every RNG a run touches; call before building the model so its init is seeded too."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What `Trainer.run` ended with; `summary()` is summary.json (docs/contracts.md)."""

    status: str
    reason: str
    best: dict[str, Any]
    final: dict[str, Any]
    epochs: int
    steps: int
    seconds: float
    checkpoint: CheckpointResult
    metrics_truncated: bool = False
    events_dropped: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "best": self.best or None,
            "final": self.final or None,
            "epochs": self.epochs,
            "steps": self.steps,
        }


class Trainer:
    """Trains `model` on `data` with the validated `trainer:` section `cfg`."""

    def __init__(
        self,
        model: torch.nn.Module,
        data: ArrayDataset,
        cfg: dict[str, Any],
        *,
        seed: int,
        artifacts: Path,
        hook: TrainerHook | None = None,
    ) -> None:
        self.cfg, self.data, self.hook = cfg, data, hook
        self.task = Task.for_dataset(data)
        # nn.Module's own methods, never the model's overrides: a model that hides its parameters
        # from the optimizer (and trains itself through hooks) must not hide them from us.
        params = [p for p in torch.nn.Module.parameters(model) if p.requires_grad]
        optimizer = build_optimizer(params, cfg)
        batcher = Batcher(len(data.train), cfg["batch_size"], seed=seed + 1)
        planned = cfg["epochs"] * batcher.batches_per_epoch
        self.step_budget = cfg["max_steps"] or planned * STEP_BUDGET_FACTOR
        schedule = Schedule(optimizer, cfg, total_steps=min(planned, cfg["max_steps"] or planned))
        self.metrics = MetricsWriter(artifacts)
        self.state = LoopState(model, optimizer, schedule, batcher, EventWriter(artifacts), params=params)
        self.control = RunControl(self.state)
        self.faults = FaultPlan(cfg["faults"])
        self.checkpoints = CheckpointKeeper(artifacts, cfg["checkpoint_max_mb"])
        self._best_value: float | None = None
        self.best: dict[str, Any] = {}
        self.final: dict[str, Any] = {}
        self.epochs_done = 0
        self._nonfinite_run = 0
        self._last_val_step = -1

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Train to the end; exceptions become status failed / reason exception (re-raised)."""
        s, hook, start = self.state, self.hook, time.perf_counter()
        error: BaseException | None = None
        try:
            if hook is not None:
                hook.on_train_start(self.control)
            self._loop()
            if s.stop_status is None:
                s.stop_status, s.stop_reason = "completed", "completed"
            if self._last_val_step != s.step and s.step > 0:
                self._validate(epoch_end=False)  # the final metrics describe the final weights
        except Exception as err:
            error = err
            s.stop_status, s.stop_reason = "failed", "exception"
        finally:
            try:
                if hook is not None and error is None:
                    hook.on_train_end(self.control, s.stop_status or "failed")
            except Exception as err:
                error = err
                s.stop_status, s.stop_reason = "failed", "exception"
            self.metrics.close()
            s.events.close()
        result = RunResult(
            status=s.stop_status or "failed",
            reason=s.stop_reason,
            best=self.best,
            final=self.final,
            epochs=self.epochs_done,
            steps=s.step,
            seconds=time.perf_counter() - start,
            checkpoint=self.checkpoints.last,
            metrics_truncated=self.metrics.truncated,
            events_dropped=s.events.dropped,
        )
        if error is not None:
            raise TrainingFailed(result) from error
        return result

    def _loop(self) -> None:
        s = self.state
        while s.stop_status is None:
            if s.step >= self.step_budget:
                s.stop_status, s.stop_reason = "completed", "max_steps"
                break
            indices = s.batcher.next()
            if indices is None:
                self._validate(epoch_end=True)
                # A hook may have restored a mid-epoch snapshot in on_epoch_end: then the data
                # position is no longer at the end, and the restored epoch simply continues.
                if s.stop_status is None and s.batcher.exhausted:
                    if s.batcher.epoch >= self.cfg["epochs"]:
                        s.stop_status, s.stop_reason = "completed", "completed"
                    else:
                        s.batcher.new_epoch()
                continue
            if s.pending_skips > 0:
                s.pending_skips -= 1
                continue
            self._train_step(indices)

    def _train_step(self, indices: torch.Tensor) -> None:
        s, cfg = self.state, self.cfg
        s.step += 1
        step, epoch = s.step, s.batcher.epoch - 1
        active = self.faults.active(step)
        fault = self.faults.label(active)
        if (factor := self.faults.lr_factor(active)) != 1.0:
            s.schedule.scale(factor)
        lr = float(s.optimizer.param_groups[0]["lr"])
        x, y = self.data.train.x[indices], self.data.train.y[indices]
        scale = self.faults.input_scale(active)
        s.model.train()
        s.optimizer.zero_grad(set_to_none=True)
        # The model gets its own copy of the batch: an in-place write in forward must not
        # reach the tensor the loss compares against (the VAE's input is its own target).
        inputs = x * scale if scale != 1.0 else x.clone()
        loss = self.task.loss(s.model(inputs), y, x)
        if self.faults.nan_loss(active):
            loss = loss * float("nan")
        loss.backward()
        if (factor := self.faults.grad_factor(active)) != 1.0:
            torch._foreach_mul_([p.grad for p in s.params if p.grad is not None], factor)
        norm = total_grad_norm(s.params)
        loss_value, norm_value = float(loss.detach()), float(norm)
        s.skip_update, s.grads_touched = False, False
        gate = self.hook.gate if self.hook is not None else None
        signals: StepSignals | None = None
        if (
            gate is not None
            and step < gate.until
            and loss_value <= gate.loss_max
            and norm_value <= gate.grad_max
            and lr <= gate.lr_max
        ):
            gate.pending.append((step, epoch, loss_value, norm_value, lr))  # quiet: the hook reads it later
        else:
            signals = StepSignals(step, epoch, loss_value, norm_value, lr, fault)
            self._after_backward(signals)
        if not math.isfinite(loss_value):
            self._nonfinite_run += 1
            if self.hook is None or self._nonfinite_run >= cfg["nonfinite_patience"]:
                s.skip_update = True
                self.control.stop("diverged", "nan_loss")
        else:
            self._nonfinite_run = 0
        if not s.skip_update:
            if cfg["grad_clip"] is not None:
                clip_norm = total_grad_norm(s.params) if s.grads_touched else norm
                torch.nn.utils.clip_grads_with_norm_(s.params, cfg["grad_clip"], clip_norm, foreach=True)
            s.optimizer.step()
            s.schedule.step()
        if self.hook is not None and signals is not None:
            self.hook.after_step(self.control, signals)
        nonfinite = not (math.isfinite(loss_value) and math.isfinite(norm_value))
        if step == 1 or step % cfg["log_every"] == 0 or fault or nonfinite or s.stop_status is not None:
            self.metrics.train(step, epoch, loss_value, norm_value, lr, fault)

    def _after_backward(self, signals: StepSignals) -> None:
        s = self.state
        if self.hook is None:
            return
        s.in_backward = True
        try:
            self.hook.after_backward(self.control, signals)
        finally:
            s.in_backward = False

    def _validate(self, epoch_end: bool) -> None:
        s = self.state
        epoch = s.batcher.epoch - 1
        metrics = self.task.evaluate(s.model, self.data.val, self.cfg["eval_batch_size"])
        self.metrics.val(s.step, epoch, metrics)
        self._last_val_step = s.step
        point = {
            "epoch": epoch,
            "step": s.step,
            **{f"val/{k}": finite_or_none(v) for k, v in metrics.items()},
        }
        self.final = point
        value = metrics[self.task.primary]
        if self.task.better(value, self._best_value):
            self._best_value, self.best = value, point
            self.checkpoints.save(s.model, epoch, s.step, metrics)
        if epoch_end:
            self.epochs_done += 1
            if self.hook is not None:
                self.hook.on_epoch_end(self.control, epoch, {f"val/{k}": v for k, v in metrics.items()})


class TrainingFailed(RuntimeError):
    """The loop raised; `result` still describes the run (status failed) for summary.json."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(f"training failed after {result.steps} steps")
        self.result = result

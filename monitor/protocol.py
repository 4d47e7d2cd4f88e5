"""The contract between the trainer and anything that watches it (the in-loop monitor).

The trainer calls a `TrainerHook` at fixed points of every step and hands it a
`TrainingControl`: the only way a hook may act on the run. Keeping the surface this small
lets `sentinel.monitor` drive the built-in trainer and a user's own loop alike, and lets the
monitor be tested against a tiny real loop without the container.

Container-side: imports nothing from the host packages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

STOP_STATUSES = frozenset({"completed", "diverged", "failed"})


@dataclass(frozen=True, slots=True)
class StepSignals:
    """What one optimisation step looked like, measured once by the trainer.

    `grad_norm` is the global L2 norm of all gradients before clipping, computed in one fused
    call; `loss` and `grad_norm` may be NaN/Inf, which is exactly what a monitor wants to see.
    """

    step: int
    epoch: int
    loss: float
    grad_norm: float
    lr: float
    fault: str | None = None  # the injected fault active at this step, for benchmarks only


@dataclass(slots=True)
class QuietGate:
    """How a hook lets the trainer skip its calls on quiet steps (the per-step cost of a monitor
    is mostly the calls themselves, which run cache-cold between torch kernels).

    A step is quiet when its loss is <= `loss_max`, its grad norm is <= `grad_max` (NaN and Inf
    never are), its LR is <= `lr_max` and its step number is < `until`. On a quiet step the
    trainer calls neither `after_backward` nor `after_step`; it appends (step, epoch, loss, grad_norm, lr) to
    `pending`, and the hook must consume `pending` at its next call, before judging that call's
    step. The defaults make no step quiet, so a hook that never updates its gate misses nothing.
    """

    loss_max: float = -float("inf")
    grad_max: float = -float("inf")
    lr_max: float = float("inf")  # an LR above this is a jump the hook must see on its own step
    until: int = 0
    pending: list[tuple[int, int, float, float, float]] = field(default_factory=list)


@runtime_checkable
class TrainingControl(Protocol):
    """Handles a hook may use to intervene. Every method is safe to call at any hook point."""

    @property
    def step(self) -> int: ...

    @property
    def lr(self) -> float: ...

    @property
    def model(self) -> Any: ...  # torch.nn.Module (typed loosely to keep this module torch-free)

    @property
    def optimizer(self) -> Any: ...  # torch.optim.Optimizer

    def scale_lr(self, factor: float) -> None:
        """Multiply every param group's LR (and the schedule's base) by `factor`."""

    def planned_lr(self) -> float:
        """The LR the configured schedule gives at this step had nothing rescaled it (NaN when
        unknown). Optional: a control without it is treated as having no schedule."""

    def peak_lr(self) -> float:
        """The configured schedule's highest LR (NaN when unknown). Optional, like planned_lr."""

    def replan_lr(self, lr: float) -> None:
        """Set the LR to `lr` and restart the schedule's decay from it over the remaining steps.
        Optional: without it a monitor falls back to `scale_lr`."""

    def snapshot(self) -> Any:
        """In-memory copy of model, optimizer, scheduler, RNG states and data position."""

    def restore(self, snapshot: Any) -> None:
        """Return the run to `snapshot` exactly; the data position resumes after it."""

    def reinit_model(self) -> None:
        """Re-initialise the model's parameters and reset the optimizer state."""

    def skip_batches(self, n: int) -> None:
        """Drop the next `n` batches without training on them."""

    def skip_step(self) -> None:
        """Called from `after_backward`: discard this step's gradients, no optimizer step."""

    def clip_grad_norm(self, max_norm: float) -> float:
        """Clip gradients now (after backward); returns the norm before clipping."""

    def stop(self, status: str, reason: str) -> None:
        """Finish after this step with `status` in STOP_STATUSES; `reason` is Sentinel wording."""

    def record_event(self, event: dict[str, Any]) -> None:
        """Append one monitor event (DESIGN.md schema) to /artifacts/monitor_events.jsonl."""


class TrainerHook:
    """Base hook: every method is a no-op, so a hook overrides only what it needs.

    `gate`, when a hook sets one, lets the trainer skip the per-step calls on quiet steps
    (see `QuietGate`); None means every step gets both calls.
    """

    gate: QuietGate | None = None

    def on_train_start(self, ctl: TrainingControl) -> None:
        return None

    def after_backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        """Gradients are populated and not yet clipped; the optimizer has not stepped."""
        return None

    def after_step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        """The optimizer and the LR schedule have stepped."""
        return None

    def on_epoch_end(self, ctl: TrainingControl, epoch: int, val: dict[str, float]) -> None:
        """`val` holds this epoch's validation metrics, keyed like "val/loss", "val/acc"."""
        return None

    def on_train_end(self, ctl: TrainingControl, status: str) -> None:
        return None

"""Rolling windows of training signals with cheap per-step updates and robust statistics.

The per-step path must cost a few microseconds (the budget is 1% of a small MLP's step on CPU),
so `push` only writes into preallocated Python lists and updates EWMAs; medians and MADs are
recomputed every `refresh_every` pushes into a cached `Reference` that per-step detectors read.
Steps the policy contained (clipped or skipped) are flagged and kept out of the reference, so an
explosion cannot drag the baseline it is judged against.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MAD_TO_SIGMA", "OBSERVATIONS", "Reference", "SignalWindow", "robust_center_scale"]

MAD_TO_SIGMA = 1.4826  # MAD of a normal sample times this is its standard deviation
_SERIES = ("loss", "grad_norm", "lr")

#: What the monitor observes, for `sentinel monitor spec` (name -> how it is measured).
OBSERVATIONS = {
    "loss": "training loss of the step (StepSignals.loss; NaN/Inf kept as such)",
    "grad_norm": "global L2 norm of all gradients before clipping, one fused call",
    "lr": "learning rate of the first param group at the step",
    "nonfinite": "loss or grad_norm is NaN/Inf (judged on every step)",
    "update_ratio": "||w_after - w_before|| / ||w_after||, sampled every update_ratio_every steps",
    "initial_loss": "the first finite loss: the model before any update",
    "start_loss": "median of the first start_steps healthy finite losses",
    "reference": "median, MAD-sigma and maximum of loss, log grad norm and LR over the last "
    "ref_window healthy steps (maxima: whole window), refreshed every refresh_every steps",
    "ewma": "exponentially weighted loss and grad norm (ewma_alpha)",
}


def robust_center_scale(values: np.ndarray, floor_rel: float) -> tuple[float, float]:
    """Median and MAD-sigma, with sigma floored at `floor_rel * |median|` so that a perfectly
    smooth loss (full-batch training) does not turn every tiny wiggle into a huge z-score."""
    center = float(np.median(values))
    scale = MAD_TO_SIGMA * float(np.median(np.abs(values - center)))
    return center, max(scale, floor_rel * abs(center), 1e-12)


@dataclass(frozen=True, slots=True)
class Reference:
    """Robust baseline of the recent healthy steps; `version` changes whenever it is recomputed."""

    version: int
    loss_median: float
    loss_scale: float
    loss_max: float  # over the whole window, not only the last ref_window steps
    log_grad_median: float
    log_grad_scale: float
    grad_max: float
    lr_median: float
    count: int

    @property
    def grad_median(self) -> float:
        return math.exp(self.log_grad_median)


class SignalWindow:
    """The last `capacity` steps of loss, grad norm and LR (all steps, flagged ones included)."""

    def __init__(
        self,
        capacity: int,
        ref_window: int,
        refresh_every: int,
        start_steps: int,
        ewma_alpha: float,
        mad_floor_rel: float,
    ) -> None:
        self.capacity = capacity
        self.ref_window = ref_window
        self.refresh_every = refresh_every
        self.start_steps = start_steps
        self.ewma_alpha = ewma_alpha
        self.mad_floor_rel = mad_floor_rel
        self.reset()

    def reset(self) -> None:
        """Forget everything: after a re-initialisation the old history describes another model."""
        cap = self.capacity
        self._buf: dict[str, list[float]] = {name: [math.nan] * cap for name in _SERIES}
        self._step = [0] * cap
        self._flag = [False] * cap
        self.count = 0  # pushes since the last reset
        self.last_step = -1
        self.last_loss = math.nan
        self.last_grad = math.nan
        self.last_lr = math.nan
        self.ewma_loss = math.nan
        self.ewma_grad = math.nan
        self.update_ratio = math.nan
        self.initial_loss = math.nan  # the first finite loss: the model before any update
        self.start_loss = math.nan  # median of the first `start_steps` healthy finite losses
        self._start: list[float] = []
        self._start_tail = -1  # count at which the last start value was taken
        self.reference: Reference | None = None
        self._version = 0
        self._series_cache: tuple[int, dict[str, np.ndarray]] | None = None

    # ----------------------------------------------------------------- per step (hot path)
    def push(self, step: int, loss: float, grad_norm: float, lr: float) -> None:
        """Record one step. The reference is refreshed *before* the new value goes in, so the step
        being judged is never part of the baseline it is judged against."""
        if self.count and self.count % self.refresh_every == 0:
            self.refresh()
        i = self.count % self.capacity
        self._buf["loss"][i] = loss
        self._buf["grad_norm"][i] = grad_norm
        self._buf["lr"][i] = lr
        self._step[i] = step
        self._flag[i] = False
        self.count += 1
        self.last_step, self.last_loss, self.last_grad, self.last_lr = step, loss, grad_norm, lr
        if loss - loss == 0 and grad_norm - grad_norm == 0:  # both finite, without a call
            a = self.ewma_alpha
            if self.ewma_loss == self.ewma_loss:
                self.ewma_loss += a * (loss - self.ewma_loss)
                self.ewma_grad += a * (grad_norm - self.ewma_grad)
            else:
                self.ewma_loss, self.ewma_grad = loss, grad_norm
            if self.initial_loss != self.initial_loss:
                self.initial_loss = loss
            if len(self._start) < self.start_steps:
                self._start.append(loss)
                self._start_tail = self.count
                if len(self._start) == self.start_steps:
                    self.start_loss = float(np.median(self._start))

    def flag_last(self) -> None:
        """Exclude the latest step from every reference (it was contained as anomalous)."""
        if self.count:
            self._flag[(self.count - 1) % self.capacity] = True
            if self._start_tail == self.count and self._start:  # an anomalous step is no start level
                self._start.pop()
                self._start_tail = -1
                self.start_loss = math.nan

    # ----------------------------------------------------------------- on demand
    def refresh(self) -> None:
        """Recompute the robust reference from the last `ref_window` healthy, finite steps.

        The maxima span the whole window instead: they stand for "the worst this run has produced
        lately", and rare heavy-tail batches need a longer memory than the median does."""
        full = self.series(self.capacity, healthy=True)
        every = np.isfinite(full["loss"]) & np.isfinite(full["grad_norm"])
        loss, grad, lr = (full[k][-self.ref_window :] for k in ("loss", "grad_norm", "lr"))
        ok = np.isfinite(loss) & np.isfinite(grad) & (grad > 0)
        if ok.sum() < max(4, self.ref_window // 4):
            self.reference = None
            return
        self._version += 1
        loss_c, loss_s = robust_center_scale(loss[ok], self.mad_floor_rel)
        grad_c, grad_s = robust_center_scale(np.log(grad[ok]), 0.0)
        self.reference = Reference(
            version=self._version,
            loss_median=loss_c,
            loss_scale=loss_s,
            loss_max=float(full["loss"][every].max()),
            log_grad_median=grad_c,
            log_grad_scale=max(grad_s, 1e-3),
            grad_max=float(full["grad_norm"][every].max()),
            lr_median=float(np.median(lr[ok])),
            count=int(ok.sum()),
        )

    def series(self, n: int, healthy: bool = False) -> dict[str, np.ndarray]:
        """The last `n` steps in chronological order (`step` included); healthy drops flagged steps."""
        full = self._chronological()
        if healthy:
            keep = ~full["flag"].astype(bool)
            return {k: v[keep][-n:] for k, v in full.items()}
        return {k: v[-n:] for k, v in full.items()}

    def _chronological(self) -> dict[str, np.ndarray]:
        if self._series_cache is not None and self._series_cache[0] == self.count:
            return self._series_cache[1]
        size = min(self.count, self.capacity)
        start = self.count % self.capacity if self.count > self.capacity else 0
        order = [(start + j) % self.capacity for j in range(size)]
        out = {name: np.array([self._buf[name][j] for j in order], dtype=np.float64) for name in _SERIES}
        out["step"] = np.array([self._step[j] for j in order], dtype=np.float64)
        out["flag"] = np.array([self._flag[j] for j in order], dtype=np.float64)
        self._series_cache = (self.count, out)
        return out

    # ----------------------------------------------------------------- snapshots
    def state(self) -> dict[str, object]:
        """A copy small enough to keep beside every training snapshot (rollback restores both)."""
        return {
            "buf": {k: list(v) for k, v in self._buf.items()},
            "step": list(self._step),
            "flag": list(self._flag),
            "scalars": (
                self.count,
                self.last_step,
                self.last_loss,
                self.last_grad,
                self.last_lr,
                self.ewma_loss,
                self.ewma_grad,
                self.update_ratio,
                self.initial_loss,
                self.start_loss,
                self._start_tail,
            ),
            "start": list(self._start),
            "reference": self.reference,
        }

    def load_state(self, state: dict[str, object]) -> None:
        self._buf = {k: list(v) for k, v in state["buf"].items()}  # type: ignore[union-attr]
        self._step = list(state["step"])  # type: ignore[call-overload]
        self._flag = list(state["flag"])  # type: ignore[call-overload]
        (
            self.count,
            self.last_step,
            self.last_loss,
            self.last_grad,
            self.last_lr,
            self.ewma_loss,
            self.ewma_grad,
            self.update_ratio,
            self.initial_loss,
            self.start_loss,
            self._start_tail,
        ) = state["scalars"]  # type: ignore[misc]
        self._start = list(state["start"])  # type: ignore[call-overload]
        self.reference = state["reference"]  # type: ignore[assignment]
        self._version += 1
        if self.reference is not None:  # a new version, so cached detector thresholds are rebuilt
            self.reference = dataclasses.replace(self.reference, version=self._version)
        self._series_cache = None

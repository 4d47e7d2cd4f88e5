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

__all__ = [
    "MAD_TO_SIGMA",
    "OBSERVATIONS",
    "Reference",
    "SignalWindow",
    "center_scale_of",
    "center_scale_sorted",
    "fast_median",
    "median_of",
    "robust_center_scale",
]

MAD_TO_SIGMA = 1.4826  # MAD of a normal sample times this is its standard deviation
_ROWS = ("loss", "grad_norm", "lr", "step", "flag")
_NO = -math.inf  # marks a slot that is flagged, non-finite or empty in the healthy lists
_POSITIVE = (0.0).__lt__  # x > 0, as a C-level predicate for filter()

#: What the monitor observes, for `sentinel monitor spec` (name -> how it is measured).
OBSERVATIONS = {
    "loss": "training loss of the step (StepSignals.loss; NaN/Inf kept as such)",
    "grad_norm": "global L2 norm of all gradients before clipping, one fused call",
    "lr": "learning rate of the first param group at the step",
    "nonfinite": "loss or grad_norm is NaN/Inf (judged on every step)",
    "update_ratio": "||w_after - w_before|| / ||w_after|| of one step before each trend check, "
    "while the loss is still near its start level (the only time a plateau can need it)",
    "initial_loss": "the first finite loss: the model before any update",
    "start_loss": "median of the first start_steps healthy finite losses",
    "reference": "median and MAD-sigma of loss, log loss and log grad norm over the last "
    "ref_window healthy steps, refreshed every refresh_every steps while the smoothed loss is "
    "more than one sigma from its median, else every refresh_idle steps",
    "ewma": "exponentially weighted loss (ewma_alpha) and its lowest value so far",
}


def fast_median(values: np.ndarray) -> float:
    """Median by partial sort: the same number as np.median at a fraction of its call overhead,
    which matters because the monitor's budget is a few microseconds per training step."""
    n = values.size
    if n == 0:
        return math.nan
    half = n // 2
    if n % 2:
        return float(np.partition(values, half)[half])
    part = np.partition(values, (half - 1, half))
    return 0.5 * float(part[half - 1] + part[half])


def _sorted_median(ordered: list[float]) -> float:
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def median_of(values: list[float]) -> float:
    """Median of a short Python list: `sorted` beats numpy's call overhead below a few hundred."""
    return _sorted_median(sorted(values)) if values else math.nan


def center_scale_of(values: list[float], floor_rel: float) -> tuple[float, float]:
    """`robust_center_scale` for a short Python list."""
    return center_scale_sorted(sorted(values), floor_rel)


def center_scale_sorted(ordered: list[float], floor_rel: float) -> tuple[float, float]:
    """Median and floored MAD-sigma of an ascending list. The absolute deviations below and
    above the median are two sorted runs, which `sorted` merges in linear time; `map` over
    bound float methods keeps every element operation in C (the refresh runs cache-cold
    between training steps, where each Python-level loop iteration is expensive)."""
    n = len(ordered)
    if not n:
        return math.nan, math.nan
    center = _sorted_median(ordered)
    half = n // 2
    deviations = list(map(center.__sub__, ordered[half - 1 :: -1])) if half else []
    deviations += map(center.__rsub__, ordered[half:])
    scale = MAD_TO_SIGMA * _sorted_median(sorted(deviations))
    return center, max(scale, floor_rel * abs(center), 1e-12)


def robust_center_scale(values: np.ndarray, floor_rel: float) -> tuple[float, float]:
    """Median and MAD-sigma, with sigma floored at `floor_rel * |median|` so that a perfectly
    smooth loss (full-batch training) does not turn every tiny wiggle into a huge z-score."""
    center = fast_median(values)
    scale = MAD_TO_SIGMA * fast_median(np.abs(values - center))
    return center, max(scale, floor_rel * abs(center), 1e-12)


# What `state()` copies and `load_state()` restores: one list, so the two cannot drift apart.
_RING_ATTRS = ("_loss", "_grad", "_lr", "_step", "_flag", "_ok_loss", "_ok_grad")
_SCALAR_ATTRS = (
    "count",
    "last_loss",
    "last_grad",
    "ewma_loss",
    "ewma_min",
    "update_ratio",
    "initial_loss",
    "start_loss",
    "_starting",
    "_start_tail",
    "_refreshed_at",
)


@dataclass(frozen=True, slots=True)
class Reference:
    """Robust baseline of the recent healthy steps; `version` changes whenever it is recomputed."""

    version: int
    loss_median: float
    loss_scale: float  # MAD-sigma, floored at mad_floor_rel x |median|
    log_loss_median: float  # NaN unless every loss in the reference is positive
    log_loss_scale: float
    log_grad_median: float
    log_grad_scale: float
    count: int

    @property
    def grad_median(self) -> float:
        return math.exp(self.log_grad_median)


class SignalWindow:
    """The last `capacity` steps of loss, grad norm and LR (all steps, flagged ones included).

    Storage is plain Python lists used as ring buffers: on the hot path a list store costs a
    fraction of a numpy scalar store, and the reference is computed with `sorted` on at most
    2 x ref_window values, which beats numpy's per-call overhead at these sizes. Two extra lists
    hold the loss and grad norm of healthy steps only (-inf elsewhere), which is all the
    reference and the trend detectors read. Arrays are built only for the oscillation test.
    """

    def __init__(
        self,
        capacity: int,
        ref_window: int,
        refresh_every: int,
        start_steps: int,
        ewma_alpha: float,
        mad_floor_rel: float,
        refresh_idle: int | None = None,
    ) -> None:
        self.capacity = capacity
        self.ref_window = ref_window
        self.refresh_every = refresh_every
        self.refresh_idle = refresh_idle or refresh_every
        self.start_steps = start_steps
        self.ewma_alpha = ewma_alpha
        self.mad_floor_rel = mad_floor_rel
        self.reset()

    def reset(self) -> None:
        """Forget everything: after a re-initialisation the old history describes another model."""
        cap = self.capacity
        self._loss = [math.nan] * cap
        self._grad = [math.nan] * cap
        self._lr = [math.nan] * cap
        self._step = [0] * cap
        self._flag = [False] * cap
        self._ok_loss = [_NO] * cap  # healthy finite losses; _NO for flagged/non-finite/empty slots
        self._ok_grad = [_NO] * cap
        self.count = 0  # pushes since the last reset
        self.last_loss = math.nan
        self.last_grad = math.nan
        self.ewma_loss = math.nan
        self.ewma_min = math.inf  # lowest smoothed loss so far: a cheap "has it risen?" pre-check
        self.update_ratio = math.nan
        self.initial_loss = math.nan  # the first finite loss: the model before any update
        self.start_loss = math.nan  # median of the first `start_steps` healthy finite losses
        self._start: list[float] = []
        self._starting = True  # still collecting the start level
        self._start_tail = -1  # count at which the last start value was taken
        self.reference: Reference | None = None
        self._refreshed_at = 0  # count at the last recomputation of the reference
        self._version = 0
        self._cache: tuple[int, list[float]] | None = None

    # ----------------------------------------------------------------- per step (hot path)
    def push(self, step: int, loss: float, grad_norm: float, lr: float) -> None:
        """Record one step. The reference is refreshed *before* the new value goes in, so the step
        being judged is never part of the baseline it is judged against."""
        count = self.count
        if count and count % self.refresh_every == 0 and self._stale(count):
            self.refresh()
        i = count % self.capacity
        self._loss[i] = loss
        self._grad[i] = grad_norm
        self._lr[i] = lr
        self._step[i] = step
        self._flag[i] = False
        self.count = count + 1
        self.last_loss, self.last_grad = loss, grad_norm
        if loss - loss == 0 and grad_norm - grad_norm == 0:  # both finite, without a call
            self._ok_loss[i], self._ok_grad[i] = loss, grad_norm
            ewma = self.ewma_loss
            if ewma == ewma:
                ewma += self.ewma_alpha * (loss - ewma)
                self.ewma_loss = ewma
                if ewma < self.ewma_min:
                    self.ewma_min = ewma
            else:
                self.ewma_loss = self.ewma_min = loss
            if self._starting:
                self._add_start(loss)
        else:
            self._ok_loss[i] = self._ok_grad[i] = _NO

    def _stale(self, count: int) -> bool:
        """Recompute at every `refresh_every` boundary while the statistics move (no reference
        yet, or the smoothed loss more than one robust sigma from the reference median: early
        training, a trend, a fault), else only every `refresh_idle` pushes. A settled run's
        baseline barely changes, and each recomputation costs ~100 us cache-cold."""
        ref = self.reference
        if ref is None or count - self._refreshed_at >= self.refresh_idle:
            return True
        return not abs(self.ewma_loss - ref.loss_median) <= ref.loss_scale  # NaN: stale

    def _add_start(self, loss: float) -> None:
        if self.initial_loss != self.initial_loss:
            self.initial_loss = loss
        self._start.append(loss)
        self._start_tail = self.count
        if len(self._start) == self.start_steps:
            self.start_loss = _sorted_median(sorted(self._start))
            self._starting = False

    def flag_last(self) -> None:
        """Exclude the latest step from every reference (it was contained as anomalous)."""
        if self.count:
            i = (self.count - 1) % self.capacity
            self._flag[i] = True
            self._ok_loss[i] = self._ok_grad[i] = _NO
            self._cache = None
            if self._start_tail == self.count and self._start:  # an anomalous step is no start level
                self._start.pop()
                self._start_tail = -1
                self.start_loss = math.nan
                self._starting = True

    # ----------------------------------------------------------------- on demand
    def _chrono(self, ring: list) -> list:
        """A ring buffer in chronological order (C-level slicing)."""
        count, cap = self.count, self.capacity
        if count <= cap:
            return ring[:count]
        i = count % cap
        return ring[i:] + ring[:i]

    def _last(self, ring: list, k: int) -> list:
        """The last `k` slots of a ring buffer in chronological order, without copying the rest."""
        count, cap = self.count, self.capacity
        k = min(k, count, cap)
        end = count % cap
        start = end - k
        return ring[start:end] if start >= 0 else ring[start:] + ring[:end]

    def refresh(self) -> None:
        """Recompute the robust reference from the last `ref_window` healthy, finite steps."""
        n = self.ref_window
        # Healthy slots hold finite values and every other slot holds _NO in both lists alike, so
        # the filtered lists stay aligned step by step; filter/map/sorted keep the loops in C.
        loss_tail, grad_tail = self._last(self._ok_loss, 2 * n), self._last(self._ok_grad, 2 * n)
        losses = list(filter(_NO.__ne__, loss_tail))
        grads = list(filter(_POSITIVE, grad_tail))  # a zero norm has no logarithm
        if len(grads) != len(losses):  # some healthy step had a zero gradient: pair them up
            pairs = [(v, g) for v, g in zip(loss_tail, grad_tail, strict=True) if g > 0.0]
            losses, grads = [v for v, _ in pairs], [g for _, g in pairs]
        losses, grads = losses[-n:], sorted(grads[-n:])
        self._refreshed_at = self.count
        if len(losses) < max(4, n // 4):
            self.reference = None
            return
        self._version += 1
        ordered = sorted(losses)
        loss_c, loss_s = center_scale_sorted(ordered, self.mad_floor_rel)
        log_c = log_s = math.nan
        if ordered[0] > 0.0:  # heavy tails are judged on the log scale, where they are not heavy
            log_c, log_s = center_scale_sorted(list(map(math.log, ordered)), 0.0)  # log keeps order
        grad_c, grad_s = center_scale_sorted(list(map(math.log, grads)), 0.0)
        self.reference = Reference(
            version=self._version,
            loss_median=loss_c,
            loss_scale=loss_s,
            log_loss_median=log_c,
            log_loss_scale=max(log_s, 1e-3),
            log_grad_median=grad_c,
            log_grad_scale=max(grad_s, 1e-3),
            count=len(losses),
        )

    def lr_median(self) -> float:
        """Median LR of the last `ref_window` healthy steps: the "before" of an LR jump. Computed
        on demand (only when the policy decides something), not at every refresh."""
        n = self.ref_window
        ok, lrs = self._last(self._ok_grad, 2 * n), self._last(self._lr, 2 * n)
        return median_of([lr for g, lr in zip(ok, lrs, strict=True) if g != _NO][-n:])

    def healthy_losses(self) -> list[float]:
        """Every healthy finite loss of the window, chronological; cached per step (read only)."""
        if self._cache is None or self._cache[0] != self.count:
            self._cache = (self.count, [v for v in self._chrono(self._ok_loss) if v != _NO])
        return self._cache[1]

    def values(self, name: str, n: int) -> np.ndarray:
        """The last `n` healthy finite values of "loss" or "grad_norm" as a chronological array."""
        ring = self._ok_loss if name == "loss" else self._ok_grad
        healthy = self.healthy_losses() if name == "loss" else [v for v in self._chrono(ring) if v != _NO]
        return np.array(healthy[-n:] if n > 0 else [], dtype=np.float64)

    def series(self, n: int, healthy: bool = False) -> dict[str, np.ndarray]:
        """The last `n` steps in chronological order, every signal plus `step` and `flag`;
        healthy drops flagged steps. For tests and tools: the detectors use `values`."""
        rows = [self._chrono(r) for r in (self._loss, self._grad, self._lr, self._step, self._flag)]
        block = np.array(rows, dtype=np.float64).reshape(len(_ROWS), -1)
        if healthy:
            block = block[:, block[4] == 0.0]
        return {name: block[row, -n:] if n > 0 else block[row, :0] for row, name in enumerate(_ROWS)}

    # ----------------------------------------------------------------- snapshots
    def state(self) -> dict[str, object]:
        """A copy small enough to keep beside every training snapshot (rollback restores both)."""
        return {
            "rings": [list(getattr(self, name)) for name in _RING_ATTRS],
            "scalars": tuple(getattr(self, name) for name in _SCALAR_ATTRS),
            "start": list(self._start),
            "reference": self.reference,
        }

    def load_state(self, state: dict[str, object]) -> None:
        for name, ring in zip(_RING_ATTRS, state["rings"], strict=True):  # type: ignore[call-overload]
            setattr(self, name, list(ring))  # copies: the snapshot stays intact
        for name, value in zip(_SCALAR_ATTRS, state["scalars"], strict=True):  # type: ignore[call-overload]
            setattr(self, name, value)
        self._start = list(state["start"])  # type: ignore[call-overload]
        self.reference = state["reference"]  # type: ignore[assignment]
        self._version += 1
        if self.reference is not None:  # a new version, so cached detector thresholds are rebuilt
            self.reference = dataclasses.replace(self.reference, version=self._version)
        self._cache = None

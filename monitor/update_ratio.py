"""Update/weight ratio ||w_after - w_before|| / ||w_after||, sampled rather than measured every step.

It is the one signal that says *why* a run is stuck: a tiny ratio means the LR is too small to move
the weights. Measuring it needs a copy of the weights, so it is taken once every `trend_every`
steps with fused `torch._foreach_*` kernels (no per-parameter Python arithmetic).
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["UpdateRatioProbe", "global_norm"]


def global_norm(tensors: list[torch.Tensor]) -> float:
    """L2 norm over many tensors in one fused call (NaN/Inf propagate: the caller wants to see them)."""
    if not tensors:
        return 0.0
    # one fused kernel for the per-tensor norms, then the norm of those: same value as
    # torch.nn.utils.get_total_norm with a third less overhead per call
    return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(tensors))))


class UpdateRatioProbe:
    """Copy the trained tensors before one optimizer step, compare after it. The tensors come from
    the optimizer's param groups (a flat list, unlike walking the module tree) and both norms
    come out of a single fused `_foreach_norm` call."""

    def __init__(self) -> None:
        self._before: list[torch.Tensor] | None = None
        self._params: list[torch.Tensor] = []

    @property
    def armed(self) -> bool:
        return self._before is not None

    def before(self, optimizer: Any) -> None:
        """Copy the weights just before the optimizer step."""
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if not params:
            return
        with torch.no_grad():
            self._before = list(torch._foreach_mul(params, 1.0))
        self._params = params

    def after(self, applied: bool = True) -> float:
        """The ratio for the step just taken; NaN when the step was dropped."""
        before, self._before = self._before, None
        params, self._params = self._params, []
        if before is None or not applied:
            return math.nan
        with torch.no_grad():
            torch._foreach_sub_(before, params)  # before := -(update), reusing the copy's memory
            norms = torch.stack(torch._foreach_norm(before + params)).double().square()
        moved, size = norms[: len(params)].sum().sqrt().item(), norms[len(params) :].sum().sqrt().item()
        return moved / size if size > 0 else math.nan

"""Update/weight ratio ||w_after - w_before|| / ||w_after||, sampled rather than measured every step.

It is the one signal that says *why* a run is stuck: a tiny ratio means the LR is too small to move
the weights. Measuring it needs a copy of the weights, so it is taken every `update_ratio_every`
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
    return float(torch.nn.utils.get_total_norm(tensors, foreach=True))


class UpdateRatioProbe:
    def __init__(self) -> None:
        self._before: list[torch.Tensor] | None = None

    @property
    def armed(self) -> bool:
        return self._before is not None

    def before(self, model: Any) -> None:
        """Copy the weights just before the optimizer step."""
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            return
        with torch.no_grad():
            self._before = list(torch._foreach_mul(params, 1.0))

    def after(self, model: Any, applied: bool = True) -> float:
        """The ratio for the step just taken; NaN when the step was dropped or the model changed."""
        before, self._before = self._before, None
        params = [p for p in model.parameters() if p.requires_grad]
        if before is None or not applied or len(before) != len(params):
            return math.nan
        with torch.no_grad():
            torch._foreach_sub_(before, params)  # before := -(update), reusing the copy's memory
            moved = global_norm(before)
            size = global_norm(params)
        return moved / size if size > 0 else math.nan

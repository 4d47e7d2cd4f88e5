"""Fast deep copies of training state for in-memory snapshots.

`copy.deepcopy` of an optimizer's state dict walks every tensor through the generic pickling
protocol (~1.7 ms for a small MLP's Adam state); cloning the tensors and copying the plain
containers around them gives the same independent copy about 10x faster, which lets the monitor
keep healthy snapshots far more often within the same time budget.

Container-side: imports only torch and the standard library.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

__all__ = ["clone_state"]


def clone_state(value: Any) -> Any:
    """An independent copy of nested dicts/lists/tuples of tensors and plain values."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {key: clone_state(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone_state(item) for item in value]
    if isinstance(value, tuple):
        return tuple(clone_state(item) for item in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return copy.deepcopy(value)

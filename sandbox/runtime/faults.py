"""Injected faults (DESIGN.md), applied at exact steps so a benchmark knows when trouble began.

- `lr_spike {at_step, factor}`: at `at_step` every LR (and the schedule's base) is multiplied by
  `factor` and stays so, like a mis-set learning rate; a monitor must cut it back.
- `grad_explosion {at_step, factor, duration}`: gradients are multiplied by `factor` right after
  backward, before the norm is measured, for `duration` steps.
- `nan_loss {at_step}`: the loss of that step is NaN (so are its gradients).
- `bad_batch {at_step, duration, scale}`: the inputs are multiplied by `scale` for `duration`
  steps (reconstruction targets stay clean, so the loss measures the damage).

Steps are 1-based and count every optimisation step attempted, rolled back or not, so a fault
fires once even if a monitor restores a snapshot taken before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Fault", "FaultPlan"]


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    at_step: int
    factor: float = 1.0
    duration: int = 1
    scale: float = 1.0

    def acts_at(self, step: int) -> bool:
        return self.at_step <= step < self.at_step + self.duration


class FaultPlan:
    """The faults of one run, asked once per step which of them act and how."""

    def __init__(self, faults: Iterable[Mapping[str, Any]]) -> None:
        self.faults = tuple(
            Fault(
                kind=f["kind"],
                at_step=int(f["at_step"]),
                factor=float(f.get("factor", 1.0)),
                duration=int(f.get("duration", 1)),
                scale=float(f.get("scale", 1.0)),
            )
            for f in faults
        )

    def active(self, step: int) -> tuple[Fault, ...]:
        return tuple(f for f in self.faults if f.acts_at(step))

    @staticmethod
    def label(active: tuple[Fault, ...]) -> str | None:
        """The `fault` value of a metrics line: the first acting fault in config order."""
        return active[0].kind if active else None

    @staticmethod
    def lr_factor(active: tuple[Fault, ...]) -> float:
        return _product(f.factor for f in active if f.kind == "lr_spike")

    @staticmethod
    def grad_factor(active: tuple[Fault, ...]) -> float:
        return _product(f.factor for f in active if f.kind == "grad_explosion")

    @staticmethod
    def input_scale(active: tuple[Fault, ...]) -> float:
        return _product(f.scale for f in active if f.kind == "bad_batch")

    @staticmethod
    def nan_loss(active: tuple[Fault, ...]) -> bool:
        return any(f.kind == "nan_loss" for f in active)


def _product(values: Iterable[float]) -> float:
    out = 1.0
    for value in values:
        out *= value
    return out

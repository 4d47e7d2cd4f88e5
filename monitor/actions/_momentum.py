"""Shorten the momentum horizon with the LR: a run whose steps were too large *from the start*
was also carried by its momentum (SGD at 0.99 multiplies every step by up to 100), so cutting
the LR alone leaves the overshoot in place.

The horizon 1/(1 - m) is divided by `cut`, but only a horizon longer than `SHORTEST` steps
(m > 0.9) is shortened, and never below it: a 10-step horizon (SGD's usual 0.9, Adam's beta1)
carries no overshoot an LR cut leaves behind, and shortening it costs quality. Measured on the
default suite's high_lr_0_08 (ppg_hr, AdamW at 0.08, rolled back with two LR cuts): beta1
0.9 -> 0.6 ended at 0.0316 and 0.0264 (seeds 0, 1), beta1 kept at 0.0269 and 0.0254 (clean
median 0.0282). Adam's beta1 follows the same rule as SGD's momentum (beta2 only normalises and
is left alone). The caps are kept in the `SnapshotStore`, so a later rollback to a snapshot
taken before the cut does not silently bring the old momentum back.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SHORTEST", "apply_momentum_caps", "shorten_momentum"]

SHORTEST = 10.0  # steps of momentum horizon 1/(1 - m) that are never shortened


def _shorter(m: float, cut: float) -> float:
    floor = 1.0 - 1.0 / SHORTEST
    return m if m <= floor else max(floor, 1.0 - (1.0 - m) * cut)


def shorten_momentum(optimizer: Any, cut: float, caps: dict[str, float]) -> float:
    """Shorten every group's horizon by `cut`; record the new values as caps in `caps`; return
    the first group's new momentum (or beta1), NaN when the optimizer has none."""
    first = float("nan")
    for group in optimizer.param_groups:
        if group.get("momentum", 0.0) > 0:
            group["momentum"] = _shorter(float(group["momentum"]), cut)
            caps["momentum"] = min(caps.get("momentum", 1.0), group["momentum"])
            first = group["momentum"] if first != first else first
        if "betas" in group:
            beta1, beta2 = group["betas"]
            group["betas"] = (_shorter(float(beta1), cut), beta2)
            caps["beta1"] = min(caps.get("beta1", 1.0), group["betas"][0])
            first = group["betas"][0] if first != first else first
    return first


def apply_momentum_caps(optimizer: Any, caps: dict[str, float]) -> None:
    """Re-impose earlier cuts after a restore loaded older hyperparameters."""
    for group in optimizer.param_groups:
        if "momentum" in caps and group.get("momentum", 0.0) > caps["momentum"]:
            group["momentum"] = caps["momentum"]
        if "beta1" in caps and "betas" in group and group["betas"][0] > caps["beta1"]:
            group["betas"] = (caps["beta1"], group["betas"][1])

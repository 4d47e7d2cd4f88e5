"""Tier-2 moves: config variants of the best run's own model and trainer entries.

A variant changes a few values of an existing entry and nothing else, so it is built from
blocks the registry already knows. The ladder is fixed and ordered by what the history says:
when runs have been unstable, the trainer is tamed first (gradient clipping, warmup with cosine
decay); otherwise capacity comes first (a deeper model), then the schedule, width, optimizer
and regularisation. A rung the search already tunes (a key in the goal's search space) is
skipped, because the run's override would undo the variant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sentinel.contract.registry import GENERATED_TARGET, TARGETS, Param

__all__ = ["VariantPlan", "name_for", "plans"]

DEPTH_KEYS = ("depth", "blocks", "layers")
WIDTH_KEYS = ("channels", "hidden", "d_model", "width")
GENERATED_WIDTH_CAP = 256  # generated models have only generic bounds; keep a doubling sane
WARMUP_STEPS = 50
SGD_LR_FACTOR = 10.0  # SGD with momentum wants roughly 10x the learning rate AdamW does
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class VariantPlan:
    """One rung: derive `name` from entry `base` of `group` with `changes` (and scale the LR)."""

    group: str
    base: str
    kind: str
    changes: Mapping[str, Scalar | None]
    wording: str
    lr_factor: float = 1.0

    @property
    def name(self) -> str:
        return name_for(self.base, self.kind)

    @property
    def alt_name(self) -> str:
        """The name to use when `name` is taken by a file with other values."""
        return name_for(self.base, self.kind, repr(sorted(self.changes.items())))


def name_for(base: str, kind: str, content: str = "") -> str:
    """`<base>_<kind>` (48 characters at most); with `content`, a short digest is appended, for
    the rare case where the plain name is already taken by a different file."""
    suffix = f"_{hashlib.sha256(content.encode()).hexdigest()[:6]}" if content else ""
    stem = f"{base}_{kind}"
    return stem[: 48 - len(suffix)].rstrip("_") + suffix


def _params(entry: Mapping[str, Any]) -> Mapping[str, Param] | None:
    target = str(entry.get("_target_"))
    if target in TARGETS:
        return TARGETS[target].params
    return None if GENERATED_TARGET.match(target) else {}


def _bounded(entry: Mapping[str, Any], key: str, value: int) -> int | None:
    """`value` if the registry (or the generic cap) allows it and it changes something."""
    params = _params(entry)
    high = GENERATED_WIDTH_CAP if params is None else params[key].high
    if high is not None and value > high:
        value = int(high)
    return value if value != entry.get(key) else None


def _model_rungs(base: str, entry: Mapping[str, Any]) -> dict[str, VariantPlan]:
    rungs: dict[str, VariantPlan] = {}
    present = [
        k for k in entry if k != "_target_" and isinstance(entry[k], int) and not isinstance(entry[k], bool)
    ]
    depth = next((k for k in DEPTH_KEYS if k in present), None)
    if depth is not None and (value := _bounded(entry, depth, entry[depth] + 1)) is not None:
        rungs["deeper"] = VariantPlan(
            "model", base, "deeper", {depth: value}, f"{depth} {entry[depth]} -> {value}"
        )
    width = next((k for k in WIDTH_KEYS if k in present), None)
    if width is not None and (value := _bounded(entry, width, entry[width] * 2)) is not None:
        changes: dict[str, Scalar | None] = {width: value}
        if width == "d_model" and isinstance(entry.get("dim_feedforward"), int):
            ff = _bounded(entry, "dim_feedforward", entry["dim_feedforward"] * 2)
            if ff is not None:
                changes["dim_feedforward"] = ff
        rungs["wider"] = VariantPlan("model", base, "wider", changes, f"{width} {entry[width]} -> {value}")
    dropout = entry.get("dropout")
    if isinstance(dropout, float) and dropout < 0.1:
        rungs["regularised"] = VariantPlan(
            "model", base, "regularised", {"dropout": 0.1}, f"dropout {dropout:g} -> 0.1"
        )
    return rungs


def _trainer_rungs(base: str, entry: Mapping[str, Any]) -> dict[str, VariantPlan]:
    rungs: dict[str, VariantPlan] = {}
    if entry.get("grad_clip") is None:
        rungs["clipped"] = VariantPlan(
            "trainer", base, "clipped", {"grad_clip": 1.0}, "gradient clipping at norm 1.0"
        )
    if entry.get("schedule") != "cosine" or not entry.get("warmup_steps"):
        changes: dict[str, Scalar | None] = {"schedule": "cosine", "warmup_steps": WARMUP_STEPS}
        if not entry.get("min_lr_ratio"):
            changes["min_lr_ratio"] = 0.05
        wording = f"{WARMUP_STEPS}-step warmup then cosine decay (was {entry.get('schedule')})"
        rungs["warm_cosine"] = VariantPlan("trainer", base, "warm_cosine", changes, wording)
    if entry.get("optimizer") == "adamw":
        changes = {"optimizer": "sgd", "momentum": 0.9}
        wording = f"SGD with momentum 0.9 instead of AdamW, learning rate x{SGD_LR_FACTOR:g}"
        rungs["sgd"] = VariantPlan("trainer", base, "sgd", changes, wording, SGD_LR_FACTOR)
    elif entry.get("optimizer") == "sgd":
        changes = {"optimizer": "adamw"}
        wording = f"AdamW instead of SGD, learning rate /{SGD_LR_FACTOR:g}"
        rungs["adamw"] = VariantPlan("trainer", base, "adamw", changes, wording, 1 / SGD_LR_FACTOR)
    return rungs


def plans(
    model: tuple[str, Mapping[str, Any]] | None,
    trainer: tuple[str, Mapping[str, Any]] | None,
    searched: set[str],
    unstable: bool,
) -> list[VariantPlan]:
    """Every rung for the best run's (model, trainer) entries, in the order to try them."""
    models = _model_rungs(*model) if model else {}
    trainers = _trainer_rungs(*trainer) if trainer else {}
    if unstable:
        order = [
            ("t", "clipped"),
            ("t", "warm_cosine"),
            ("m", "deeper"),
            ("m", "wider"),
            ("m", "regularised"),
        ]
        order += [("t", "sgd"), ("t", "adamw")]
    else:
        order = [("m", "deeper"), ("t", "warm_cosine"), ("m", "wider"), ("t", "sgd"), ("t", "adamw")]
        order += [("m", "regularised"), ("t", "clipped")]
    out = []
    for side, kind in order:
        plan = (models if side == "m" else trainers).get(kind)
        if plan is not None and not any(f"{plan.group}.{k}" in searched for k in plan.changes):
            out.append(plan)
    return out

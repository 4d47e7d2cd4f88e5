"""What the dashboard reads from a run folder besides the store: curves and the planned length.

Curves come from the run's copied `artifacts/metrics.jsonl`, read only through the hostile-input
reader (`read_artifacts`), and only its numbers are kept: steps, losses and task metrics. The
planned length comes from the run's `config.yaml`, which the host wrote itself (the resolved
config), and is read small, without following links, and reduced to two integers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from sentinel.sandbox.artifacts import read_artifacts

__all__ = ["MAX_POINTS", "RunCurves", "downsample", "planned_steps", "read_curves"]

MAX_POINTS = 400  # per series: enough for the eye, keeps a 100-run page small
MAX_CONFIG_BYTES = 256 * 1024

Points = tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class RunCurves:
    """A run's curves: train loss per step and each validation metric ("val/mae") per step.

    NaN in a point marks a non-finite value the run flagged (the chart draws a gap there).
    `note` is Sentinel's wording when there is nothing to show and why.
    """

    train_loss: Points = ()
    val: Mapping[str, Points] = field(default_factory=lambda: MappingProxyType({}))
    steps_per_epoch: int | None = None
    last_step: int | None = None
    note: str | None = None


def downsample(points: Sequence[tuple[int, float]], limit: int = MAX_POINTS) -> Points:
    """At most about `limit` points, evenly strided, keeping the last one and every gap."""
    if len(points) <= limit:
        return tuple(points)
    stride = math.ceil(len(points) / limit)
    kept = [p for i, p in enumerate(points) if i % stride == 0 or not math.isfinite(p[1])]
    if kept[-1] != points[-1]:
        kept.append(points[-1])
    return tuple(kept)


def read_curves(artifact_dir: Path) -> RunCurves:
    """Curves from `<run>/artifacts`; never raises on what the run wrote."""
    if not os.path.lexists(artifact_dir):
        return RunCurves(note="no artifacts were kept for this run")
    result = read_artifacts(artifact_dir)
    if not result.accepted:
        return RunCurves(note="the artifact reader rejected this run's files; no curves are shown")
    train: list[tuple[int, float]] = []
    val: dict[str, list[tuple[int, float]]] = {}
    steps_per_epoch = None
    for record in result.metrics:
        if record.split == "train":
            train.append((int(record.step), float(record.loss)))
            continue
        val.setdefault("val/loss", []).append((int(record.step), float(record.loss)))
        for key, value in record.values.items():
            val.setdefault(f"val/{key}", []).append((int(record.step), float(value)))
        if steps_per_epoch is None and record.epoch == 0 and record.step > 0:
            steps_per_epoch = int(record.step)
    last = max((int(m.step) for m in result.metrics), default=None)
    return RunCurves(
        train_loss=downsample(train),
        val=MappingProxyType({k: downsample(v) for k, v in val.items()}),
        steps_per_epoch=steps_per_epoch,
        last_step=last,
        note=None if result.metrics else "the run wrote no metrics",
    )


def _config_trainer(config_file: Path) -> Mapping[str, object]:
    """The `trainer` section of the host-written resolved config, or {} when unreadable."""
    import yaml

    try:
        fd = os.open(config_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return {}
    if len(raw) > MAX_CONFIG_BYTES:
        return {}
    try:
        config = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return {}
    trainer = config.get("trainer") if isinstance(config, dict) else None
    return trainer if isinstance(trainer, dict) else {}


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def planned_steps(config_file: Path, steps_per_epoch: int | None) -> int | None:
    """The steps the run was configured for: epochs x steps per epoch, capped by max_steps."""
    trainer = _config_trainer(config_file)
    epochs, max_steps = _positive_int(trainer.get("epochs")), _positive_int(trainer.get("max_steps"))
    planned = epochs * steps_per_epoch if epochs and steps_per_epoch else None
    if max_steps is not None:
        planned = min(planned, max_steps) if planned is not None else max_steps
    return planned

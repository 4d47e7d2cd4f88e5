"""Everything the run writes to /artifacts except the checkpoint: bounded, strict, line-flushed.

The artifact volume is small (e.g. 64 MB) and the host reads it as hostile input, so every
writer here has a byte cap, writes strict JSON (non-finite numbers become `null` and are named
in a `nonfinite` list), and flushes each line so the host can follow progress live. Budget:
metrics 8 MiB (train lines stop at 8 MiB minus a reserve kept for val lines), monitor events
2 MiB, summary a few KiB, the checkpoint at most 40 MB (trainer.checkpoint_max_mb).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "EVENTS_MAX_BYTES",
    "METRICS_MAX_BYTES",
    "EventWriter",
    "JsonlWriter",
    "MetricsWriter",
    "finite_or_none",
    "write_summary",
]

METRICS_MAX_BYTES = 8 * 1024 * 1024
VAL_RESERVE_BYTES = 512 * 1024
EVENTS_MAX_BYTES = 2 * 1024 * 1024
MAX_LINE_BYTES = 4096
MAX_EVENT_FIELDS = 32
# The host reader's patterns (sandbox/artifacts/vocabulary.py), repeated here because the
# container must not import host code; the host also checks the enumerations themselves.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,23}(?:/[a-z][a-z0-9_]{0,23})?$")
_EVENT_KINDS = frozenset({"intervention", "experience"})
# A float32 model cannot produce a larger finite number; the host rejects anything beyond it.
FLOAT32_MAX = 3.4028234663852886e38


def finite_or_none(value: float) -> float | None:
    """`value`, or None when it is NaN, infinite or beyond float32 (what the host can read)."""
    return value if math.isfinite(value) and abs(value) <= FLOAT32_MAX else None


def _dumps(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))


class JsonlWriter:
    """Append JSON lines to one file, each flushed, never past `max_bytes` in total."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path, self.max_bytes = path, max_bytes
        self._file = path.open("w", encoding="ascii")
        self.written = 0
        self.dropped = 0

    def write(self, obj: Mapping[str, Any], reserve: int = 0) -> bool:
        """Write one line unless it would cross `max_bytes - reserve`; False if dropped."""
        line = _dumps(obj) + "\n"
        if len(line) > MAX_LINE_BYTES or self.written + len(line) > self.max_bytes - reserve:
            self.dropped += 1
            return False
        self._file.write(line)
        self._file.flush()
        self.written += len(line)
        return True

    def close(self) -> None:
        self._file.close()


class MetricsWriter:
    """metrics.jsonl in the docs/contracts.md shape: train lines and one val line per epoch."""

    def __init__(self, artifacts: Path, max_bytes: int = METRICS_MAX_BYTES) -> None:
        self._out = JsonlWriter(artifacts / "metrics.jsonl", max_bytes)

    @property
    def truncated(self) -> bool:
        return self._out.dropped > 0

    def train(
        self, step: int, epoch: int, loss: float, grad_norm: float, lr: float, fault: str | None = None
    ) -> bool:
        lr = min(lr, FLOAT32_MAX)  # the contract has no null LR; a schedule never makes it NaN
        line = _with_nonfinite(
            {"step": step, "epoch": epoch, "split": "train", "loss": loss, "grad_norm": grad_norm, "lr": lr}
        )
        if fault is not None:
            line["fault"] = fault
        return self._out.write(line, reserve=VAL_RESERVE_BYTES)

    def val(self, step: int, epoch: int, metrics: Mapping[str, float]) -> bool:
        return self._out.write(_with_nonfinite({"step": step, "epoch": epoch, "split": "val", **metrics}))

    def close(self) -> None:
        self._out.close()


def _with_nonfinite(line: dict[str, Any]) -> dict[str, Any]:
    """Replace NaN/Inf floats by None and list their keys under `nonfinite` (only if any)."""
    bad = [k for k, v in line.items() if isinstance(v, float) and finite_or_none(v) is None]
    for key in bad:
        line[key] = None
    if bad:
        line["nonfinite"] = bad
    return line


class EventWriter:
    """monitor_events.jsonl: checks each event's shape so a monitor bug cannot write junk.

    Non-finite evidence (a NaN loss is exactly what the nan detector reports) is written as
    null, which the host reads back as NaN.
    """

    def __init__(self, artifacts: Path, max_bytes: int = EVENTS_MAX_BYTES) -> None:
        self._out = JsonlWriter(artifacts / "monitor_events.jsonl", max_bytes)

    @property
    def dropped(self) -> int:
        return self._out.dropped

    def record(self, event: Mapping[str, Any]) -> None:
        """Raise ValueError for a malformed event; silently drop events past the byte cap."""
        if not isinstance(event, Mapping):
            raise ValueError(f"event must be a mapping, got {type(event).__name__}")
        unknown = set(event) - {"kind", "step", "anomaly", "evidence", "action", "params"}
        if unknown:
            raise ValueError(f"unknown event keys {sorted(unknown)}")
        step = event.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"event step must be an int >= 0, got {step!r}")
        line: dict[str, Any] = {"step": step}
        if "kind" in event:
            if event["kind"] not in _EVENT_KINDS:
                raise ValueError(f"event kind must be one of {sorted(_EVENT_KINDS)}, got {event['kind']!r}")
            line["kind"] = event["kind"]
        for key in ("anomaly", "action"):
            value = event.get(key)
            if not isinstance(value, str) or not _NAME.match(value):
                raise ValueError(f"event {key} must match {_NAME.pattern}, got {value!r}")
            line[key] = value
        for key in ("evidence", "params"):
            line[key] = _numbers(key, event.get(key, {}))
        self._out.write(line)

    def close(self) -> None:
        self._out.close()


def _numbers(where: str, values: Any) -> dict[str, float | None]:
    if not isinstance(values, Mapping) or len(values) > MAX_EVENT_FIELDS:
        raise ValueError(f"event {where} must be a mapping of at most {MAX_EVENT_FIELDS} numbers")
    out: dict[str, float | None] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f"event {where} key {key!r} is not a plain name")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"event {where}.{key} must be a number, got {type(value).__name__}")
        out[key] = finite_or_none(float(value))
    return out


def write_summary(artifacts: Path, summary: Mapping[str, Any]) -> None:
    """summary.json, written to a temporary name and renamed so the host never reads half."""
    tmp = artifacts / ".summary.json.tmp"
    tmp.write_text(json.dumps(_clean(summary), allow_nan=False, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, artifacts / "summary.json")


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value

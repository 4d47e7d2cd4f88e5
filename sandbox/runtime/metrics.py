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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sentinel.contract.events import event_line
from sentinel.contract.vocabulary import FLOAT32_MAX

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
        """Raise ValueError for a malformed event; silently drop events past the byte cap.

        The line is `contract.events.event_line(event)`: the schema every reader checks, so a
        monitor bug fails here, in the run, instead of rejecting the run's artifacts later."""
        self._out.write(event_line(event))

    def close(self) -> None:
        self._out.close()


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

"""The best model's weights at /artifacts/checkpoint.pt, never larger than the configured cap.

The host treats the file as opaque bytes (it never unpickles it). The old checkpoint is removed
before the new one is written, so the volume never holds two at once; the bytes go through a
counting writer that aborts past the cap, so even a model whose size we misjudged cannot fill
the volume. A skipped save is reported with Sentinel's own reason word.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

__all__ = ["CheckpointKeeper", "CheckpointResult"]

FILE = "checkpoint.pt"


class _TooLarge(Exception):
    pass


class _CappedFile(io.RawIOBase):
    """A write-only file that raises once more than `limit` bytes have been written."""

    def __init__(self, raw: io.BufferedWriter, limit: int) -> None:
        self._raw, self._limit, self.size = raw, limit, 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = len(memoryview(data).cast("B"))
        self.size += n
        if self.size > self._limit:
            raise _TooLarge
        return self._raw.write(data)


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    saved: bool
    bytes: int
    reason: str  # "saved" | "too_large" | "disabled" | "write_error"


class CheckpointKeeper:
    def __init__(self, artifacts: Path, max_mb: float) -> None:
        self.path = artifacts / FILE
        self.limit = int(max_mb * 1024 * 1024)
        self.last = CheckpointResult(False, 0, "disabled" if self.limit == 0 else "none")

    def save(
        self, model: torch.nn.Module, epoch: int, step: int, metrics: dict[str, float]
    ) -> CheckpointResult:
        self.last = self._save(model, epoch, step, metrics)
        return self.last

    def _save(
        self, model: torch.nn.Module, epoch: int, step: int, metrics: dict[str, float]
    ) -> CheckpointResult:
        if self.limit == 0:
            return CheckpointResult(False, 0, "disabled")
        state = {k: v.detach().clone() for k, v in torch.nn.Module.state_dict(model).items()}
        estimate = sum(t.numel() * t.element_size() for t in state.values())
        if estimate > self.limit:
            self._remove()
            return CheckpointResult(False, estimate, "too_large")
        self._remove()
        part = self.path.with_name(FILE + ".part")
        try:
            with part.open("wb") as raw:
                capped = _CappedFile(raw, self.limit)
                torch.save({"model": state, "epoch": epoch, "step": step, "metrics": metrics}, capped)
                size = capped.size
            os.replace(part, self.path)
        except _TooLarge:
            part.unlink(missing_ok=True)
            return CheckpointResult(False, estimate, "too_large")
        except OSError:
            part.unlink(missing_ok=True)
            return CheckpointResult(False, estimate, "write_error")
        return CheckpointResult(True, size, "saved")

    def _remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

"""Read a prepared dataset from /data (read-only) and serve it in seeded, restorable batches.

The data folder is the host's, but the container still checks it: every file must be a
regular file whose sha256 matches /data/MANIFEST.json, arrays load with `allow_pickle=False`,
and shapes must agree with meta.json. The test split has inputs only: its targets stay on the
host, which scores the predictions an evaluation container writes (`evaluate.py`).
`Batcher` owns the data position (epoch, permutation, cursor, generator state) so a
monitor's snapshot can put the run back exactly where it was.
"""

from __future__ import annotations

import hashlib
import json
import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sentinel.contract.registry import DATASET_TASKS

__all__ = ["ArrayDataset", "Batcher", "BatcherState", "DataInvalid", "Split"]

FILES = ("train.npz", "val.npz", "test_inputs.npz", "meta.json")
MAX_META_BYTES = 64 * 1024
MAX_MANIFEST_BYTES = 256 * 1024


class DataInvalid(RuntimeError):
    """The data folder is missing a file, fails its checksum or disagrees with its meta.json."""


@dataclass(frozen=True, slots=True)
class Split:
    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.x.shape[0])


class ArrayDataset:
    """One dataset's splits as tensors (train, val; test inputs only) and facts from meta.json."""

    def __init__(self, root: Path, name: str, verify: bool = True, train: bool = True) -> None:
        """`train=False` (the evaluation container) neither verifies nor loads the train split:
        `self.train` is then absent, and the largest file is never read."""
        if name not in DATASET_TASKS:
            raise DataInvalid(f"unknown dataset {name!r}")
        self.name = name
        folder = Path(root) / name
        files = [f"{name}/{file}" for file in FILES if train or file != "train.npz"]
        if verify:
            _verify(Path(root), files)
        self.meta: dict[str, Any] = json.loads(_read_regular(folder / "meta.json", MAX_META_BYTES))
        self.task: str = self.meta.get("task", "")
        if self.task != DATASET_TASKS[name]:
            raise DataInvalid(f"{name}: meta.json task {self.task!r} != {DATASET_TASKS[name]!r}")
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in self.meta["input_shape"])
        self.output_dim = int(self.meta["output_dim"])
        self.classes = int(self.meta["classes"]) if self.task == "classification" else 0
        self.target_mean = float(self.meta.get("target_mean", 0.0))
        self.target_std = float(self.meta.get("target_std", 1.0)) or 1.0
        if train:
            self.train = self._load(folder / "train.npz")
        self.val = self._load(folder / "val.npz")
        self.test_inputs = self._inputs(folder / "test_inputs.npz")

    def _inputs(self, path: Path) -> torch.Tensor:
        _check_regular(path)
        with np.load(path, allow_pickle=False) as arrays:
            x = arrays["x"]
        self._check_inputs(path, x)
        return torch.from_numpy(np.ascontiguousarray(x))

    def _check_inputs(self, path: Path, x: np.ndarray) -> None:
        if x.dtype != np.float32 or tuple(x.shape[1:]) != self.input_shape or len(x) == 0:
            raise DataInvalid(
                f"{path.name}: x {x.dtype} {x.shape} does not match meta.json {self.input_shape}"
            )

    def _load(self, path: Path) -> Split:
        _check_regular(path)
        with np.load(path, allow_pickle=False) as arrays:
            x, y = arrays["x"], arrays["y"]
        self._check_inputs(path, x)
        if len(x) != len(y):
            raise DataInvalid(f"{path.name}: {len(x)} inputs but {len(y)} targets")
        if self.task == "classification":
            if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= self.classes:
                raise DataInvalid(f"{path.name}: labels must be integers in [0, {self.classes})")
            target = torch.from_numpy(y.astype(np.int64))
        else:
            target = torch.from_numpy(y.astype(np.float32))
        return Split(torch.from_numpy(np.ascontiguousarray(x)), target)


def _check_regular(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
    except OSError:
        raise DataInvalid(f"{path}: missing (run `sentinel data prepare` on the host)") from None
    if not stat.S_ISREG(mode):
        raise DataInvalid(f"{path}: not a regular file")


def _read_regular(path: Path, limit: int) -> bytes:
    _check_regular(path)
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise DataInvalid(f"{path}: larger than {limit} bytes")
    return data


def _verify(root: Path, files: list[str]) -> None:
    try:
        manifest = json.loads(_read_regular(root / "MANIFEST.json", MAX_MANIFEST_BYTES))["files"]
    except (ValueError, KeyError, TypeError):
        raise DataInvalid("MANIFEST.json is not valid") from None
    for key in files:
        path = root / key
        _check_regular(path)
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(chunk)
        if manifest.get(key) != digest.hexdigest():
            raise DataInvalid(f"{key}: sha256 does not match MANIFEST.json")


@dataclass(frozen=True, slots=True)
class BatcherState:
    epoch: int
    cursor: int
    order: np.ndarray
    rng: dict[str, Any]


class Batcher:
    """Seeded shuffling over one split, one epoch at a time; `state()`/`load()` are exact.

    `epoch` is 1-based and names the epoch being served; `next()` returns the indices of the
    next batch, or None once the epoch is used up (the trainer validates, then `new_epoch()`).
    """

    def __init__(self, size: int, batch_size: int, seed: int) -> None:
        if size < 1 or batch_size < 1:
            raise ValueError(f"size and batch_size must be >= 1, got {size}, {batch_size}")
        self.size, self.batch_size = size, batch_size
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self.epoch = 0
        self.new_epoch()

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(self.size / self.batch_size)

    @property
    def exhausted(self) -> bool:
        """Every batch of the current epoch has been served."""
        return self._cursor >= self.size

    def new_epoch(self) -> None:
        self.epoch += 1
        self._order = self._rng.permutation(self.size)
        self._cursor = 0

    def next(self) -> torch.Tensor | None:
        if self._cursor >= self.size:
            return None
        batch = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += len(batch)
        return torch.from_numpy(batch)

    def state(self) -> BatcherState:
        return BatcherState(self.epoch, self._cursor, self._order.copy(), self._rng.bit_generator.state)

    def load(self, state: BatcherState) -> None:
        self.epoch, self._cursor, self._order = state.epoch, state.cursor, state.order.copy()
        self._rng.bit_generator.state = state.rng

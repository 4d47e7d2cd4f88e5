"""ArrayDataset checks the data folder like hostile input; Batcher's position restores exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from sentinel.sandbox.runtime.datasets import ArrayDataset, Batcher, DataInvalid


def test_loads_prepared_digits(digits_dir: Path) -> None:
    data = ArrayDataset(digits_dir, "digits")
    assert data.task == "classification" and data.classes == 10 and data.input_shape == (1, 64)
    assert data.train.x.dtype == torch.float32 and data.train.y.dtype == torch.int64
    assert len(data.train) > len(data.val) > 0 and data.train.x.shape[1:] == (1, 64)


@pytest.fixture
def copy_of_digits(digits_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(digits_dir, root)
    return root


def test_tampered_file_fails_the_checksum(copy_of_digits: Path) -> None:
    path = copy_of_digits / "digits" / "val.npz"
    with np.load(path) as arrays:
        x, y = arrays["x"].copy(), arrays["y"]
    x[0, 0, 0] += 1.0
    np.savez_compressed(path, x=x, y=y)
    with pytest.raises(DataInvalid, match="sha256 does not match"):
        ArrayDataset(copy_of_digits, "digits")


def test_symlinked_file_is_refused(copy_of_digits: Path, tmp_path: Path) -> None:
    path = copy_of_digits / "digits" / "test_inputs.npz"
    outside = tmp_path / "elsewhere.npz"
    shutil.move(path, outside)
    path.symlink_to(outside)
    with pytest.raises(DataInvalid, match="not a regular file"):
        ArrayDataset(copy_of_digits, "digits")


def test_missing_dataset_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(DataInvalid):
        ArrayDataset(tmp_path, "digits")
    with pytest.raises(DataInvalid, match="unknown dataset"):
        ArrayDataset(tmp_path, "../digits")


def test_pickled_arrays_are_refused(copy_of_digits: Path) -> None:
    path = copy_of_digits / "digits" / "train.npz"
    np.savez(path, x=np.array([object()], dtype=object), y=np.zeros(1))
    with pytest.raises(ValueError, match="pickle"):
        ArrayDataset(copy_of_digits, "digits", verify=False)


def _epoch(b: Batcher) -> list[list[int]]:
    out = []
    while (batch := b.next()) is not None:
        out.append(batch.tolist())
    return out


def test_batcher_is_seeded_and_covers_each_epoch_once() -> None:
    a, b, c = Batcher(10, 3, seed=1), Batcher(10, 3, seed=1), Batcher(10, 3, seed=2)
    first = _epoch(a)
    assert first == _epoch(b) and first != _epoch(c)
    assert sorted(i for batch in first for i in batch) == list(range(10))
    assert [len(batch) for batch in first] == [3, 3, 3, 1] and a.batches_per_epoch == 4
    a.new_epoch()
    assert a.epoch == 2 and _epoch(a) != first


def test_batcher_state_restores_exactly() -> None:
    b = Batcher(20, 4, seed=3)
    b.next()
    state = b.state()
    rest = _epoch(b)
    b.new_epoch()
    following = _epoch(b)
    b.load(state)
    assert _epoch(b) == rest
    b.new_epoch()
    assert _epoch(b) == following

"""The prediction reader takes only well-formed float32 .npy files, reached without links, and
never raises anything but ArtifactRejected on hostile bytes (fuzzed)."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.sandbox.artifacts._npy import parse_npy, read_predictions
from sentinel.sandbox.errors import ArtifactRejected


def _npy(array: np.ndarray, **kw: object) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kw)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_a_float32_matrix_of_the_right_rows_is_read_read_only() -> None:
    array = parse_npy(_npy(np.arange(12, dtype=np.float32).reshape(4, 3)), "x.npy", rows=4, max_cols=3)
    assert array.shape == (4, 3) and array.dtype == np.float32 and not array.flags.writeable


@pytest.mark.parametrize(
    ("array", "why"),
    [
        (np.zeros((4, 3), np.float64), "float32"),
        (np.zeros((4, 3), ">f4"), "float32"),
        (np.asfortranarray(np.zeros((4, 3), np.float32)), "C order"),
        (np.zeros((5, 3), np.float32), "shape"),
        (np.zeros((4, 4), np.float32), "shape"),
        (np.zeros(4, np.float32), "shape"),
        (np.zeros((4, 3, 1), np.float32), "shape"),
        (np.zeros((4, 3), [("a", "<f4")]), "float32"),
    ],
)
def test_wrong_dtype_order_or_shape_is_rejected(array: np.ndarray, why: str) -> None:
    with pytest.raises(ArtifactRejected, match=why):
        parse_npy(_npy(array), "x.npy", rows=4, max_cols=3)


def test_pickled_object_arrays_and_short_or_long_data_are_rejected() -> None:
    with pytest.raises(ArtifactRejected):
        parse_npy(
            _npy(np.array([object()] * 4, dtype=object), allow_pickle=True), "x.npy", rows=4, max_cols=3
        )
    good = _npy(np.zeros((4, 3), np.float32))
    for data in (good[:-4], good + b"\0\0\0\0", good[:8]):
        with pytest.raises(ArtifactRejected):
            parse_npy(data, "x.npy", rows=4, max_cols=3)


def test_a_huge_header_is_refused_without_parsing_it() -> None:
    header = b"{" * 200_000
    data = b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header
    with pytest.raises(ArtifactRejected, match="not a valid"):
        parse_npy(data, "x.npy", rows=4, max_cols=3)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_raise_anything_else(data: bytes) -> None:
    with contextlib.suppress(ArtifactRejected):
        parse_npy(b"\x93NUMPY" + data, "x.npy", rows=2, max_cols=4)


def test_files_are_read_without_following_links_and_absent_ones_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "val.output.npy").write_bytes(_npy(np.ones((2, 2), np.float32)))
    outside = tmp_path.parent / f"{tmp_path.name}-outside.npy"
    outside.write_bytes(_npy(np.ones((2, 2), np.float32)))
    found = read_predictions(tmp_path, ["val.output", "val.mu"], rows=2, max_cols=2, max_bytes=1 << 20)
    assert set(found) == {"val.output"}
    os.symlink(outside, tmp_path / "val.mu.npy")
    with pytest.raises(ArtifactRejected, match="symlink"):
        read_predictions(tmp_path, ["val.output", "val.mu"], rows=2, max_cols=2, max_bytes=1 << 20)
    with pytest.raises(ArtifactRejected, match="larger than"):
        read_predictions(tmp_path, ["val.output"], rows=2, max_cols=2, max_bytes=64)

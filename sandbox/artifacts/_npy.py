"""read_predictions: the evaluation container's `.npy` files, read as hostile input.

A prediction file must be a regular file (reached like every artifact: no link, no FIFO, one
hard link), at most `max_bytes`, in NumPy's format 1.0 or 2.0 (what `np.save` writes) with a
header numpy parses under its own `max_header_size` bound, dtype little-endian float32, C
order, two dimensions, exactly `rows` rows and 1..`max_cols` columns, and exactly as many data
bytes as that shape needs.
No pickle is ever involved: the bytes become an array with `np.frombuffer`. Any violation is
an `ArtifactRejected` naming the file in Sentinel's own words.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sentinel.sandbox.artifacts._fs import (
    Entry,
    Overflow,
    list_entries,
    open_entry,
    open_folder,
    read_bounded,
)
from sentinel.sandbox.artifacts._limits import DEFAULT_LIMITS
from sentinel.sandbox.errors import ArtifactRejected

__all__ = ["MAX_HEADER_BYTES", "read_predictions"]

MAX_HEADER_BYTES = 4096
FLOAT32 = np.dtype("<f4")


def read_predictions(
    directory: Path, names: Sequence[str], *, rows: int, max_cols: int, max_bytes: int
) -> dict[str, np.ndarray]:
    """The arrays `names` (file names without `.npy`) that exist in `directory`, checked.

    A name that is absent is simply not in the result (the caller decides what it needs).
    """
    folder = open_folder(directory)
    try:
        present = {e.name: e for e in list_entries(folder, DEFAULT_LIMITS)}
        arrays = {}
        for name in names:
            entry = present.get(f"{name}.npy")
            if entry is not None:
                arrays[name] = _read_one(folder, entry, rows=rows, max_cols=max_cols, max_bytes=max_bytes)
        return arrays
    finally:
        os.close(folder)


def _read_one(folder: int, entry: Entry, *, rows: int, max_cols: int, max_bytes: int) -> np.ndarray:
    name = entry.name
    fd = open_entry(folder, entry)
    buffer = bytearray()
    try:
        read_bounded(fd, name, max_bytes, buffer.extend)
    except Overflow:
        raise ArtifactRejected(name, f"{name} is larger than {max_bytes} bytes") from None
    finally:
        os.close(fd)
    return parse_npy(bytes(buffer), name, rows=rows, max_cols=max_cols)


def parse_npy(data: bytes, name: str, *, rows: int, max_cols: int) -> np.ndarray:
    """A float32 (rows, cols) array from `.npy` bytes, or ArtifactRejected."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise ValueError("unsupported version")
        shape, fortran, dtype = readers[version](stream, max_header_size=MAX_HEADER_BYTES)
    except (ValueError, TypeError, SyntaxError, UnicodeDecodeError, EOFError) as err:
        raise ArtifactRejected(name, f"{name} is not a valid .npy file ({type(err).__name__})") from None
    if dtype != FLOAT32 or fortran:
        raise ArtifactRejected(name, f"{name} must hold little-endian float32 in C order")
    if len(shape) != 2 or shape[0] != rows or not 1 <= shape[1] <= max_cols:
        raise ArtifactRejected(name, f"{name} must have shape ({rows}, 1..{max_cols})")
    offset = stream.tell()
    if len(data) - offset != rows * shape[1] * FLOAT32.itemsize:
        raise ArtifactRejected(name, f"{name} holds a different number of bytes than its shape needs")
    array = np.frombuffer(data, dtype=FLOAT32, offset=offset).reshape(shape)
    with contextlib.suppress(ValueError):
        array.flags.writeable = False
    return array

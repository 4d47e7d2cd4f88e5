"""Small helpers shared by the dataset generators (sizes, per-window normalisation, warnings)."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator, Mapping

import numpy as np

__all__ = ["quiet", "scaled_sizes", "zscore"]


def scaled_sizes(sizes: Mapping[str, int], scale: float, minimum: int) -> dict[str, int]:
    """Split sizes times `scale` (tests use small scales), never below `minimum` per split."""
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    return {split: max(minimum, round(n * scale)) for split, n in sizes.items()}


def zscore(x: np.ndarray) -> np.ndarray:
    """Normalise each window along its last axis: amplitude is a sensor property, not the label."""
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return ((x - mean) / np.maximum(std, 1e-6)).astype(np.float32)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """neurokit2 warns (and prints) about its own parameter choices; a build prints only results."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield

"""`digits`: scikit-learn's bundled 8x8 handwritten digits (real data, 1,797 images, 10 classes).

Pixels are scaled to [0, 1] and flattened to one channel of 64 samples so every built-in model
reads it; splits are stratified 70/15/15 with a fixed seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentinel.sandbox.data._store import SPLITS, Built

__all__ = ["build"]

FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}
VERSION = 1


def build(scale: float = 1.0, seed: int = 4004) -> Built:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)[:, None, :]
    y = data.target.astype(np.int64)
    if scale < 1.0:  # tests: a stratified subset, at least 5 images per class
        keep = max(50 * 3, round(len(y) * scale))
        x, _, y, _ = train_test_split(x, y, train_size=keep, stratify=y, random_state=seed)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=FRACTIONS["train"], stratify=y, random_state=seed
    )
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=0.5, stratify=y_rest, random_state=seed
    )
    splits = dict(zip(SPLITS, ((x_train, y_train), (x_val, y_val), (x_test, y_test)), strict=True))
    meta: dict[str, Any] = {
        "task": "classification",
        "input_shape": [1, 64],
        "output_dim": 10,
        "classes": 10,
        "class_names": [str(i) for i in range(10)],
        "source": "sklearn.datasets.load_digits (UCI optical recognition of handwritten digits)",
        "seed": seed,
        "scale": scale,
        "version": VERSION,
    }
    return Built(splits, meta)

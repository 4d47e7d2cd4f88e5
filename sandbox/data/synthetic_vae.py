"""`synthetic_vae`: 28x28 binary images drawn from a 10-number latent, for a VAE to reconstruct.

Each image is the union of two filled ellipses (centre, radii, angle each) with a small rate
of flipped pixels. The latent is low-dimensional and known (stored as `y`, unused by training),
and the pixel noise gives the Bernoulli reconstruction loss a floor, so a trained VAE sits on
the ~70 nats-per-image scale of the original monitor benchmark (an untrained one starts near
784 * ln 2 = 543).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentinel.sandbox.data._common import scaled_sizes
from sentinel.sandbox.data._store import SPLITS, Built

__all__ = ["SIZES", "build"]

SIZES = {"train": 4000, "val": 800, "test": 800}
SIDE = 28
ELLIPSES = 2
FLIP = 0.003
VERSION = 2  # 2: generator changed in e63fd0a (re-timed beats / flip rate)


def build(scale: float = 1.0, seed: int = 3003) -> Built:
    rng = np.random.default_rng(seed)
    sizes = scaled_sizes(SIZES, scale, minimum=16)
    grid = (np.arange(SIDE) + 0.5) / SIDE
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in SPLITS:
        n = sizes[split]
        latent = np.concatenate(
            [
                np.stack(
                    [
                        rng.uniform(0.3, 0.7, n),  # centre x
                        rng.uniform(0.3, 0.7, n),  # centre y
                        rng.uniform(0.08, 0.3, n),  # radius a
                        rng.uniform(0.04, 0.12, n),  # radius b
                        rng.uniform(0.0, np.pi, n),  # angle
                    ],
                    axis=1,
                )
                for _ in range(ELLIPSES)
            ],
            axis=1,
        )
        image = np.zeros((n, SIDE, SIDE), dtype=bool)
        for k in range(ELLIPSES):
            cx, cy, a, b, theta = (latent[:, 5 * k + i, None, None] for i in range(5))
            dx, dy = gx[None] - cx, gy[None] - cy
            u = dx * np.cos(theta) + dy * np.sin(theta)
            v = -dx * np.sin(theta) + dy * np.cos(theta)
            image |= (u / a) ** 2 + (v / b) ** 2 <= 1.0
        image ^= rng.random(image.shape) < FLIP
        x = image.reshape(n, 1, SIDE * SIDE).astype(np.float32)
        splits[split] = (x, latent.astype(np.float32))
    meta: dict[str, Any] = {
        "task": "reconstruction",
        "input_shape": [1, SIDE * SIDE],
        "output_dim": SIDE * SIDE,
        "classes": None,
        "image_side": SIDE,
        "y": "generating latent (centre x, centre y, radius a, radius b, angle) per ellipse; unused",
        "seed": seed,
        "scale": scale,
        "version": VERSION,
    }
    return Built(splits, meta)

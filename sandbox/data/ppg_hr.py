"""`ppg_hr`: heart rate (bpm) from 8 s PPG windows simulated with neurokit2.

Each simulated recording has its own heart rate, heart-rate variability, baseline drift,
motion artefacts and noise bursts; it is cut into a few consecutive windows that all carry the
recording's heart rate. Recordings never straddle splits, so no split sees a neighbour of a
window from another one. Recordings are simulated at 50 Hz and averaged down to 25 Hz
(200 samples per window), which keeps a CPU epoch to a second or two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sentinel.sandbox.data._common import quiet, scaled_sizes, zscore
from sentinel.sandbox.data._store import SPLITS, Built

__all__ = ["SIZES", "build"]

SIZES = {"train": 2400, "val": 480, "test": 480}
WINDOW_S = 8
SIM_RATE, RATE = 50, 25
WINDOWS_PER_RECORD = 4
HR_RANGE = (45.0, 170.0)
VERSION = 1


def build(scale: float = 1.0, seed: int = 1001) -> Built:
    import neurokit2 as nk

    sizes = scaled_sizes(SIZES, scale, minimum=WINDOWS_PER_RECORD * 2)
    rng = np.random.default_rng(seed)
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in SPLITS:
        records = math.ceil(sizes[split] / WINDOWS_PER_RECORD)
        xs, ys = [], []
        for _ in range(records):
            hr = float(rng.uniform(*HR_RANGE))
            with quiet():
                signal = nk.ppg_simulate(
                    duration=WINDOW_S * WINDOWS_PER_RECORD,
                    sampling_rate=SIM_RATE,
                    heart_rate=hr,
                    frequency_modulation=float(rng.uniform(0.0, 0.15)),
                    ibi_randomness=float(rng.uniform(0.0, 0.1)),
                    drift=float(rng.uniform(0.0, 1.0)),
                    motion_amplitude=float(rng.uniform(0.0, 0.5)),
                    powerline_amplitude=0.0,
                    burst_number=int(rng.integers(0, 3)),
                    burst_amplitude=float(rng.uniform(0.0, 1.0)),
                    random_state=int(rng.integers(0, 2**31 - 1)),
                )
            signal = np.asarray(signal, dtype=np.float64)
            signal = signal[: len(signal) // 2 * 2].reshape(-1, SIM_RATE // RATE).mean(axis=1)
            signal = signal + rng.normal(0.0, rng.uniform(0.01, 0.15) * signal.std(), signal.shape)
            windows = signal[: WINDOW_S * RATE * WINDOWS_PER_RECORD].reshape(WINDOWS_PER_RECORD, -1)
            xs.append(windows)
            ys.extend([hr] * WINDOWS_PER_RECORD)
        x = zscore(np.concatenate(xs)[: sizes[split], None, :])
        y = np.asarray(ys[: sizes[split]], dtype=np.float32)
        splits[split] = (x, y)
    train_y = splits["train"][1]
    meta: dict[str, Any] = {
        "task": "regression",
        "input_shape": [1, WINDOW_S * RATE],
        "output_dim": 1,
        "classes": None,
        "target": "heart rate (bpm)",
        "target_mean": float(train_y.mean()),
        "target_std": float(train_y.std()),
        "sampling_rate": RATE,
        "seed": seed,
        "scale": scale,
        "version": VERSION,
    }
    return Built(splits, meta)

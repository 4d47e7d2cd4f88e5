"""`ecg_rhythm`: 4-class rhythm classification of 10 s ECG segments built from neurokit2 ECGs.

neurokit2's `ecg_simulate` (ECGSYN) gives realistic P-QRS-T morphology but costs ~0.5 s per
minute of signal and cannot make an irregular rhythm on request. So a few ECGSYN recordings
serve as beat sources, and every segment re-times one of them beat by beat (piecewise-linear
time warp anchored on R peaks, see `_anchors`) onto an RR sequence drawn for its class:

- 0 normal sinus: 60-100 bpm with mild respiratory sinus arrhythmia;
- 1 bradycardia: 35-55 bpm; 2 tachycardia: 105-170 bpm;
- 3 irregular (AF-like): 60-140 bpm with independent RR intervals (CV 15-35 %).

Amplitude, baseline wander and noise vary per segment; classes are balanced in every split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentinel.sandbox.data._common import quiet, scaled_sizes, zscore
from sentinel.sandbox.data._store import SPLITS, Built

__all__ = ["CLASSES", "SIZES", "build"]

CLASSES = ("normal", "bradycardia", "tachycardia", "irregular")
SIZES = {"train": 1600, "val": 400, "test": 400}
WINDOW_S, RATE = 10, 50
SOURCE_RATE, SOURCE_S = 200, 60
SOURCE_HR = (50, 75, 100)
VERSION = 2  # 2: generator changed in e63fd0a (re-timed beats / flip rate)


def build(scale: float = 1.0, seed: int = 2002) -> Built:
    rng = np.random.default_rng(seed)
    sources = [_source(hr, seed + i) for i, hr in enumerate(SOURCE_HR)]
    sizes = scaled_sizes(SIZES, scale, minimum=2 * len(CLASSES))
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in SPLITS:
        y = np.arange(sizes[split]) % len(CLASSES)
        rng.shuffle(y)
        x = np.stack([_segment(int(label), sources, rng) for label in y])
        splits[split] = (zscore(x[:, None, :]), y.astype(np.int64))
    meta: dict[str, Any] = {
        "task": "classification",
        "input_shape": [1, WINDOW_S * RATE],
        "output_dim": len(CLASSES),
        "classes": len(CLASSES),
        "class_names": list(CLASSES),
        "sampling_rate": RATE,
        "seed": seed,
        "scale": scale,
        "version": VERSION,
    }
    return Built(splits, meta)


def _source(hr: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One ECGSYN recording and the times (s) of its R peaks."""
    import neurokit2 as nk

    with quiet():
        signal = nk.ecg_simulate(
            duration=SOURCE_S,
            sampling_rate=SOURCE_RATE,
            heart_rate=hr,
            heart_rate_std=1,
            method="ecgsyn",
            random_state=seed,
        )
        _, info = nk.ecg_peaks(signal, sampling_rate=SOURCE_RATE)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=np.float64) / SOURCE_RATE
    return np.asarray(signal, dtype=np.float64), peaks


def _rr(label: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """RR intervals (s) for one segment of class `label`."""
    if label == 3:
        mean_rr = 60.0 / rng.uniform(60, 140)
        rr = mean_rr * (1.0 + rng.uniform(0.15, 0.35) * rng.standard_normal(count))
        return np.clip(rr, 0.3, 2.0)
    low, high = {0: (60, 100), 1: (35, 55), 2: (105, 170)}[label]
    mean_rr = 60.0 / rng.uniform(low, high)
    breathing = rng.uniform(0.0, 0.04) * np.sin(
        2 * np.pi * np.arange(count) / rng.uniform(3, 6) + rng.uniform(0, 6.3)
    )
    return mean_rr * (1.0 + breathing + rng.normal(0.0, 0.01, count))


def _anchors(out_peaks: np.ndarray, src_peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time-warp anchors that re-time beats the way a heart does.

    Between two R peaks, the part after the first (QRS-T, 40 % of the source interval) and the
    part before the second (P wave and PR, 20 %) scale with sqrt(RR) like Bazett's QT, and
    the diastolic rest absorbs the difference; a uniform stretch would turn P and T waves into
    QRS-sharp spikes at 170 bpm.
    """
    rr_out, rr_src = np.diff(out_peaks), np.diff(src_peaks)
    after_src, before_src = 0.4 * rr_src, 0.2 * rr_src
    stretch = np.sqrt(rr_out / rr_src)
    fit = np.minimum(1.0, 0.9 * rr_out / ((after_src + before_src) * stretch))
    after_out, before_out = after_src * stretch * fit, before_src * stretch * fit
    out = np.stack([out_peaks[:-1], out_peaks[:-1] + after_out, out_peaks[1:] - before_out], axis=1)
    src = np.stack([src_peaks[:-1], src_peaks[:-1] + after_src, src_peaks[1:] - before_src], axis=1)
    return np.append(out.ravel(), out_peaks[-1]), np.append(src.ravel(), src_peaks[-1])


def _segment(
    label: int, sources: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator
) -> np.ndarray:
    signal, peaks = sources[int(rng.integers(len(sources)))]
    rr = _rr(label, 64, rng)
    out_peaks = np.cumsum(rr) - rr[0] * rng.uniform(0.0, 1.0) - rr[0]
    needed = int(np.searchsorted(out_peaks, WINDOW_S)) + 2
    start = int(rng.integers(0, len(peaks) - needed))
    out_anchors, src_anchors = _anchors(out_peaks[:needed], peaks[start : start + needed])
    # Warp at the source rate, then average down to RATE: a box filter against aliasing, so a
    # narrow QRS keeps its energy whatever its phase relative to the output samples.
    factor = SOURCE_RATE // RATE
    fine_t = np.arange(WINDOW_S * SOURCE_RATE) / SOURCE_RATE
    src_t = np.interp(fine_t, out_anchors, src_anchors)
    fine = np.interp(src_t, np.arange(len(signal)) / SOURCE_RATE, signal)
    ecg = fine.reshape(-1, factor).mean(axis=1) * rng.uniform(0.5, 1.5)
    t = np.arange(WINDOW_S * RATE) / RATE
    ecg += rng.uniform(0.0, 0.3) * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * t + rng.uniform(0, 6.3))
    ecg += rng.normal(0.0, rng.uniform(0.01, 0.08), t.shape)
    return ecg

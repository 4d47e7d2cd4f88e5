"""The dataset generators make what their names promise, deterministically, at any scale."""

from __future__ import annotations

import numpy as np
import pytest

from sentinel.sandbox.data import digits, ecg_rhythm, ppg_hr, synthetic_vae
from sentinel.sandbox.data._common import scaled_sizes


def test_sizes_scale_with_a_floor() -> None:
    assert scaled_sizes({"train": 1000, "val": 100}, 0.1, minimum=20) == {"train": 100, "val": 20}
    with pytest.raises(ValueError):
        scaled_sizes({"train": 1}, 0.0, minimum=1)


def test_digits_are_stratified_real_digits() -> None:
    built = digits.build(scale=1.0)
    x, _ = built.splits["train"]
    assert len(x) + sum(len(built.splits[s][0]) for s in ("val", "test")) == 1797
    assert set(np.unique(built.splits["val"][1])) == set(range(10))
    assert np.array_equal(x, digits.build(scale=1.0).splits["train"][0])


def test_synthetic_vae_is_binary_low_dimensional_and_seeded() -> None:
    built = synthetic_vae.build(scale=0.05)
    x, latent = built.splits["train"]
    assert x.shape[1:] == (1, 784) and set(np.unique(x)) == {0.0, 1.0} and latent.shape[1] == 10
    assert 0.03 < x.mean() < 0.3  # shapes, not noise
    assert np.array_equal(x, synthetic_vae.build(scale=0.05).splits["train"][0])
    assert not np.array_equal(x[:5], synthetic_vae.build(scale=0.05, seed=1).splits["train"][0][:5])


def test_ppg_windows_carry_their_heart_rate() -> None:
    built = ppg_hr.build(scale=0.03)
    x, y = built.splits["train"]
    assert x.shape[1:] == (1, 200) and x.dtype == np.float32 and y.dtype == np.float32
    assert ppg_hr.HR_RANGE[0] <= y.min() and y.max() <= ppg_hr.HR_RANGE[1]
    assert np.allclose(x.mean(axis=-1), 0, atol=1e-4) and np.allclose(x.std(axis=-1), 1, atol=1e-3)
    spectrum = np.abs(np.fft.rfft(x[:, 0], n=2048))
    freqs = np.fft.rfftfreq(2048, d=1 / ppg_hr.RATE) * 60
    band = (freqs >= 40) & (freqs <= 180)
    estimate = freqs[band][spectrum[:, band].argmax(axis=1)]
    assert np.corrcoef(estimate, y)[0, 1] > 0.8  # the dominant rhythm is the label
    assert built.meta["target_mean"] == pytest.approx(float(y.mean()))
    assert np.array_equal(x, ppg_hr.build(scale=0.03).splits["train"][0])


def _rhythm(segment: np.ndarray) -> tuple[float, float]:
    """(beats per minute, regularity): the autocorrelation peak over 0.3-2.2 s lags."""
    centred = segment - segment.mean()
    acf = np.correlate(centred, centred, "full")[len(centred) - 1 :] / (centred @ centred)
    lags = np.arange(int(0.3 * ecg_rhythm.RATE), int(2.2 * ecg_rhythm.RATE))
    best = lags[acf[lags].argmax()]
    return 60 * ecg_rhythm.RATE / best, float(acf[best])


def test_ecg_classes_differ_in_rate_and_regularity() -> None:
    built = ecg_rhythm.build(scale=0.05)
    x, y = built.splits["train"]
    assert x.shape[1:] == (1, 500) and np.bincount(y).tolist() == [len(y) // 4] * 4
    rate, regular = {}, {}
    for label in range(4):
        values = np.array([_rhythm(segment) for segment in x[y == label, 0]])
        rate[label], regular[label] = np.median(values, axis=0)
    assert rate[1] < 58 < rate[0] < 102 < rate[2]  # brady < normal < tachy
    assert regular[3] < 0.6 * min(regular[0], regular[1], regular[2])  # irregular is irregular
    assert built.meta["class_names"] == list(ecg_rhythm.CLASSES)

"""The host's metrics, on hand-made predictions, and the tolerance rules of `compare`."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from sentinel.sandbox.scoring import Targets, compare, macro_f1, score


def _targets(task: str, **kw) -> Targets:
    y = kw.pop("y", {})
    x = kw.pop("x", {})
    return Targets(task, kw.pop("classes", 0), kw.pop("mean", 0.0), kw.pop("std", 1.0), y, x)


def test_classification_accuracy_f1_and_loss() -> None:
    y = np.array([0, 1, 2, 2])
    logits = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]] * 5
    got = score(_targets("classification", classes=3, y={"test": y}), "test", {"output": logits})
    assert got["acc"] == 0.75
    assert got["f1"] == pytest.approx(macro_f1(np.array([0, 1, 2, 1]), y, 3))
    assert 0 < got["loss"] < 2


def test_regression_mae_is_in_the_targets_unit() -> None:
    t = _targets("regression", mean=60.0, std=10.0, y={"test": np.array([70.0, 50.0], np.float32)})
    got = score(t, "test", {"output": np.array([[1.0], [0.0]], np.float32)})  # standardised outputs
    assert got["mae"] == pytest.approx(5.0) and got["loss"] == pytest.approx(0.5)


def test_reconstruction_scores_against_the_hosts_inputs_with_kl() -> None:
    x = np.array([[0.0, 1.0]], np.float32)
    t = _targets("reconstruction", x=MappingProxyType({"test": x}))
    perfect = score(t, "test", {"output": np.array([[-30.0, 30.0]], np.float32)})
    assert perfect["recon"] < 1e-6 and perfect["kl"] == 0.0
    with_kl = score(t, "test", {"output": np.zeros((1, 2), np.float32), "mu": np.ones((1, 1), np.float32),
                                "logvar": np.zeros((1, 1), np.float32)})  # fmt: skip
    assert with_kl["kl"] == pytest.approx(0.5) and with_kl["recon"] == pytest.approx(2 * np.log(2))
    wrong_shape = score(t, "test", {"output": np.zeros((1, 3), np.float32)})
    assert np.isnan(wrong_shape["loss"])


def test_compare_accepts_float_noise_and_names_a_forged_claim() -> None:
    trusted = {"acc": 0.9, "loss": 0.25, "f1": 0.88}
    assert compare({"val/acc": 0.9, "val/loss": 0.25000001, "val/f1": 0.88}, trusted, 100) is None
    assert compare({"val/acc": 0.91}, trusted, 100) is None  # one sample flipped by a near-tie
    assert "val/acc" in compare({"val/acc": 1.0}, trusted, 100)  # type: ignore[operator]
    assert "val/loss" in compare({"val/loss": 1e-16}, trusted, 100)  # type: ignore[operator]
    assert "non-finite" in compare({"val/loss": None}, trusted, 100)  # type: ignore[operator]
    assert compare({"val/loss": None}, {"loss": float("nan")}, 100) is None
    assert compare({"val/other": 3.0}, trusted, 100) is None  # nothing the host can check


def test_a_data_folder_without_held_out_targets_is_an_environment_problem(tmp_path) -> None:
    from sentinel.sandbox.errors import DataUnavailable
    from sentinel.sandbox.scoring import load_targets

    (tmp_path / "data" / "digits").mkdir(parents=True)  # an older layout: no data.heldout/
    with pytest.raises(DataUnavailable, match="sentinel data prepare") as err:
        load_targets(tmp_path / "data", "digits")
    assert err.value.exit_code == 3

"""Trusted metrics: the host scores a run's predictions against targets it holds itself.

The process that imported generated code may report any number, so the metric a campaign
ranks is computed here, with numpy, from the raw outputs an evaluation container wrote
(`runtime/evaluate.py`, read by `artifacts.read_predictions`) and from targets that never
entered a container that ran generated code: the test split's targets sit in the held-out
folder (`data/_store.heldout_dir`). The definitions match the runtime's own (`runtime/tasks.py`)
so an honest run's claim and the host's number agree; `compare` names a disagreement.

- classification: `acc`, macro-F1 `f1` (over the classes present in targets or predictions),
  `loss` (mean cross-entropy of the logits);
- regression: `mae` in the target's unit, `loss` (MSE on the standardised target);
- reconstruction: `recon` (Bernoulli BCE summed over features), `kl` (from mu/logvar when the
  model returns them), `loss` = recon + kl, per-sample means. The targets are the inputs as
  the host's own files hold them, so an in-place write inside the container changes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from sentinel.sandbox.data._store import TEST_INPUTS, TEST_TARGETS, heldout_dir
from sentinel.sandbox.errors import DataUnavailable

__all__ = ["Targets", "compare", "load_targets", "score"]

MAX_COLUMNS = 64  # regression: the runtime reads column 0 of (n, k) outputs
REL_TOL, ABS_TOL = 1e-4, 1e-6  # float32 outputs scored in float64 on both sides
SPLITS = ("val", "test")


@dataclass(frozen=True, slots=True)
class Targets:
    """What the host holds for scoring one dataset: per split, targets (and inputs for recon)."""

    task: str
    classes: int
    target_mean: float
    target_std: float
    y: Mapping[str, np.ndarray]  # split -> targets (classification, regression)
    x: Mapping[str, np.ndarray]  # split -> flattened inputs (reconstruction targets)

    def rows(self, split: str) -> int:
        return len(self.x[split]) if self.task == "reconstruction" else len(self.y[split])

    @property
    def max_columns(self) -> int:
        if self.task == "classification":
            return self.classes
        if self.task == "reconstruction":
            return max(int(self.x["val"].shape[1]), 1)
        return MAX_COLUMNS


def load_targets(data_dir: Path, dataset: str) -> Targets:
    """Targets for `dataset` from the host's data folder and its held-out sibling; a folder that
    lacks them (prepared by an older Sentinel) is DataUnavailable (exit 3), with the fix."""
    try:
        return _load_targets(Path(data_dir), dataset)
    except (OSError, KeyError, ValueError) as err:
        raise DataUnavailable(
            f"the held-out targets of {dataset!r} cannot be read ({type(err).__name__}); "
            "run `sentinel data prepare` (or `sentinel doctor --fix`)"
        ) from None


def _load_targets(data_dir: Path, dataset: str) -> Targets:
    folder = Path(data_dir) / dataset
    meta = json.loads((folder / "meta.json").read_text())
    task = str(meta["task"])
    with np.load(folder / "val.npz", allow_pickle=False) as arrays:
        val_x, val_y = arrays["x"], arrays["y"]
    with np.load(heldout_dir(data_dir) / dataset / TEST_TARGETS, allow_pickle=False) as arrays:
        test_y = arrays["y"]
    x: dict[str, np.ndarray] = {}
    if task == "reconstruction":
        with np.load(folder / TEST_INPUTS, allow_pickle=False) as arrays:
            test_x = arrays["x"]
        x = {"val": val_x.reshape(len(val_x), -1), "test": test_x.reshape(len(test_x), -1)}
    return Targets(
        task=task,
        classes=int(meta.get("classes", 0) or 0),
        target_mean=float(meta.get("target_mean", 0.0)),
        target_std=float(meta.get("target_std", 1.0)) or 1.0,
        y=MappingProxyType({"val": val_y, "test": test_y}),
        x=MappingProxyType(x),
    )


def score(targets: Targets, split: str, outputs: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The task's metrics for one split from the model's outputs ("output", "mu", "logvar")."""
    out = outputs["output"].astype(np.float64)
    if targets.task == "classification":
        return _classification(out, targets.y[split].astype(np.int64), targets.classes)
    if targets.task == "regression":
        return _regression(out[:, 0], targets.y[split].astype(np.float64), targets)
    mu, logvar = outputs.get("mu"), outputs.get("logvar")
    return _reconstruction(out, targets.x[split].astype(np.float64), mu, logvar)


def _classification(logits: np.ndarray, y: np.ndarray, classes: int) -> dict[str, float]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    pred = logits.argmax(axis=1)
    return {
        "loss": float(-log_probs[np.arange(len(y)), y].mean()),
        "acc": float((pred == y).mean()),
        "f1": macro_f1(pred, y, classes),
    }


def macro_f1(pred: np.ndarray, target: np.ndarray, classes: int) -> float:
    """Macro-averaged F1 over the classes that occur in `target` or `pred` (as the runtime)."""
    counts = np.bincount(target * classes + pred, minlength=classes * classes).reshape(classes, classes)
    tp = np.diag(counts).astype(np.float64)
    fp = counts.sum(axis=0) - tp
    fn = counts.sum(axis=1) - tp
    present = (tp + fp + fn) > 0
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return float(f1[present].mean()) if present.any() else 0.0


def _regression(pred: np.ndarray, y: np.ndarray, t: Targets) -> dict[str, float]:
    return {
        "loss": float(((pred - (y - t.target_mean) / t.target_std) ** 2).mean()),
        "mae": float(np.abs(pred * t.target_std + t.target_mean - y).mean()),
    }


def _reconstruction(
    logits: np.ndarray, x: np.ndarray, mu: np.ndarray | None, logvar: np.ndarray | None
) -> dict[str, float]:
    if logits.shape != x.shape:
        return {"loss": math.nan, "recon": math.nan, "kl": math.nan}
    # BCE with logits, stable: max(l, 0) - l*x + log(1 + exp(-|l|))
    bce = np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))
    recon = bce.sum(axis=1)
    kl = np.zeros_like(recon)
    if mu is not None and logvar is not None and mu.shape == logvar.shape:
        mu64, lv64 = mu.astype(np.float64), logvar.astype(np.float64)
        kl = -0.5 * (1 + lv64 - mu64**2 - np.exp(lv64)).sum(axis=1)
    return {"loss": float((recon + kl).mean()), "recon": float(recon.mean()), "kl": float(kl.mean())}


def compare(claimed: Mapping[str, float | None], trusted_val: Mapping[str, float], rows: int) -> str | None:
    """Sentinel's sentence naming the first val metric the run claimed wrongly, else None.

    `claimed` is the run's best point ("val/acc": ...). acc and F1 may differ by float noise
    flipping a near-tie (one sample for acc, a little more for F1); every other metric must
    agree to a relative 1e-4.
    """
    for name, value in sorted(trusted_val.items()):
        key = f"val/{name}"
        if key not in claimed:
            continue
        said = claimed[key]
        if not math.isfinite(value):
            if said is not None and math.isfinite(said):
                return f"the run claimed {key} {said:.6g}, but its predictions score non-finite"
            continue
        if said is None or not math.isfinite(said):
            return f"the run claimed a non-finite {key}, but its predictions score {value:.6g}"
        if name == "acc":
            tolerance = 1.5 / rows
        elif name == "f1":
            tolerance = 0.02 + 3.0 / rows
        else:
            tolerance = REL_TOL * max(1.0, abs(value)) + ABS_TOL
        if abs(said - value) > tolerance:
            return f"the run claimed {key} {said:.6g}, but its predictions score {value:.6g}"
    return None

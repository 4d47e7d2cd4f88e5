"""Losses and validation metrics for the three dataset tasks.

- classification: cross-entropy; val `acc` and macro-F1 `f1` (over the classes present in the
  labels or the predictions, as scikit-learn computes it); best = highest acc.
- regression: MSE on the target standardised with the train split's mean/std (so one LR fits
  any unit); val `mae` in the target's own unit (bpm); best = lowest mae.
- reconstruction: Bernoulli VAE loss per sample, `recon` (BCE summed over features) + `kl`;
  the model returns (logits, mu, logvar), or plain logits (then kl = 0); best = lowest loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from sentinel.sandbox.runtime.datasets import ArrayDataset, Split

__all__ = ["Task", "macro_f1"]


@dataclass(frozen=True, slots=True)
class Task:
    kind: str
    primary: str  # key of the val metric that decides the best epoch
    maximize: bool
    classes: int = 0
    target_mean: float = 0.0
    target_std: float = 1.0

    @classmethod
    def for_dataset(cls, data: ArrayDataset) -> Task:
        if data.task == "classification":
            return cls("classification", "acc", True, classes=data.classes)
        if data.task == "regression":
            return cls("regression", "mae", False, target_mean=data.target_mean, target_std=data.target_std)
        return cls("reconstruction", "loss", False)

    def loss(self, out: object, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean training loss of one batch; `x` is the clean input (the reconstruction target)."""
        return self._parts(out, y, x)[0].mean()

    def _parts(self, out: object, y: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Per-sample loss first, then per-sample extras (reconstruction: recon, kl)."""
        if self.kind == "reconstruction":
            if isinstance(out, tuple | list) and len(out) == 3:
                logits, mu, logvar = out
                kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).flatten(1).sum(dim=1)
            else:
                logits, kl = _tensor(out), None
            target = x.flatten(1)
            recon = F.binary_cross_entropy_with_logits(logits.flatten(1), target, reduction="none").sum(dim=1)
            kl = torch.zeros_like(recon) if kl is None else kl
            return recon + kl, recon, kl
        out = _tensor(out)
        if self.kind == "classification":
            return (F.cross_entropy(out, y, reduction="none"),)
        pred = out.reshape(len(out), -1)[:, 0]
        return (F.mse_loss(pred, (y - self.target_mean) / self.target_std, reduction="none"),)

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module, split: Split, batch_size: int) -> dict[str, float]:
        """Validation metrics over a whole split, in eval mode; the model's mode is restored."""
        was_training = model.training
        model.eval()
        sums: dict[str, float] = {}
        preds: list[torch.Tensor] = []
        try:
            for start in range(0, len(split), batch_size):
                x, y = split.x[start : start + batch_size], split.y[start : start + batch_size]
                out = model(x.clone())  # a slice is a view of the split: never hand it out
                parts = self._parts(out, y, x)
                names = ("loss", "recon", "kl") if self.kind == "reconstruction" else ("loss",)
                for name, part in zip(names, parts, strict=True):
                    sums[name] = sums.get(name, 0.0) + float(part.double().sum())
                if self.kind == "classification":
                    preds.append(_tensor(out).argmax(dim=1))
                elif self.kind == "regression":
                    pred = (
                        _tensor(out).reshape(len(x), -1)[:, 0].double() * self.target_std + self.target_mean
                    )
                    sums["mae"] = sums.get("mae", 0.0) + float((pred - y.double()).abs().sum())
        finally:
            model.train(was_training)
        metrics = {name: total / len(split) for name, total in sums.items()}
        if self.kind == "classification":
            pred = torch.cat(preds)
            metrics["acc"] = float((pred == split.y).double().mean())
            metrics["f1"] = macro_f1(pred, split.y, self.classes)
        return metrics

    def better(self, value: float, best: float | None) -> bool:
        if value != value:  # NaN is never an improvement
            return False
        if best is None:
            return True
        return value > best if self.maximize else value < best


def macro_f1(pred: torch.Tensor, target: torch.Tensor, classes: int) -> float:
    """Macro-averaged F1 over the classes that occur in `target` or `pred`."""
    counts = torch.bincount(target * classes + pred, minlength=classes * classes).reshape(classes, classes)
    tp = counts.diag().double()
    fp = counts.sum(dim=0).double() - tp
    fn = counts.sum(dim=1).double() - tp
    present = (tp + fp + fn) > 0
    f1 = 2 * tp / (2 * tp + fp + fn).clamp(min=1)
    return float(f1[present].mean()) if bool(present.any()) else 0.0


def _tensor(out: object) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"model must return a tensor for this task, got {type(out).__name__}")
    return out

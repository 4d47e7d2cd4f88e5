"""The loop itself: determinism, bounded logging, max_steps, best/final, checkpoints, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from sklearn.metrics import f1_score

from sentinel.sandbox.runtime.checkpoint import CheckpointKeeper
from sentinel.sandbox.runtime.datasets import Split
from sentinel.sandbox.runtime.tasks import Task, macro_f1

from .conftest import RunFn

SUMMARY_KEYS = {"status", "reason", "best", "final", "epochs", "steps"}


def test_same_seed_same_metrics(run_trainer: RunFn) -> None:
    first = run_trainer(epochs=2, model_params={"dropout": 0.2})[1]
    second = run_trainer(epochs=2, model_params={"dropout": 0.2})[1]
    assert first == second


def test_learns_digits_and_reports_best_and_final(run_trainer: RunFn) -> None:
    result, lines, _ = run_trainer(epochs=6, lr=3e-3)
    val = [line for line in lines if line["split"] == "val"]
    assert [line["epoch"] for line in val] == list(range(6))
    assert set(val[0]) == {"step", "epoch", "split", "loss", "acc", "f1"}
    assert result.status == "completed" and result.reason == "completed" and result.epochs == 6
    assert result.final["val/acc"] == val[-1]["acc"] > 0.8  # majority class is ~0.1
    assert result.best["val/acc"] == max(line["acc"] for line in val)
    assert set(result.summary()) == SUMMARY_KEYS


def test_train_lines_come_at_a_bounded_rate(run_trainer: RunFn) -> None:
    result, lines, _ = run_trainer(epochs=4, log_every=7)
    steps = [line["step"] for line in lines if line["split"] == "train"]
    assert steps == [1, *range(7, result.steps + 1, 7)]


def test_max_steps_stops_mid_epoch_and_validates_the_final_weights(run_trainer: RunFn) -> None:
    result, lines, trainer = run_trainer(epochs=50, max_steps=13)
    assert (result.status, result.reason, result.steps) == ("completed", "max_steps", 13)
    assert result.epochs == 13 // trainer.state.batcher.batches_per_epoch
    assert lines[-1]["split"] == "val" and lines[-1]["step"] == 13


def test_checkpoint_of_the_best_model(run_trainer: RunFn, tmp_path: Path) -> None:
    result, _, trainer = run_trainer(epochs=2)
    path = trainer.checkpoints.path
    assert result.checkpoint.saved and path.stat().st_size == result.checkpoint.bytes
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == result.best["epoch"] and set(state["model"]) == set(
        trainer.state.model.state_dict()
    )


def test_checkpoint_over_the_cap_is_skipped_with_a_reason(tmp_path: Path) -> None:
    model = torch.nn.Linear(100, 100)  # 40 KB of weights
    keeper = CheckpointKeeper(tmp_path, max_mb=0.01)
    result = keeper.save(model, 0, 1, {"loss": 1.0})
    assert (result.saved, result.reason) == (False, "too_large") and not keeper.path.exists()
    assert list(tmp_path.iterdir()) == []
    assert CheckpointKeeper(tmp_path, max_mb=0.0).save(model, 0, 1, {}).reason == "disabled"
    ok = CheckpointKeeper(tmp_path, max_mb=1.0).save(model, 0, 1, {})
    assert ok.saved and 40_000 < ok.bytes <= 1024 * 1024


def test_macro_f1_matches_scikit_learn() -> None:
    gen = torch.Generator().manual_seed(0)
    for classes in (2, 4, 10):
        target = torch.randint(0, classes, (200,), generator=gen)
        pred = torch.where(torch.rand(200, generator=gen) < 0.6, target, torch.randint(0, classes, (200,)))
        pred[pred == classes - 1] = 0  # one class never predicted
        assert macro_f1(pred, target, classes) == pytest.approx(f1_score(target, pred, average="macro"))


class Constant(torch.nn.Module):
    def __init__(self, value: float, width: int = 1) -> None:
        super().__init__()
        self.value, self.width = value, width
        self.p = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x), self.width), self.value) + self.p


def test_regression_metrics_are_in_target_units() -> None:
    y = torch.tensor([60.0, 80.0, 100.0, 120.0])
    task = Task("regression", "mae", False, target_mean=90.0, target_std=20.0)
    metrics = task.evaluate(Constant(0.0), Split(torch.zeros(4, 1, 8), y), batch_size=3)
    assert metrics["mae"] == pytest.approx(20.0)  # predicting the mean: mean |y - 90|
    assert metrics["loss"] == pytest.approx(((y - 90) / 20).pow(2).mean().item())


def test_reconstruction_loss_parts() -> None:
    x = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]])
    task = Task("reconstruction", "loss", False)
    metrics = task.evaluate(Constant(0.0, width=4), Split(x, torch.zeros(1)), batch_size=8)
    assert metrics["recon"] == pytest.approx(4 * 0.6931, rel=1e-3) and metrics["kl"] == 0.0
    mu, logvar = torch.zeros(1, 2), torch.zeros(1, 2)
    parts = task._parts((torch.zeros(1, 4), mu + 1.0, logvar), torch.zeros(1), x)
    assert parts[2].item() == pytest.approx(1.0)  # KL of N(1, 1) from N(0, 1) in 2 dims
    with pytest.raises(TypeError):
        Task("classification", "acc", True, classes=2).loss((torch.zeros(1, 2),), torch.zeros(1).long(), x)

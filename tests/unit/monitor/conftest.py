"""Shared builders for the monitor tests: hand-made signals fed into a real SignalWindow, and a
tiny real PyTorch regression task for the action and loop tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import Detector, Finding
from sentinel.monitor.signals import SignalWindow

SCALES = (0.01, 1.0, 70.0, 1e4)


def make_window(config: MonitorConfig | None = None) -> SignalWindow:
    cfg = config or MonitorConfig()
    return SignalWindow(
        cfg.window, cfg.ref_window, cfg.refresh_every, cfg.start_steps, cfg.ewma_alpha, cfg.mad_floor_rel
    )


def healthy_curve(
    steps: int, scale: float = 1.0, seed: int = 0, noise: float = 0.1, floor: float = 0.2
) -> np.ndarray:
    """A loss that decays from `scale` towards `floor * scale` with multiplicative minibatch noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    base = scale * (floor + (1 - floor) * np.exp(-t / 150.0))
    return base * np.exp(noise * rng.standard_normal(steps))


def healthy_grads(steps: int, scale: float = 1.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return scale * np.exp(0.25 * rng.standard_normal(steps))


def replay(
    detector: Detector,
    loss: Sequence[float],
    grad: Sequence[float] | None = None,
    window: SignalWindow | None = None,
    update_ratio: float = float("nan"),
    every: int | None = None,
) -> list[Finding]:
    """Feed the series step by step and collect the detector's findings at its own cadence."""
    win = window or make_window()
    grad = grad if grad is not None else np.ones(len(loss))
    cadence = 1 if detector.per_step else (every or MonitorConfig().trend_every)
    found: list[Finding] = []
    for step, (value, norm) in enumerate(zip(loss, grad, strict=True)):
        win.push(step, float(value), float(norm), 1e-3)
        win.update_ratio = update_ratio
        if step % cadence == 0:
            finding = detector.observe(step, win)
            if finding is not None:
                found.append(finding)
    return found


@pytest.fixture
def sig() -> SimpleNamespace:
    """The signal builders above, as a fixture so test modules need no helper imports."""
    return SimpleNamespace(
        make_window=make_window, curve=healthy_curve, grads=healthy_grads, replay=replay, scales=SCALES
    )


@dataclass
class TinyRun:
    final: float  # full-data loss after training
    events: list[dict[str, Any]]
    stopped: bool

    @property
    def decisions(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == "intervention"]

    @property
    def experiences(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == "experience"]


def tiny_run(
    fault: str | None = None,
    monitor: bool = True,
    seed: int = 0,
    steps: int = 400,
    at: int = 200,
    lr: float = 3e-3,
    task: str = "reg",
    params: dict[str, Any] | None = None,
) -> TinyRun:
    """A small real MLP on synthetic data with an optional injected fault, monitored or not."""
    import torch

    from sentinel.monitor import attach

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2048, 16, generator=g)
    w = torch.randn(16, 1, generator=g)
    if task == "reg":
        y, out, loss_fn = (
            torch.sin(x @ w / 2) + 0.1 * torch.randn(2048, 1, generator=g),
            1,
            torch.nn.functional.mse_loss,
        )
    else:
        y, out, loss_fn = (x @ w > 0).long().squeeze(1), 2, torch.nn.functional.cross_entropy
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, out))
    opt = torch.optim.Adam(model.parameters(), lr)
    mon = attach(model, opt, params=params) if monitor else None
    for step in range(steps):
        idx = torch.randint(0, 2048, (32,))
        xb, yb = x[idx], y[idx]
        if fault == "bad_batch" and at <= step < at + 3:
            xb = xb * 1000.0
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        if fault == "nan" and step == at:
            loss = loss * float("nan")
        loss.backward()
        if fault == "grad_explosion" and at <= step < at + 5:
            for p in model.parameters():
                p.grad.mul_(1e4)
        if fault == "lr_spike" and step == at:
            for group in opt.param_groups:
                group["lr"] *= 100.0
        if mon is None or mon.check(loss):
            opt.step()
        if mon is not None and mon.stopped:
            break
    if mon is not None:
        mon.close()
    with torch.no_grad():
        final = float(loss_fn(model(x), y))
    return TinyRun(final, mon.events if mon else [], bool(mon and mon.stopped))


@pytest.fixture(scope="session")
def tiny() -> Any:
    return tiny_run


@dataclass
class TrainedRun:
    """One run of the real Trainer on digits: its result, the monitor hook (None: shadow) and
    the trainer (its optimizer and schedule as they ended)."""

    result: Any
    hook: Any
    trainer: Any

    @property
    def final(self) -> float:
        return float(self.result.final["val/loss"])

    @property
    def decisions(self) -> list[dict[str, Any]]:
        return self.hook.decisions if self.hook is not None else []


@pytest.fixture(scope="session")
def digits_root(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sentinel.sandbox.data import prepare_all

    root = tmp_path_factory.mktemp("monitor-digits")
    prepare_all(root, names=["digits"], scale=0.5, workers=1)
    return root


@pytest.fixture
def train(digits_root: Any, tmp_path: Any) -> Any:
    """Run the real Trainer (digits, mlp, one thread) with the monitor on or off (or any `hook`);
    `trainer` keys override the registry defaults, `monitor` holds monitor config keys."""
    import torch

    from sentinel.contract.config import validate_config
    from sentinel.monitor import MonitorHook
    from sentinel.sandbox.runtime.datasets import ArrayDataset
    from sentinel.sandbox.runtime.loader import build_model
    from sentinel.sandbox.runtime.trainer import Trainer, seed_everything

    counter = iter(range(1000))

    def run(
        monitored: bool = True, monitor: dict[str, Any] | None = None, hook: Any = None, **trainer: Any
    ) -> TrainedRun:
        cfg = validate_config(
            {
                "experiment": {"name": "test", "seed": 0},
                "dataset": {"_target_": "sentinel.sandbox.runtime.datasets.ArrayDataset", "name": "digits"},
                "model": {"_target_": "sentinel.sandbox.runtime.models.mlp.MLP"},
                "trainer": {"_target_": "sentinel.sandbox.runtime.trainer.Trainer", **trainer},
                "monitor": {"enabled": False},
            }
        )
        artifacts = tmp_path / f"artifacts-{next(counter)}"
        artifacts.mkdir()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            seed_everything(0, True)
            data = ArrayDataset(digits_root, "digits")
            net = build_model(cfg["model"], data, tmp_path)
            if hook is None and monitored:
                hook = MonitorHook(MonitorConfig.from_params(monitor))
            t = Trainer(net, data, cfg["trainer"], seed=0, artifacts=artifacts, hook=hook)
            return TrainedRun(t.run(), hook, t)
        finally:
            torch.set_num_threads(threads)

    return run

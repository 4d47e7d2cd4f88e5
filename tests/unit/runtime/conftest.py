"""Real, small data for the runtime tests, and a builder that runs the real Trainer in-process.

The data comes from the real generators at a small scale (`prepare_all(scale=...)`), so the
runtime is tested against exactly the files `sentinel data prepare` writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from sentinel.contract.config import validate_config
from sentinel.monitor.protocol import TrainerHook
from sentinel.sandbox.data import prepare_all
from sentinel.sandbox.runtime.datasets import ArrayDataset
from sentinel.sandbox.runtime.loader import build_model
from sentinel.sandbox.runtime.trainer import RunResult, Trainer, seed_everything

TEST_SCALE = 0.25
MODELS = {
    "mlp": "sentinel.sandbox.runtime.models.mlp.MLP",
    "cnn1d": "sentinel.sandbox.runtime.models.cnn1d.CNN1d",
    "resnet1d": "sentinel.sandbox.runtime.models.resnet1d.ResNet1d",
    "transformer": "sentinel.sandbox.runtime.models.transformer.TransformerEncoder1d",
    "vae": "sentinel.sandbox.runtime.models.vae.VAE",
}


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Train on one thread, as a run does in its 1-CPU container; on a shared 2-core machine,
    tiny models are many times slower with two contending threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only `digits` (no neurokit2): enough for every trainer-mechanics test, in ~1 s."""
    root = tmp_path_factory.mktemp("digits-data")
    prepare_all(root, names=["digits"], scale=0.5, workers=1)
    return root


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All four datasets at TEST_SCALE, prepared once per session."""
    root = tmp_path_factory.mktemp("tiny-data")
    prepare_all(root, scale=TEST_SCALE, workers=1)  # in-process: neurokit2 is imported once
    return root


def make_config(
    dataset: str = "digits", model: str = "mlp", model_params: dict[str, Any] | None = None, **trainer: Any
) -> dict[str, Any]:
    """A validated run config; `trainer` keys override the registry defaults."""
    return validate_config(
        {
            "experiment": {"name": "test", "seed": 0},
            "dataset": {"_target_": "sentinel.sandbox.runtime.datasets.ArrayDataset", "name": dataset},
            "model": {"_target_": MODELS[model], **(model_params or {})},
            "trainer": {"_target_": "sentinel.sandbox.runtime.trainer.Trainer", **trainer},
            "monitor": {"enabled": False},
        }
    )


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


RunFn = Callable[..., tuple[RunResult, list[dict[str, Any]], Trainer]]


@pytest.fixture
def run_trainer(digits_dir: Path, tmp_path: Path) -> RunFn:
    """Run the real Trainer on digits; returns (result, metrics lines, trainer)."""
    counter = iter(range(1000))

    def run(
        hook: TrainerHook | None = None,
        dataset: str = "digits",
        data_root: Path | None = None,
        model: str = "mlp",
        **trainer: Any,
    ) -> tuple[RunResult, list[dict[str, Any]], Trainer]:
        cfg = make_config(dataset, model, **trainer)
        artifacts = tmp_path / f"artifacts-{next(counter)}"
        artifacts.mkdir()
        seed_everything(cfg["experiment"]["seed"], cfg["trainer"]["deterministic"])
        data = ArrayDataset(data_root or digits_dir, dataset)
        net = build_model(cfg["model"], data, tmp_path)
        t = Trainer(net, data, cfg["trainer"], seed=0, artifacts=artifacts, hook=hook)
        result = t.run()
        return result, read_lines(artifacts / "metrics.jsonl"), t

    return run

"""End to end without Docker: compose each experiment, run `python -m sentinel.sandbox.runtime`
as a subprocess (as the container does), and check it beats a trivial baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sentinel.agent.configs import compose

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
# Short runs on the TEST_SCALE data; full-size figures are in the closing note.
EXPERIMENTS = {
    "digits": ["trainer.epochs=15"],
    "ppg_hr": ["trainer.epochs=4"],
    "ecg_rhythm": ["trainer.epochs=6"],
    "vae": ["trainer.epochs=10"],
}
ARTIFACT_FILES = {"metrics.jsonl", "summary.json", "monitor_events.jsonl", "checkpoint.pt"}
TINY_MODEL = """
import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], output_dim: int, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(input_shape[-1], width), nn.ReLU(), nn.Linear(width, output_dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    artifacts: Path
    cwd: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.artifacts / "summary.json").read_text())


def _start(folder: Path, config: dict[str, Any] | str, data: Path, generated: Path | None = None) -> Any:
    folder.mkdir(parents=True)
    (folder / "artifacts").mkdir()
    (folder / "cwd").mkdir()
    text = config if isinstance(config, str) else json.dumps(config)  # JSON is YAML
    (folder / "config.yaml").write_text(text)
    args = [
        sys.executable,
        "-m",
        "sentinel.sandbox.runtime",
        "--config",
        str(folder / "config.yaml"),
        "--data",
        str(data),
        "--artifacts",
        str(folder / "artifacts"),
        "--generated",
        str(generated or folder / "generated"),
    ]
    env = {**os.environ, "SENTINEL_CPUS": "1", "HOME": str(folder / "cwd")}
    return subprocess.Popen(
        args, cwd=folder / "cwd", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: Any, folder: Path) -> Run:
    out, err = proc.communicate(timeout=300)
    return Run(proc.returncode, out, err, folder / "artifacts", folder / "cwd")


def _config(experiment: str, *overrides: str) -> dict[str, Any]:
    return compose(experiment, [*overrides, "monitor.enabled=false"], CONFIGS).config


@pytest.fixture(scope="module")
def runs(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every experiment plus the edge cases, started together (each process uses one thread)."""
    root = tmp_path_factory.mktemp("e2e")
    generated = root / "shared-generated"
    generated.mkdir()
    (generated / "tiny_net.py").write_text(TINY_MODEL)
    jobs: dict[str, tuple[dict[str, Any] | str, Path, Path | None]] = {
        name: (_config(name, *overrides), tiny_data, None) for name, overrides in EXPERIMENTS.items()
    }
    nan = _config("digits", "trainer.faults=[{kind: nan_loss, at_step: 4}]")
    generated_cfg = _config("digits", "trainer.epochs=10")
    generated_cfg["model"] = {"_target_": "generated.tiny_net.Tiny", "width": 48}
    jobs |= {"nan": (nan, tiny_data, None), "generated": (generated_cfg, tiny_data, generated)}
    procs = {}
    for name, (config, data, gen) in jobs.items():
        procs[name] = _start(root / name, config, data, gen)
    return {name: _finish(proc, root / name) for name, proc in procs.items()}


def _arrays(data: Path, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(data / name / f"{split}.npz") as f:
        return f["x"], f["y"]


def _assert_completed(run: Run) -> dict[str, Any]:
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.summary["status"] == "completed" and run.stdout.startswith(
        "sentinel-runtime: status=completed"
    )
    assert {p.name for p in run.artifacts.iterdir()} == ARTIFACT_FILES
    assert list(run.cwd.iterdir()) == []  # nothing written outside the artifacts folder
    _assert_host_accepts(run)
    return run.summary


def _assert_host_accepts(run: Run) -> None:
    """The host's hostile-input reader takes everything the runtime wrote, notes and all."""
    from sentinel.sandbox.artifacts import read_artifacts

    read = read_artifacts(run.artifacts)
    assert read.accepted and not read.notes, (read.rejection, read.notes)
    assert read.summary is not None and read.summary.status == run.summary["status"]
    assert len(read.metrics) == len((run.artifacts / "metrics.jsonl").read_text().splitlines())


@pytest.mark.parametrize(("experiment", "dataset"), [("digits", "digits"), ("ecg_rhythm", "ecg_rhythm")])
def test_classification_beats_the_majority_class(
    runs: dict[str, Run], tiny_data: Path, experiment: str, dataset: str
) -> None:
    summary = _assert_completed(runs[experiment])
    _, y_train = _arrays(tiny_data, dataset, "train")
    _, y_val = _arrays(tiny_data, dataset, "val")
    majority = float((y_val == np.bincount(y_train).argmax()).mean())
    assert summary["best"]["val/acc"] > majority + 0.25, (summary["best"], majority)


def test_ppg_regression_beats_predicting_the_mean(runs: dict[str, Run], tiny_data: Path) -> None:
    summary = _assert_completed(runs["ppg_hr"])
    _, y_train = _arrays(tiny_data, "ppg_hr", "train")
    _, y_val = _arrays(tiny_data, "ppg_hr", "val")
    baseline = float(np.abs(y_val - y_train.mean()).mean())
    assert summary["best"]["val/mae"] < 0.6 * baseline, (summary["best"], baseline)


def test_vae_beats_the_mean_image_and_improves(runs: dict[str, Run], tiny_data: Path) -> None:
    summary = _assert_completed(runs["vae"])
    x_train, _ = _arrays(tiny_data, "synthetic_vae", "train")
    x_val, _ = _arrays(tiny_data, "synthetic_vae", "val")
    p = np.clip(x_train.reshape(len(x_train), -1).mean(axis=0), 1e-4, 1 - 1e-4)
    flat = x_val.reshape(len(x_val), -1)
    baseline = float(-(flat * np.log(p) + (1 - flat) * np.log(1 - p)).sum(axis=1).mean())
    val = [json.loads(line) for line in (runs["vae"].artifacts / "metrics.jsonl").read_text().splitlines()]
    losses = [line["loss"] for line in val if line["split"] == "val"]
    assert losses[-1] < losses[0] and summary["best"]["val/loss"] < baseline, (losses, baseline)
    assert {"val/recon", "val/kl"} <= set(summary["best"])


def test_generated_model_from_the_generated_folder(runs: dict[str, Run]) -> None:
    summary = _assert_completed(runs["generated"])
    assert summary["best"]["val/acc"] > 0.5


def test_nan_loss_without_monitor_exits_diverged(runs: dict[str, Run]) -> None:
    run = runs["nan"]
    assert run.returncode == 3 and run.summary["status"] == "diverged" and run.summary["reason"] == "nan_loss"
    assert run.summary["steps"] == 4
    _assert_host_accepts(run)


def _main_in_process(tmp_path: Path, config: str, data: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """Failures before training need no fresh interpreter: call main() directly."""
    from sentinel.sandbox.runtime.__main__ import main

    (tmp_path / "artifacts").mkdir()
    (tmp_path / "config.yaml").write_text(config)
    code = main(["--config", str(tmp_path / "config.yaml"), "--data", str(data),
                 "--artifacts", str(tmp_path / "artifacts")])  # fmt: skip
    out, err = capsys.readouterr()
    return Run(code, out, err, tmp_path / "artifacts", tmp_path)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("trainer: [oops", "not valid YAML"),
        (
            json.dumps({**_config("digits"), "trainer": {**_config("digits")["trainer"], "lrr": 1}}),
            "trainer.lrr",
        ),
        ("[]", "config must be a mapping"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(
    tmp_path: Path, tiny_data: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    run = _main_in_process(tmp_path, config, tiny_data, capsys)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and run.stderr.startswith("error: bad config")
    assert message in run.stderr and run.summary == {
        "status": "failed", "reason": "exception", "best": None, "final": None, "epochs": 0, "steps": 0
    }  # fmt: skip


def test_missing_data_fails_with_data_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _main_in_process(tmp_path, json.dumps(_config("digits")), tmp_path / "nothing", capsys)
    assert run.returncode == 1 and run.summary["reason"] == "data_error"
    assert "sentinel data prepare" in run.stderr

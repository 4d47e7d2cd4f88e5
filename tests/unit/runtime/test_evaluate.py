"""The evaluation entrypoint, then the host's scoring of what it wrote: a real trained checkpoint
scored by numpy must equal what the trainer claimed at its best point, for every task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sentinel.sandbox.artifacts._npy import read_predictions
from sentinel.sandbox.runtime import evaluate
from sentinel.sandbox.scoring import SPLITS, compare, load_targets, score

from .conftest import make_config


@pytest.mark.parametrize(
    ("dataset", "model", "epochs"),
    [("digits", "mlp", 2), ("ppg_hr", "cnn1d", 1), ("ecg_rhythm", "mlp", 1), ("synthetic_vae", "vae", 1)],
)
def test_host_scores_equal_the_honest_claims(
    run_trainer, tiny_data: Path, tmp_path: Path, dataset, model, epochs
):
    result, _, trainer = run_trainer(dataset=dataset, data_root=tiny_data, model=model, epochs=epochs)
    assert result.checkpoint.saved
    config = make_config(dataset, model, epochs=epochs)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "eval"
    out.mkdir()
    checkpoint = trainer.checkpoints.path
    args = ["--config", str(tmp_path / "config.yaml"), "--checkpoint", str(checkpoint)]
    args += ["--data", str(tiny_data), "--artifacts", str(out), "--generated", str(tmp_path)]
    assert evaluate.main(args) == 0
    targets = load_targets(tiny_data, dataset)
    scores = {}
    for split in SPLITS:
        names = [f"{split}.{p}" for p in ("output", "mu", "logvar")]
        arrays = read_predictions(
            out, names, rows=targets.rows(split), max_cols=targets.max_columns, max_bytes=1 << 28
        )
        scores[split] = score(targets, split, {k.split(".", 1)[1]: v for k, v in arrays.items()})
    claimed = dict(result.best)
    assert compare(claimed, scores["val"], targets.rows("val")) is None
    for key, value in claimed.items():
        if key.startswith("val/"):
            assert value == pytest.approx(scores["val"][key[4:]], rel=1e-4, abs=1e-6), key
    forged = {**claimed, f"val/{next(iter(scores['val']))}": -1.0}
    assert "claimed val/" in (compare(forged, scores["val"], targets.rows("val")) or "")


def test_a_checkpoint_that_is_not_weights_is_refused(tiny_data: Path, tmp_path: Path, capsys) -> None:
    config = make_config("digits", "mlp")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(b"not a torch file")
    out = tmp_path / "eval"
    out.mkdir()
    args = ["--config", str(tmp_path / "config.yaml"), "--checkpoint", str(bad), "--data", str(tiny_data)]
    assert evaluate.main([*args, "--artifacts", str(out), "--generated", str(tmp_path)]) == 1
    assert "evaluation failed" in capsys.readouterr().err and list(out.iterdir()) == []


def test_a_bad_config_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(json.dumps({"experiment": "nope"}))
    assert evaluate.main(["--config", str(tmp_path / "config.yaml")]) == 2

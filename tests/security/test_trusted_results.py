"""Trusted results, tried for real: forged claims never become the number a campaign ranks.

Each payload runs WITHOUT the validator (`--unsafe-skip-validation`), because trusted evaluation
must hold even when the validator is wrong: the training container's claims are compared with
what the host computes itself from the evaluation container's predictions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _support import run_sentinel

pytestmark = pytest.mark.docker

FORGERY = Path(__file__).parent / "forgery"


def _run(tmp_path: Path, experiment: str, *overrides: str, model: str | None = None) -> tuple[dict, Path]:
    out = tmp_path / "run"
    args = ["sandbox", "run", experiment, *overrides, "--out", str(out), "--json"]
    if model is not None:
        args += ["--model-file", str(FORGERY / model), "--unsafe-skip-validation"]
    proc = run_sentinel(*args)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout), out


def _claimed(result: dict) -> dict:
    return {k: v for k, v in result["best"].items() if k.startswith("val/")}


def _trusted_val(result: dict) -> dict:
    return {k: v for k, v in result["trusted"]["values"].items() if k.startswith("val/")}


def test_a_patched_evaluator_is_an_integrity_mismatch_and_never_ranked(
    engine, runtime_image, data_dir, tmp_path
) -> None:
    result, out = _run(tmp_path, "digits", "trainer.epochs=2", model="patch_evaluator.py")
    assert result["best"]["val/acc"] == 1.0  # the forged claim
    assert result["status"] == "integrity_mismatch"
    assert "claimed val/" in result["reason"]
    trusted = result["trusted"]["values"]
    assert trusted["test/acc"] < 0.999 and trusted["val/acc"] < 0.999  # what the predictions earn
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "integrity_mismatch"


def test_an_inplace_write_to_the_batch_cannot_lower_the_loss(
    engine, runtime_image, data_dir, tmp_path
) -> None:
    result, _ = _run(tmp_path, "vae", "trainer.epochs=1", model="inplace_target.py")
    assert result["status"] == "completed", result["reason"]
    claimed, trusted = _claimed(result), _trusted_val(result)
    assert claimed["val/loss"] > 1.0  # an honest reconstruction loss, not ~1e-16
    assert claimed["val/loss"] == pytest.approx(trusted["val/loss"], rel=1e-4)
    assert result["trusted"]["values"]["test/loss"] > 1.0


def test_hidden_parameters_are_still_seen_by_optimizer_and_monitor(
    engine, runtime_image, data_dir, tmp_path
) -> None:
    result, out = _run(tmp_path, "digits", "trainer.epochs=1", model="hidden_parameters.py")
    assert result["status"] == "completed", result["reason"]
    lines = [json.loads(line) for line in (out / "artifacts" / "metrics.jsonl").read_text().splitlines()]
    norms = [m["grad_norm"] for m in lines if m["split"] == "train" and m["grad_norm"] is not None]
    assert norms and min(norms) > 0.0  # the trainer's own norm of nn.Module.parameters(model)
    assert _claimed(result)["val/acc"] == pytest.approx(_trusted_val(result)["val/acc"], abs=0.02)


def test_other_processes_memory_is_unreadable_and_test_targets_are_absent(
    engine, runtime_image, data_dir, tmp_path
) -> None:
    result, out = _run(tmp_path, "digits", "trainer.epochs=1", model="read_init_memory.py")
    log = (out / "stdout.log").read_text()
    report = json.loads(
        next(x for x in log.splitlines() if x.startswith("PAYLOAD ")).removeprefix("PAYLOAD ")
    )
    assert report["mem"] == report["environ"] == report["maps"] == "PermissionError", report
    assert report["targets_in_data"] == []
    assert result["status"] == "completed"


@pytest.mark.parametrize(
    ("experiment", "overrides"),
    [
        ("digits", ["trainer.epochs=2"]),
        ("ppg_hr", ["trainer.epochs=1"]),
        ("ecg_rhythm", ["trainer.epochs=1"]),
        ("vae", ["trainer.epochs=1"]),
    ],
)
def test_built_in_models_match_their_trusted_metric(
    engine, runtime_image, data_dir, tmp_path, experiment, overrides
) -> None:
    result, _ = _run(tmp_path, experiment, *overrides)
    assert result["status"] == "completed", result["reason"]
    assert result["trusted"]["mismatch"] is None
    claimed, trusted = _claimed(result), _trusted_val(result)
    assert set(claimed) <= set(trusted)
    for key, value in claimed.items():
        assert value == pytest.approx(trusted[key], rel=1e-4, abs=1e-6), key
    assert any(k.startswith("test/") for k in result["trusted"]["values"])

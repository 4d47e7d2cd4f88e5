"""`sentinel sandbox run` end to end through the real CLI: results, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _support import one_error_line, run_sentinel


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["no_such_experiment"], "no_such_experiment"),
        (["ppg_hr", "trainer.lr"], "trainer.lr"),
        (["ppg_hr", "trainer.lr=fast"], "trainer.lr"),
        (["ppg_hr", "trainer.no_such_key=1"], "no_such_key"),
        (["ppg_hr", "model=no_such_model"], "no_such_model"),
        (["ppg_hr", "--model-file", "/nonexistent/model.py"], "model.py"),
        (["ppg_hr", "--isolation", "kvm"], "kvm"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(args, needle, tmp_path):
    out = tmp_path / "run"
    proc = run_sentinel(
        "sandbox", "run", *args, "--out", str(out), env={"SENTINEL_RUNS": str(tmp_path / "runs")}
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert needle in one_error_line(proc)
    assert not out.exists()
    assert not (tmp_path / "runs").exists()


def test_engine_down_is_exit_3_with_a_how_to(tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock", "SENTINEL_RUNS": str(tmp_path / "runs")}
    proc = run_sentinel("sandbox", "run", "ppg_hr", "--out", str(tmp_path / "run"), env=env)
    assert proc.returncode == 3, proc.stderr
    assert "sentinel doctor --fix" in one_error_line(proc)
    assert not (tmp_path / "run").exists()
    doctor = run_sentinel("doctor", "--json", env=env)
    assert doctor.returncode == 3
    assert json.loads(doctor.stdout)["ok"] is False


@pytest.mark.docker
def test_default_experiment_runs_and_prints_json(engine, runtime_image, data_dir, tmp_path):
    out = tmp_path / "run"
    proc = run_sentinel("sandbox", "run", "ppg_hr", "trainer.epochs=2", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["status"] == "completed"
    assert result["isolation"] == "runc"
    assert "val/mae" in result["best"]
    for name in (
        "config.yaml",
        "run.json",
        "stdout.log",
        "artifacts/metrics.jsonl",
        "artifacts/summary.json",
    ):
        assert (out / name).is_file(), name
    record = json.loads((out / "run.json").read_text())
    assert record["config_sha256"] and record["runtime_image"].startswith("sentinel-runtime:")
    assert engine.image_id(f"sentinel-run:{result['run_id']}") is None  # removed without --keep-image


@pytest.mark.docker
def test_per_run_image_is_labelled_and_kept_on_request(engine, runtime_image, data_dir, tmp_path):
    proc = run_sentinel(
        "sandbox", "run", "digits", "trainer.epochs=1", "--out", str(tmp_path / "r"), "--json", "--keep-image"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    run_id = json.loads(proc.stdout)["run_id"]
    tag = f"sentinel-run:{run_id}"
    try:
        labels = engine.image_labels(tag)
        assert labels["io.sentinel.run_id"] == run_id
        assert labels["io.sentinel.campaign"] == "adhoc"
        assert len(labels["io.sentinel.config_sha256"]) == 64
        assert "io.sentinel.code_sha256" in labels and "io.sentinel.approval_digest" in labels
    finally:
        engine.remove_image(tag)


@pytest.mark.docker
def test_same_run_under_gvisor_succeeds(engine, runtime_image, data_dir, gvisor, tmp_path):
    proc = run_sentinel(
        "sandbox",
        "run",
        "digits",
        "trainer.epochs=1",
        "--isolation",
        "gvisor",
        "--out",
        str(tmp_path / "g"),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["status"] == "completed"
    assert result["isolation"] == "gvisor"
    assert json.loads((Path(tmp_path / "g") / "run.json").read_text())["isolation"] == "gvisor"

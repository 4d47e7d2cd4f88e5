"""`sentinel monitor bench` through the sandbox, its default executor: real containers, real CLI.

The short CI suite (a clean digits run and a 100x LR spike at step 200, one seed) runs with
--jobs 2: the clean twin must be left alone, the spiked one rescued within 10 steps, and every
run must leave the sandbox's own record while no container, image or volume outlives it.
The refusals (bad executor or isolation, no engine) need no Docker and write nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from _support import CI_BENCH_CONDITIONS, one_error_line, run_sentinel

SUITE = {"name": "ci_sandbox", "conditions": CI_BENCH_CONDITIONS}
RUN_FOLDERS = [
    f"{c}/seed0-{arm}" for c in ("clean_digits", "lr_spike_digits") for arm in ("monitored", "shadow")
]


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(SUITE))
    return path


@pytest.mark.parametrize(
    ("args", "needle"), [(["--executor", "nope"], "nope"), (["--isolation", "kvm"], "kvm")]
)
def test_unknown_executor_or_isolation_is_exit_2_and_writes_nothing(args, needle, suite_file, tmp_path):
    env = {"SENTINEL_RUNS": str(tmp_path / "runs")}
    proc = run_sentinel("monitor", "bench", "--suite", str(suite_file), *args, env=env, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert needle in one_error_line(proc)
    assert not (tmp_path / "runs").exists()


def test_engine_down_is_exit_3_with_a_how_to_and_no_folder(suite_file, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "MANIFEST.json").write_text("{}")  # passes the CLI's check; no run ever reads it
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock", "SENTINEL_RUNS": str(tmp_path / "runs")}
    out = tmp_path / "bench"
    args = ["--suite", str(suite_file), "--data-dir", str(data), "--out", str(out)]
    proc = run_sentinel("monitor", "bench", *args, env=env, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "sentinel doctor --fix" in one_error_line(proc)
    assert not out.exists() and not (tmp_path / "runs").exists()


@pytest.fixture(scope="module")
def bench(engine, runtime_image, data_dir, tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """One short bench with the default executor; the run folders' run.json records by folder."""
    folder = tmp_path_factory.mktemp("bench")
    suite = folder / "suite.yaml"
    suite.write_text(yaml.safe_dump(SUITE))
    out = folder / "out"
    args = ["--suite", str(suite), "--out", str(out), "--data-dir", str(data_dir), "--jobs", "2", "--json"]
    proc = run_sentinel("monitor", "bench", *args, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["pairs"] == 2
    records = {name: json.loads((out / "runs" / name / "run.json").read_text()) for name in RUN_FOLDERS}
    return out, records


@pytest.mark.docker
@pytest.mark.slow
def test_every_twin_ran_in_its_own_container_and_left_nothing(bench, engine, runtime_image):
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.volume import leftover_volumes

    out, records = bench
    run_ids = {record["run_id"] for record in records.values()}
    assert len(run_ids) == 4 and all(run_id.startswith("mb-") for run_id in run_ids)
    for name, record in records.items():
        assert record["status"] == "completed", (name, record["reason"])
        assert record["isolation"] == "runc" and record["image"] == f"sentinel-run:{record['run_id']}"
        assert record["runtime_image"] == runtime_image  # pinned once for the whole bench
        assert record["limits"]["cpus"] == 1.0 and record["kept_image"] is False
        config = yaml.safe_load((out / "runs" / name / "config.yaml").read_text())
        assert config["monitor"]["enabled"] is name.endswith("monitored")
        assert (out / "runs" / name / "artifacts" / "summary.json").is_file()
        assert engine.image_id(record["image"]) is None  # the per-run image was removed
    for container_id in engine.containers_with_label(RUN_LABEL):
        assert (engine.container_labels(container_id) or {}).get(RUN_LABEL) not in run_ids
    assert not run_ids & set(leftover_volumes())


def _pair(out: Path, condition: str) -> dict:
    lines = (out / "experiment_log.jsonl").read_text().splitlines()
    return next(p for p in map(json.loads, lines) if p["condition"] == condition)


@pytest.mark.docker
@pytest.mark.slow
def test_clean_run_is_left_alone(bench):
    clean = _pair(bench[0], "clean_digits")
    assert clean["monitored"]["status"] == "completed" and not clean["detected"]
    assert clean["monitored"]["interventions"] == 0
    assert clean["monitored"]["final_loss"] == pytest.approx(clean["shadow"]["final_loss"], rel=1e-6)


@pytest.mark.docker
@pytest.mark.slow
def test_divergent_run_is_rescued(bench):
    pair = _pair(bench[0], "lr_spike_digits")
    assert pair["shadow"]["final_loss"] > 2 * pair["clean_median"]  # the fault really wrecks the shadow
    assert pair["verdict"] == "resolved"
    assert 0 <= pair["detection_latency"] <= 10


@pytest.mark.docker
@pytest.mark.slow
def test_the_report_page_shows_the_table_and_the_paired_curves(bench):
    html = (bench[0] / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "http://" not in html and "https://" not in html
    assert "lr_spike_digits" in html and "clean_digits" in html
    assert html.count('data-chart="bench-') == 1  # the faulty pair only: the clean twins are one curve
    assert "monitor: lr_cut" in html  # the intervention (the LR jump cut at its step) is marked


# several faults at once, one inside the warm-up: every kind of decision the run can make
SAME_EVENTS_SUITE = {
    "name": "same_events",
    "conditions": [
        {"name": "clean", "experiment": "digits", "overrides": ["trainer=constant", "trainer.max_steps=220"]},
        {
            "name": "faulty",
            "experiment": "digits",
            "overrides": ["trainer=constant", "trainer.max_steps=220"],
            "baseline": "clean",
            "faults": [
                {"kind": "grad_explosion", "at_step": 5, "factor": 1000.0, "duration": 3},
                {"kind": "nan_loss", "at_step": 90},
                {"kind": "bad_batch", "at_step": 130, "duration": 6, "scale": 100.0},
                {"kind": "lr_spike", "at_step": 180, "factor": 100.0},
            ],
        },
    ],
}


@pytest.mark.docker
@pytest.mark.slow
def test_host_and_sandbox_executors_give_the_same_events(engine, runtime_image, data_dir, tmp_path):
    """Decisions depend on steps and values only (never on wall-clock time), so the same seed
    and faults give the same monitor events on the host and in the hardened container."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump(SAME_EVENTS_SUITE))
    events = {}
    for executor in ("host", "sandbox"):
        out = tmp_path / executor
        args = ["--suite", str(suite), "--out", str(out), "--data-dir", str(data_dir), "--executor", executor]
        proc = run_sentinel("monitor", "bench", *args, "--json", timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        path = out / "runs" / "faulty" / "seed0-monitored" / "artifacts" / "monitor_events.jsonl"
        events[executor] = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["action"] for e in events["host"] if e["kind"] == "intervention"][:3] == ["clip"] * 3
    assert events["host"] == events["sandbox"]

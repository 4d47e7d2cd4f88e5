"""MLflow export: the local file store layout written without MLflow, then read back by the real
`mlflow` package (its FileStore) when it is installed: experiments, runs, statuses, params,
tags and metric histories."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import _missing
from test_dashboard import CAMPAIGN, HOSTILE_NOTE, build_campaign

from sentinel.agent.dashboard import export_mlflow
from sentinel.agent.dashboard.mlflow import MlflowExport


@pytest.fixture
def exported(tmp_path: Path) -> tuple[MlflowExport, object]:
    store, runs = build_campaign(tmp_path)
    result = export_mlflow(store, CAMPAIGN, tmp_path / "mlruns", runs)
    yield result, store
    store.close()


def _run_dirs(result: MlflowExport) -> dict[str, Path]:
    """MLflow run folder by Sentinel run id (the runName tag)."""
    folder = result.folder / result.experiment_id
    return {
        (d / "tags" / "mlflow.runName").read_text(): d
        for d in folder.iterdir()
        if (d / "meta.yaml").is_file()
    }


def test_layout_follows_the_file_store_format(exported) -> None:
    result, store = exported
    root = result.folder
    assert yaml.safe_load((root / "0" / "meta.yaml").read_text())["name"] == "Default"
    assert (root / ".trash").is_dir()
    meta = yaml.safe_load((root / result.experiment_id / "meta.yaml").read_text())
    assert meta["name"] == f"sentinel/{CAMPAIGN}" and meta["experiment_id"] == result.experiment_id
    assert meta["lifecycle_stage"] == "active" and meta["artifact_location"].startswith("file://")
    runs = _run_dirs(result)
    assert len(runs) == result.runs == len(store.runs(CAMPAIGN))
    best_id = f"{CAMPAIGN}-p0006-a1"
    best = runs[best_id]
    info = yaml.safe_load((best / "meta.yaml").read_text())
    assert info["run_id"] == info["run_uuid"] == best.name and len(best.name) == 32
    assert (info["status"], info["experiment_id"], info["run_name"]) == (3, result.experiment_id, best_id)
    assert (best / "params" / "trainer.lr").read_text() == "0.005"
    assert (best / "params" / "model_ref").read_text() == "generated.res_a.Net"
    lines = (best / "metrics" / "val" / "mae").read_text().splitlines()
    assert [(float(v), int(s)) for _, v, s in (line.split() for line in lines)] == [
        (5.0, 20),
        (4.2, 40),
        (3.9, 60),
    ]
    assert (best / "metrics" / "best" / "val" / "mae").read_text().split()[1] == "3.9"
    statuses = {k: yaml.safe_load((d / "meta.yaml").read_text())["status"] for k, d in runs.items()}
    assert (
        statuses[f"{CAMPAIGN}-p0003-a1"] == 4 and statuses[f"{CAMPAIGN}-p0004-a1"] == 4
    )  # diverged, timeout
    diverged = (runs[f"{CAMPAIGN}-p0003-a1"] / "metrics" / "train" / "loss").read_text()
    assert "nan" not in diverged.lower()  # non-finite points are left out


def test_export_again_replaces_instead_of_duplicating(exported, tmp_path: Path) -> None:
    result, store = exported
    again = export_mlflow(store, CAMPAIGN, result.folder, tmp_path / "runs")
    assert again.experiment_id == result.experiment_id
    experiments = [d for d in result.folder.iterdir() if (d / "meta.yaml").is_file()]
    assert len(experiments) == 2  # Default and this campaign
    assert len(_run_dirs(again)) == result.runs


def test_mlflow_reads_the_export(exported, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        _missing("the mlflow-skinny package (test-only; in the dev extras)")
    result, _ = exported
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # recent MLflow keeps the file store opt-in
    client = MlflowClient(tracking_uri=result.folder.resolve().as_uri())
    experiment = client.get_experiment_by_name(f"sentinel/{CAMPAIGN}")
    assert experiment is not None and experiment.experiment_id == result.experiment_id
    found = client.search_runs([experiment.experiment_id], max_results=100)
    assert len(found) == result.runs
    by_name = {r.data.tags["mlflow.runName"]: r for r in found}
    best = by_name[f"{CAMPAIGN}-p0006-a1"]
    assert best.info.status == "FINISHED"
    assert best.data.params["trainer.lr"] == "0.005" and best.data.tags["sentinel.status"] == "completed"
    assert best.data.metrics["best/val/mae"] == pytest.approx(3.9)
    history = client.get_metric_history(best.info.run_id, "val/mae")
    assert [(m.step, m.value) for m in history] == [(20, 5.0), (40, 4.2), (60, pytest.approx(3.9))]
    hostile = by_name[f"{CAMPAIGN}-p0008-a1"]
    assert hostile.info.status == "FAILED" and hostile.data.params["trainer.note"] == HOSTILE_NOTE
    assert by_name[f"{CAMPAIGN}-p0004-a1"].data.tags["sentinel.status"] == "timeout"


def test_a_file_in_place_of_the_folder_is_bad_input(tmp_path: Path) -> None:
    from sentinel.agent.errors import BadInput

    store, runs = build_campaign(tmp_path, hostile=False)
    (tmp_path / "taken").write_text("x")
    with pytest.raises(BadInput, match="not a folder"):
        export_mlflow(store, CAMPAIGN, tmp_path / "taken", runs)

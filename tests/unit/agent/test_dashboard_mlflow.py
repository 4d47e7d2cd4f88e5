"""MLflow export through MLflow's own client into a local sqlite tracking URI, read back with
the client: experiments, runs, statuses, params, tags and metric histories; exporting again
replaces the runs; a URI MLflow cannot use is one line of bad input before anything happens."""

from __future__ import annotations

from pathlib import Path

import pytest
from _mlflow_support import fresh_tracking_uri
from test_dashboard import CAMPAIGN, HOSTILE_NOTE, build_campaign

from sentinel.agent.dashboard import check_tracking_uri, export_mlflow
from sentinel.agent.errors import BadInput

mlflow = pytest.importorskip("mlflow", reason="mlflow-skinny is a host dependency")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    """One campaign exported twice into one store (MLflow's first use of a store is slow)."""
    root = tmp_path_factory.mktemp("mlflow")
    store, runs = build_campaign(root)
    uri = fresh_tracking_uri(root)
    first = export_mlflow(store, CAMPAIGN, uri, runs)
    again = export_mlflow(store, CAMPAIGN, uri, runs)
    yield first, again, store, mlflow.MlflowClient(tracking_uri=uri)
    store.close()


def test_the_client_reads_back_runs_params_tags_and_histories(exported) -> None:
    result, _, store, client = exported
    experiment = client.get_experiment_by_name(f"sentinel/{CAMPAIGN}")
    assert experiment is not None and experiment.experiment_id == result.experiment_id
    assert experiment.tags["sentinel.metric"] == "val/mae (min)"
    found = client.search_runs([experiment.experiment_id], max_results=100)
    assert len(found) == result.runs == len(store.runs(CAMPAIGN))
    by_name = {r.info.run_name: r for r in found}
    best = by_name[f"{CAMPAIGN}-p0006-a1"]
    assert best.info.status == "FINISHED" and best.data.tags["sentinel.run_id"] == f"{CAMPAIGN}-p0006-a1"
    assert (
        best.data.params["trainer.lr"] == "0.005" and best.data.params["model_ref"] == "generated.res_a.Net"
    )
    assert best.data.tags["sentinel.status"] == "completed"
    assert best.data.metrics["best/val/mae"] == pytest.approx(3.9)
    history = client.get_metric_history(best.info.run_id, "val/mae")
    assert [(m.step, m.value) for m in history] == [(20, 5.0), (40, 4.2), (60, pytest.approx(3.9))]
    statuses = {name: r.info.status for name, r in by_name.items()}
    assert (
        statuses[f"{CAMPAIGN}-p0003-a1"] == statuses[f"{CAMPAIGN}-p0004-a1"] == "FAILED"
    )  # diverged, timeout
    assert by_name[f"{CAMPAIGN}-p0004-a1"].data.tags["sentinel.status"] == "timeout"
    diverged = client.get_metric_history(by_name[f"{CAMPAIGN}-p0003-a1"].info.run_id, "train/loss")
    assert diverged and all(m.value == m.value for m in diverged)  # non-finite points are left out
    hostile = by_name[f"{CAMPAIGN}-p0008-a1"]
    assert hostile.info.status == "FAILED" and hostile.data.params["trainer.note"] == HOSTILE_NOTE


def test_export_again_replaces_instead_of_duplicating(exported) -> None:
    first, again, _, client = exported
    assert again.experiment_id == first.experiment_id and again.runs == first.runs
    assert len(client.search_experiments()) == 2  # Default and this campaign
    active = client.search_runs([first.experiment_id], max_results=100)
    every = client.search_runs(
        [first.experiment_id], max_results=100, run_view_type=mlflow.entities.ViewType.ALL
    )
    assert len(active) == first.runs and len(every) == 2 * first.runs  # the first export's are deleted
    assert len({r.data.tags["sentinel.run_id"] for r in active}) == first.runs


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("mlruns/", "not a tracking URI MLflow stores serve"),
        ("ftp://host/x", "not a tracking URI MLflow stores serve"),
        ("sqlite://", "name a database file"),
        ("sqlite:///:memory:", "name a database file"),
        ("sqlite:////nonexistent-folder-xyz/mlflow.db", "must be an existing folder"),
        ("http://x\n", "is not a tracking URI"),
        ("sqlite:///" + "a" * 3000, "is not a tracking URI"),
    ],
)
def test_a_uri_mlflow_cannot_use_is_bad_input(uri: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem) as caught:
        check_tracking_uri(uri)
    assert "\n" not in str(caught.value)


def test_a_folder_in_place_of_the_database_is_bad_input(tmp_path: Path) -> None:
    store, runs = build_campaign(tmp_path, hostile=False)
    with pytest.raises(BadInput, match="must be an existing folder"):
        export_mlflow(store, CAMPAIGN, f"sqlite:///{tmp_path}", runs)
    store.close()


def test_a_server_that_does_not_answer_is_the_environment(tmp_path: Path, monkeypatch) -> None:
    from sentinel.agent.errors import EnvironmentProblem

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    store, runs = build_campaign(tmp_path, hostile=False)
    with pytest.raises(EnvironmentProblem, match=r"--mlflow-uri http://127\.0\.0\.1:9") as caught:
        export_mlflow(store, CAMPAIGN, "http://127.0.0.1:9", runs)  # the discard port: nothing listens
    assert "\n" not in str(caught.value)
    store.close()

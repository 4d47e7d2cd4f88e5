"""`sentinel dashboard CAMPAIGN [--out FILE] [--mlflow-uri URI]`: exit codes, default and chosen
paths, nothing written on bad input; plus the registration in the real `sentinel` app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from test_dashboard import CAMPAIGN, build_campaign
from typer.testing import CliRunner

from sentinel.agent.cli.dashboard import dashboard

app = typer.Typer()


@app.callback()
def _root() -> None:
    """Group, so the command is invoked by name as in the real CLI."""


app.command("dashboard")(dashboard)
runner = CliRunner()


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import sentinel.sandbox.paths as paths

    monkeypatch.setattr(paths, "RUNS_DIR", tmp_path)  # feedback.db lives at <runs>/feedback.db
    store, _ = build_campaign(tmp_path, hostile=False)
    store.close()
    return tmp_path


def test_writes_the_default_page(runs_dir: Path) -> None:
    result = runner.invoke(app, ["dashboard", CAMPAIGN])
    assert result.exit_code == 0, result.output
    page = runs_dir / CAMPAIGN / "dashboard.html"
    assert page.is_file() and "dashboard:" in result.output
    assert 'data-chart="progression"' in page.read_text(encoding="utf-8")


def test_out_and_mlflow_uri(runs_dir: Path, tmp_path: Path) -> None:
    from _mlflow_support import fresh_tracking_uri
    from mlflow import MlflowClient

    out, uri = tmp_path / "site" / "c.html", fresh_tracking_uri(tmp_path)
    refused = runner.invoke(app, ["dashboard", CAMPAIGN, "--out", str(out)])
    assert refused.exit_code == 2 and not out.parent.exists()  # --out's folder is never created
    out.parent.mkdir()
    result = runner.invoke(app, ["dashboard", CAMPAIGN, "--out", str(out), "--mlflow-uri", uri])
    assert result.exit_code == 0, result.output
    assert f"experiment 'sentinel/{CAMPAIGN}'" in result.output.replace("\n", " ")
    experiment = MlflowClient(tracking_uri=uri).get_experiment_by_name(f"sentinel/{CAMPAIGN}")
    assert out.is_file() and experiment is not None


def test_a_bad_mlflow_uri_is_one_line_and_writes_nothing(runs_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "nothing.html"
    result = runner.invoke(app, ["dashboard", CAMPAIGN, "--out", str(out), "--mlflow-uri", str(tmp_path)])
    assert result.exit_code == 2 and "--mlflow-uri" in result.output and not out.exists()
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_campaign_is_bad_input_and_writes_nothing(runs_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "nothing.html"
    result = runner.invoke(app, ["dashboard", "no-such-campaign", "--out", str(out)])
    assert result.exit_code == 2 and "error:" in result.output
    assert not out.exists()


def test_out_naming_a_folder_is_bad_input(runs_dir: Path) -> None:
    result = runner.invoke(app, ["dashboard", CAMPAIGN, "--out", str(runs_dir)])
    assert result.exit_code == 2 and "is a folder" in result.output


def test_no_store_is_bad_input_and_creates_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sentinel.sandbox.paths as paths

    monkeypatch.setattr(paths, "RUNS_DIR", tmp_path / "empty")
    result = runner.invoke(app, ["dashboard", CAMPAIGN])
    assert result.exit_code == 2 and "no campaigns yet" in result.output
    assert not (tmp_path / "empty").exists()


def test_registered_in_the_sentinel_app() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sentinel.agent.cli.main", "dashboard", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--mlflow-uri" in done.stdout and "--out" in done.stdout

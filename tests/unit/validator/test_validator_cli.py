"""`sentinel validate`: exit codes 0/1/2, --json, and escaped terminal output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from validator_testkit import model_source

from sentinel.agent.cli.validate import validate

app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test root so `validate` stays a named subcommand, as in the real CLI."""


app.command("validate")(validate)
runner = CliRunner()


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.py"
    path.write_text(model_source(), encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.py"
    path.write_text(model_source(forward="y = eval('1')  # \x1b[31mred\nreturn x"), encoding="utf-8")
    return path


def test_all_accepted_exits_0(good: Path) -> None:
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "accepted" in result.stdout and "Model" in result.stdout


def test_any_rejected_exits_1_and_prints_findings(good: Path, bad: Path) -> None:
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert "SV103" in result.stdout and f"{bad}:" in result.stdout
    assert "\x1b" not in result.stdout  # hostile escape sequences are quoted, never emitted


def test_json_is_one_object_on_stdout(good: Path, bad: Path) -> None:
    result = runner.invoke(app, ["validate", "--json", str(good), str(bad)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["accepted"] is False
    assert [f["accepted"] for f in payload["files"]] == [True, False]
    assert payload["files"][1]["violations"][0]["code"] == "SV103"


def test_unreadable_input_exits_2_with_one_stderr_line(good: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--json", str(good), str(tmp_path / "missing.py")])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot read")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(tmp_path)]).exit_code == 2


def test_real_entry_point(good: Path, bad: Path) -> None:
    command = [sys.executable, "-m", "sentinel.agent.cli.main", "validate", "--json"]
    accepted = subprocess.run([*command, str(good)], capture_output=True, text=True, timeout=120)
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["accepted"] is True
    rejected = subprocess.run([*command, str(bad)], capture_output=True, text=True, timeout=120)
    assert rejected.returncode == 1

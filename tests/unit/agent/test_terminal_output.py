"""Run output shown to the operator is inert: a container's stdout and a brain's wording cannot
send escape sequences (clear screen, set title, hide lines) or rich markup to the terminal."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console
from typer.testing import CliRunner

HOSTILE = "ok \x1b]0;pwned\x07 \x1b[2J [red]styled[/red] \x9b31m end"


def test_live_notes_escape_control_characters_and_markup():
    from sentinel.agent.campaign.live import LiveView

    out = io.StringIO()
    view = LiveView(Console(file=out, force_terminal=False, width=200), "val/acc")
    view.note(HOSTILE)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b]0;pwned\\x07" in text and "[red]styled[/red]" in text


def test_sandbox_run_prints_the_container_output_tail_escaped(monkeypatch, tmp_path):
    import sentinel.agent.launch as launch
    from sentinel.agent.cli import sandbox
    from sentinel.agent.launch import LaunchOutcome

    result = SimpleNamespace(
        isolation="runc", seconds=1.0, artifacts=None, trusted=None, log_tail=f"Traceback\n{HOSTILE}\n"
    )
    outcome = LaunchOutcome("r-1", "failed", "the run exited with code 1", Path(tmp_path), {}, result=result)
    monkeypatch.setattr(launch, "launch_run", lambda resolved, request, on_progress=None: outcome)
    monkeypatch.setattr(launch, "resolve_request", lambda request: None)
    runner = CliRunner()
    got = runner.invoke(sandbox.app, ["run", "digits"])
    assert got.exit_code == 1
    shown = got.output + (got.stderr if hasattr(got, "stderr") else "")
    assert "pwned" in shown
    assert "\x1b]0" not in shown and "\x1b[2J" not in shown and "\x07" not in shown

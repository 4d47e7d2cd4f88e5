"""Every campaign that finishes or pauses writes `<runs>/<campaign>/dashboard.html`, and a
dashboard that cannot be written is a note, never a failed campaign. Same seam as
test_campaign_loop: a real store and loop, the launcher faked at the transport."""

from __future__ import annotations

from pathlib import Path

from test_campaign_loop import ArtifactLauncher, ListBrain, PauseOnce, _goal, _no_engine, _runner

from sentinel.agent.store import FeedbackStore

__all__ = ["_no_engine"]  # the autouse fixture that keeps the loop away from a Docker engine


class Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, message: str) -> None:
        self.lines.append(message)

    def run_started(self, claim, config) -> None: ...

    def run_progress(self, run_id, artifacts_dir, config) -> None: ...

    def run_finished(self, run, best) -> None: ...


def test_finished_campaign_writes_its_dashboard(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    runner = _runner(store, ListBrain([0.001, 0.01]), ArtifactLauncher(), tmp_path)
    runner.events = notes = Notes()
    outcome = runner.start(_goal(2), seed=1)
    page = tmp_path / "runs" / outcome.campaign_id / "dashboard.html"
    assert outcome.state == "finished" and page.is_file()
    assert f"dashboard: {page}" in notes.lines
    html = page.read_text(encoding="utf-8")
    assert 'data-chart="train-loss"' in html and outcome.campaign_id in html


def test_paused_campaign_writes_its_dashboard(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    runner = _runner(store, ListBrain([0.01, 0.02]), ArtifactLauncher(), tmp_path, PauseOnce())
    outcome = runner.start(_goal(2), seed=1)
    assert outcome.state == "paused"
    assert (tmp_path / "runs" / outcome.campaign_id / "dashboard.html").is_file()


def test_a_failing_dashboard_is_a_note_not_a_failed_campaign(tmp_path: Path, monkeypatch) -> None:
    import sentinel.agent.dashboard.page as page_mod

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(page_mod, "write_dashboard", broken)
    store = FeedbackStore(tmp_path / "f.db")
    runner = _runner(store, ListBrain([0.01]), ArtifactLauncher(), tmp_path)
    runner.events = notes = Notes()
    outcome = runner.start(_goal(1), seed=1)
    assert outcome.state == "finished"
    assert store.get_campaign(outcome.campaign_id).state == "finished"
    assert any(line.startswith("dashboard not written (OSError)") for line in notes.lines)


def test_dashboard_is_the_only_file_the_hook_adds(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    outcome = _runner(store, ListBrain([0.01]), ArtifactLauncher(), tmp_path).start(_goal(1), seed=1)
    folder = tmp_path / "runs" / outcome.campaign_id
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["dashboard.html"]

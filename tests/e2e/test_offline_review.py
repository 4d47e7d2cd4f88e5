"""Offline review end to end through real CLI processes: `campaign run --approval offline` pauses
with exit 4, `sentinel review` decides, `campaign resume` records the decision and runs (or refuses).

`sentinel review` is the installed command itself. The campaign commands run through
tests/unit/agent/_approval_support.py, which is the same `sentinel` CLI with the container launch
faked at the transport seam (Docker-backed runs are covered by the integration tests) and a small
list brain standing in for the strategist.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel.agent.store import FeedbackStore

DRIVER = Path(__file__).resolve().parents[1] / "unit" / "agent" / "_approval_support.py"
SENTINEL = shutil.which("sentinel", path=str(Path(sys.executable).parent))


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.runs, self.reviews = tmp_path / "runs", tmp_path / "reviews"
        self.env = {**os.environ, "SENTINEL_RUNS": str(self.runs), "SENTINEL_REVIEWS": str(self.reviews)}
        self.env.update({"COLUMNS": "200", "NO_COLOR": "1", "SENTINEL_TEST_LRS": "0.02,0.005,0.03"})
        self.cwd = tmp_path

    def campaign(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._call([sys.executable, str(DRIVER), "campaign", *args])

    def review(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [SENTINEL] if SENTINEL else [sys.executable, "-m", "sentinel.agent.cli.main"]
        return self._call([*command, "review", *args])

    def _call(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=120)

    def store(self) -> FeedbackStore:
        return FeedbackStore(self.runs / "feedback.db")

    def pending(self) -> list[dict]:
        listed = self.review("list", "--pending", "--json")
        assert listed.returncode == 0, listed.stderr
        return json.loads(listed.stdout)["reviews"]

    def requests(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(self.runs.glob("*/*/request.json"))]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_propose_pause_approve_resume_run_finish(cli: Cli) -> None:
    paused = cli.campaign("run", "digits:quick", "--approval", "offline", "--budget", "1")
    assert paused.returncode == 4, paused.stderr
    [bundle] = cli.pending()
    ref = str(bundle["id"])
    assert f"sentinel review show {ref}" in " ".join(paused.stdout.split())
    assert bundle["intact"] and bundle["overrides"] == ["trainer.lr=0.02"]

    shown = cli.review("show", ref)
    assert shown.returncode == 0 and "config.diff" in shown.stdout and "+  lr: 0.02" in shown.stdout
    approved = cli.review("approve", ref, "--reviewer", "alice", "--json")
    assert approved.returncode == 0, approved.stderr
    sha = json.loads(approved.stdout)["bundle_sha256"]
    assert json.loads(cli.review("approve", ref, "--reviewer", "alice", "--json").stdout)["new"] is False

    done = cli.campaign("resume", "--json")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["state"] == "finished" and outcome["runs"] == 1
    store = cli.store()
    [proposal] = store.proposals(outcome["campaign_id"])
    [approval] = store.approvals(proposal.id)
    assert (approval.reviewer, approval.bundle_sha256) == ("alice", sha)
    assert cli.requests() == [{"overrides": ["trainer.lr=0.02"], "approval_digest": sha}]  # the image label


def test_bundle_changed_after_approval_is_refused(cli: Cli) -> None:
    assert cli.campaign("run", "digits:quick", "--approval", "offline", "--budget", "1").returncode == 4
    [bundle] = cli.pending()
    ref = str(bundle["id"])
    assert cli.review("approve", ref, "--reviewer", "alice").returncode == 0
    with (Path(bundle["folder"]) / "config.diff").open("a") as handle:
        handle.write("+  epochs: 999\n")
    assert "changed" in _one_error_line(cli.review("approve", ref, "--reviewer", "alice"))
    assert "CHANGED after the decision" in cli.review("list").stdout

    resumed = cli.campaign("resume", "--json")
    outcome = json.loads(resumed.stdout)
    [run] = cli.store().history(outcome["campaign_id"])
    assert run.status == "rejected_by_reviewer" and "changed after alice approved it" in run.reason
    assert cli.requests() == []  # never launched


def test_reject_and_modify_through_the_cli(cli: Cli) -> None:
    assert cli.campaign("run", "digits:quick", "--approval", "offline", "--budget", "1").returncode == 4
    first = str(cli.pending()[0]["id"])
    assert cli.review("reject", first, "--reviewer", "bob").returncode == 0
    assert cli.campaign("resume").returncode == 4  # rejected; the brain's next proposal waits
    second = str(cli.pending()[0]["id"])
    assert "unknown model entry" in _one_error_line(cli.review("modify", second, "model=nope"))
    modified = cli.review("modify", second, "trainer.lr=0.004", "--reviewer", "carol")
    assert modified.returncode == 0, modified.stderr
    assert cli.campaign("resume").returncode == 4  # the modified proposal gets its own bundle
    [third] = cli.pending()
    assert third["overrides"] == ["trainer.lr=0.004"]
    assert cli.review("approve", str(third["id"]), "--reviewer", "carol").returncode == 0
    done = cli.campaign("resume", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["state"] == "finished"
    assert [r["overrides"] for r in cli.requests()] == [["trainer.lr=0.004"]]
    campaign = json.loads(done.stdout)["campaign_id"]
    brains = [(p.brain, p.state) for p in cli.store().proposals(campaign)]
    assert brains == [
        ("strategist", "rejected_by_reviewer"),
        ("strategist", "rejected_by_reviewer"),
        ("human", "finished"),
    ]


def test_bad_input_is_one_line_and_exit_2(cli: Cli) -> None:
    assert "no review bundle" in _one_error_line(cli.review("approve", "999"))
    assert "not ID or CAMPAIGN/ID" in _one_error_line(cli.review("show", "abc"))
    bogus = cli.campaign("run", "digits:quick", "--approval", "bogus")
    assert "--approval 'bogus'" in _one_error_line(bogus)
    assert cli.campaign("run", "digits:quick", "--approval", "offline", "--budget", "1").returncode == 4
    ref = str(cli.pending()[0]["id"])
    assert "reviewer" in _one_error_line(cli.review("approve", ref, "--reviewer", "bad name"))
    assert "resume keeps it" in _one_error_line(cli.campaign("resume", "--approval", "auto"))
    assert cli.review("reject", ref, "--reviewer", "bob").returncode == 0
    assert "already rejected" in _one_error_line(cli.review("approve", ref, "--reviewer", "bob"))
    terminal = cli.campaign("run", "digits:quick", "--approval", "terminal")  # stdin is not a terminal
    assert "needs a terminal" in _one_error_line(terminal)

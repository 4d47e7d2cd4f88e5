"""`sentinel campaign run` options a user expects: --target, --start-tier, --runs-dir, and the goals
folder from SENTINEL_CAMPAIGNS. Runs the real CLI through tests/unit/agent/_approval_support.py
(only the container launch and the brain are replaced), in a child process with its own folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import PROJECT_ROOT

DRIVER = Path(__file__).resolve().parents[1] / "unit" / "agent" / "_approval_support.py"


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENTINEL_")}
    base.update({"SENTINEL_REVIEWS": str(tmp_path / "reviews"), "NO_COLOR": "1", "COLUMNS": "200"})
    base.update(env or {})
    argv = [sys.executable, str(DRIVER), "campaign", *args]
    return subprocess.run(argv, env=base, cwd=tmp_path, capture_output=True, text=True, timeout=180)


def test_runs_dir_holds_the_store_and_the_runs_and_resume_status_find_them(tmp_path: Path) -> None:
    runs = tmp_path / "elsewhere"
    done = cli(tmp_path, "run", "digits:quick", "--budget", "2", "--runs-dir", str(runs), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["runs"] == 2 and out["folder"] == str(runs / out["campaign_id"])
    assert (runs / "feedback.db").is_file() and not (PROJECT_ROOT / "runs" / out["campaign_id"]).exists()
    status = cli(tmp_path, "status", out["campaign_id"], "--runs-dir", str(runs), "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["tiers"][0]["ended"] == 2
    missing = cli(tmp_path, "status", out["campaign_id"], "--runs-dir", str(tmp_path / "empty"), "--json")
    assert missing.returncode == 2


def test_target_overrides_or_removes_the_goals_target(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    # the driver's learning rates give val/acc 0.9, 0.95, 0.8, ...: a target of 0.9 is met at once
    met = cli(tmp_path, "run", "digits:quick", "--target", "0.9", "--runs-dir", str(runs), "--json")
    assert met.returncode == 0, met.stderr
    assert (
        json.loads(met.stdout)["runs"] == 1
        and "target val/acc 0.9 is reached" in json.loads(met.stdout)["reason"]
    )
    [campaign] = FeedbackStore(runs / "feedback.db").list_campaigns()
    assert campaign.goal["target"] == 0.9
    none = cli(
        tmp_path,
        "run",
        "digits:quick",
        "--budget",
        "3",
        "--target",
        "none",
        "--runs-dir",
        str(runs),
        "--json",
    )
    assert none.returncode == 0 and json.loads(none.stdout)["runs"] == 3
    bad = cli(tmp_path, "run", "digits:quick", "--target", "high", "--runs-dir", str(tmp_path / "bad"))
    assert (
        bad.returncode == 2 and bad.stderr.strip() == "error: --target must be a number or none, got 'high'"
    )
    assert not (tmp_path / "bad").exists()  # nothing written


def test_start_tier_must_be_within_the_goals_max_tier(tmp_path: Path) -> None:
    too_high = cli(tmp_path, "run", "digits:quick", "--start-tier", "2", "--runs-dir", str(tmp_path / "r"))
    assert too_high.returncode == 2
    assert too_high.stderr.strip() == "error: --start-tier must be in 1..1 (the goal's max_tier), got 2"
    assert not (tmp_path / "r").exists()
    runs = tmp_path / "runs"
    ok = cli(
        tmp_path,
        "run",
        "ppg:hr_optimize",
        "--budget",
        "1",
        "--start-tier",
        "2",
        "--runs-dir",
        str(runs),
        "--json",
    )
    assert ok.returncode == 0, ok.stderr
    [up] = FeedbackStore(runs / "feedback.db").escalations(json.loads(ok.stdout)["campaign_id"])
    assert (up.from_tier, up.to_tier) == (1, 2)


def test_goals_come_from_sentinel_campaigns(tmp_path: Path) -> None:
    goals = tmp_path / "goals"
    (goals / "mine").mkdir(parents=True)
    text = (
        (PROJECT_ROOT / "campaigns" / "digits" / "quick.yaml")
        .read_text()
        .replace("name: quick", "name: tiny")
    )
    (goals / "mine" / "tiny.yaml").write_text(text)
    env = {"SENTINEL_CAMPAIGNS": str(goals)}
    listed = cli(tmp_path, "list", "--json", env=env)
    assert [g["address"] for g in json.loads(listed.stdout)["goals"]] == ["mine:tiny"]
    done = cli(
        tmp_path, "run", "mine:tiny", "--budget", "1", "--runs-dir", str(tmp_path / "runs"), "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    shutil.rmtree(goals)

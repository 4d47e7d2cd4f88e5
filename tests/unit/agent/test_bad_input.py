"""Bad input, as a demanding user types it: one line on stderr, the right exit code, no
traceback, bounded memory and CPU, and nothing written anywhere.

Every row runs the real `sentinel` CLI in a child process with its own runs, reviews and cache
folders; the child's peak RSS and CPU seconds come from `os.wait4`. Wall time is printed for
the report (the machine is shared, so it is not asserted); CPU time is the bound asserted.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from _support import SENTINEL

MAX_RSS_MB = 200
MAX_CPU_S = 2.0


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple[str, ...]
    code: int
    env: tuple[tuple[str, str], ...] = ()
    needs_root: bool = False


def _alias_bomb_goal() -> str:
    """Under 1 KB of YAML whose `target` expands to 9**9 references if anything walks it."""
    parts = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        parts.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    head = "name: bomb\nexperiment: digits\nmetric: {name: val/acc, mode: max}\n"
    head += "budget: {runs: 1, wall_minutes: 1}\n"
    return head + "target: [" + ", ".join(parts) + "]\n"


def _alias_bomb_override() -> str:
    parts = ["&a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for name in "bcdefghi":
        prev = chr(ord(name) - 1)
        parts.append(f"&{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "trainer.lr=[" + ", ".join(parts) + "]"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """Inputs, a fresh project (no store) and a project with one campaign in its store."""
    root = tmp_path_factory.mktemp("bad_input")
    inputs = root / "inputs"
    inputs.mkdir()
    (inputs / "bomb.yaml").write_text(_alias_bomb_goal())
    (inputs / "deep.py").write_text("x = " + "-" * 100_000 + "1\n")
    (inputs / "deep_sum.py").write_text("x = " + "+".join(["1"] * 50_000) + "\n")
    fresh = root / "fresh"
    fresh.mkdir()
    stored = root / "stored"
    (stored / "runs").mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from sentinel.agent.store import open_store;"
            " from sentinel.agent.goals import load_goal; s = open_store(sys.argv[1]);"
            " s.create_campaign(load_goal('digits:quick'), seed=0, campaign_id='camp-one');"
            " s.release_campaign('camp-one')",
            str(stored / "runs" / "feedback.db"),
        ],
        check=True,
    )
    dangling = root / "dangling"
    (dangling / "runs").mkdir(parents=True)
    (dangling / "runs" / "feedback.db").symlink_to(dangling / "runs" / "missing.db")
    return {"root": root, "inputs": inputs, "fresh": fresh, "stored": stored, "dangling": dangling}


GARBAGE = (("DOCKER_HOST", "garbage://x"),)
NOWHERE = f"/nonexistent-{secrets.token_hex(4)}"


def _rows(world: dict[str, Path]) -> list[tuple[Row, str]]:
    i = world["inputs"]
    return [
        (Row("goal alias bomb", ("campaign", "run", str(i / "bomb.yaml")), 2), "fresh"),
        (Row("override alias bomb", ("sandbox", "run", "digits", _alias_bomb_override()), 2), "fresh"),
        (
            Row(
                "model file nested 100 KB deep",
                ("sandbox", "run", "digits", "--model-file", str(i / "deep.py")),
                2,
            ),
            "fresh",
        ),
        (
            Row(
                "model file 50k-term sum",
                ("sandbox", "run", "digits", "--model-file", str(i / "deep_sum.py")),
                2,
            ),
            "fresh",
        ),
        (Row("--memory beyond the host", ("sandbox", "run", "digits", "--memory", "999999g"), 2), "fresh"),
        (
            Row("DOCKER_HOST garbage", ("sandbox", "run", "digits"), 3, (("DOCKER_HOST", "garbage://x"),)),
            "fresh",
        ),
        (Row("campaign run, DOCKER_HOST garbage", ("campaign", "run", "digits:quick"), 3, GARBAGE), "fresh"),
        (Row("campaign run, engine down", ("campaign", "run", "digits:quick"), 3), "fresh"),
        (Row("--parallel 0", ("campaign", "run", "digits:quick", "--parallel", "0"), 2), "fresh"),
        (Row("--parallel -1", ("campaign", "run", "digits:quick", "--parallel", "-1"), 2), "fresh"),
        (Row("--parallel 17", ("campaign", "run", "digits:quick", "--parallel", "17"), 2), "fresh"),
        (Row("--parallel abc", ("campaign", "run", "digits:quick", "--parallel", "abc"), 2), "fresh"),
        (Row("--seed -1", ("campaign", "run", "digits:quick", "--seed", "-1"), 2), "fresh"),
        (Row("bad --approval", ("campaign", "run", "digits:quick", "--approval", "bogus"), 2), "fresh"),
        (Row("status on a fresh project", ("campaign", "status"), 2), "fresh"),
        (Row("resume on a fresh project", ("campaign", "resume"), 2), "fresh"),
        (Row("review approve -5", ("review", "approve", "-5"), 2), "fresh"),
        (Row("dangling feedback.db link: status", ("campaign", "status"), 2), "dangling"),
        (Row("dangling feedback.db link: resume", ("campaign", "resume"), 2), "dangling"),
        (Row("dashboard 5000-char id", ("dashboard", "c" * 5000), 2), "stored"),
        (Row("dashboard unknown id", ("dashboard", "no-such-campaign"), 2), "stored"),
        (
            Row(
                "dashboard --out in a missing folder",
                ("dashboard", "camp-one", "--out", f"{NOWHERE}/dir/x.html"),
                2,
            ),
            "stored",
        ),
        (
            Row(
                "dashboard --out name too long",
                ("dashboard", "camp-one", "--out", str(i / ("n" * 300 + ".html"))),
                2,
            ),
            "stored",
        ),
        (
            Row("dashboard --mlflow-uri not a URI", ("dashboard", "camp-one", "--mlflow-uri", "mlruns/"), 2),
            "stored",
        ),
        (
            Row(
                "dashboard --mlflow-uri sqlite in a missing folder",
                ("dashboard", "camp-one", "--mlflow-uri", f"sqlite:///{NOWHERE}/mlflow.db"),
                2,
            ),
            "stored",
        ),
        (
            Row(
                "dashboard --out read-only folder",
                ("dashboard", "camp-one", "--out", "{ro}/x.html"),
                2,
                (),
                True,
            ),
            "stored",
        ),
        (
            Row(
                "dashboard --out full disk", ("dashboard", "camp-one", "--out", "{full}/x.html"), 3, (), True
            ),
            "stored",
        ),
    ]


def _tree(root: Path) -> dict[str, tuple[int, int] | None]:
    """Every entry under `root`: files with size and mtime, folders by presence (a read of the
    store makes SQLite create and remove its -wal/-shm files, which touches the folder only)."""
    return {
        str(p.relative_to(root)): None if p.is_dir() else (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if not p.name.startswith("feedback.db-")
    }


# A small measuring parent: a child forked from pytest itself would count pytest's memory in its
# peak RSS (ru_maxrss covers the time before exec), so a fresh, tiny interpreter forks it instead.
MEASURE = """
import json, os, sys
devnull = os.open(os.devnull, os.O_WRONLY)
pid = os.fork()
if pid == 0:
    os.dup2(devnull, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss]))
"""


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, float, float, float]:
    """(exit code, stderr, wall s, CPU s, peak RSS MB) of one CLI call."""
    import json

    began = time.monotonic()
    with tempfile.TemporaryFile("w+") as err:  # unnamed: nothing appears in a watched folder
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, *SENTINEL, *args],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            cwd=cwd,
            text=True,
            check=True,
        )
        err.seek(0)
        text = err.read()
    wall = time.monotonic() - began
    code, cpu, rss_kb = json.loads(done.stdout)
    return code, text, wall, cpu, rss_kb / 1024


@pytest.fixture
def mounts(tmp_path):
    """A read-only folder and a full one (tmpfs), for the dashboard rows; root only."""
    made = {}
    if os.geteuid() == 0:
        for name, opts in (("ro", "ro,size=1m"), ("full", "size=16k")):
            folder = tmp_path / name
            folder.mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(folder)], check=True)
            made[name] = folder
        fill = made["full"] / "fill"
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={fill}", "bs=4k", "count=16"], capture_output=True, check=False
        )
    yield made
    for folder in made.values():
        subprocess.run(["umount", str(folder)], check=False)


def test_every_bad_input_is_one_line_with_its_exit_code_and_writes_nothing(world, mounts, capsys):
    report = []
    for row, project in _rows(world):
        if row.needs_root and not mounts:
            continue  # mounting a read-only or full file system needs root
        args = [a.format(**{k: str(v) for k, v in mounts.items()}) for a in row.args]
        home = world[project]
        env = {
            **os.environ,
            "SENTINEL_RUNS": str(home / "runs"),
            "SENTINEL_REVIEWS": str(home / "reviews"),
            "SENTINEL_CACHE": str(home / "cache"),
            # No row may reach an engine: a refusal that fails to happen ends at exit 3, not in a run.
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",
            **dict(row.env),
        }
        watched = [world["root"], *mounts.values()]
        before = [_tree(w) for w in watched]
        code, stderr, wall, cpu, rss = _run(args, env, world["inputs"])
        lines = [line for line in stderr.splitlines() if line.strip()]
        report.append(f"{row.name:<38} exit {code}  wall {wall:5.2f} s  cpu {cpu:4.2f} s  rss {rss:5.1f} MB")
        assert code == row.code, f"{row.name}: exit {code}, stderr {stderr[-1500:]}"
        assert "Traceback" not in stderr, f"{row.name}: {stderr[-1500:]}"
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{row.name}: {stderr[-1500:]}"
        assert rss < MAX_RSS_MB, f"{row.name}: {rss:.0f} MB"
        assert cpu < MAX_CPU_S, f"{row.name}: {cpu:.2f} s of CPU"
        assert [_tree(w) for w in watched] == before, f"{row.name} wrote something"
        assert not Path(NOWHERE).exists()
        assert not (world["dangling"] / "runs" / "missing.db").exists()
    with capsys.disabled():
        print("\n" + "\n".join(report))


def test_a_dangling_store_link_is_refused_not_followed(tmp_path):
    from sentinel.agent.store import NotAStore, open_store

    link = tmp_path / "feedback.db"
    link.symlink_to(tmp_path / "elsewhere" / "missing.db")
    with pytest.raises(NotAStore):
        open_store(link)
    assert not (tmp_path / "elsewhere").exists()

"""The red-team corpus is rejected for the reason it was written for; the benign corpus passes.

Each file in redteam/ carries one technique and a header naming it, its published source and
the rule that must catch it (`# expect: SV104`, or several comma-separated, all required).
Files are judged through `validate_path`, so encoding tricks (UTF-7 cookies, NUL bytes) reach
the validator as bytes, the way the container would read them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel.validator import validate_path

HERE = Path(__file__).resolve().parent
REDTEAM = sorted((HERE / "redteam").glob("*.py"))
BENIGN = sorted((HERE / "benign").glob("*.py"))
HEADER_LINES = 8
_EXPECT = re.compile(r"^# expect: (SV\d{3}(?:, *SV\d{3})*)\s*$", re.MULTILINE)


def _header(path: Path) -> str:
    head = path.read_bytes().decode("utf-8", "replace").splitlines()[:HEADER_LINES]
    return "\n".join(head)


def _expected(path: Path) -> set[str]:
    match = _EXPECT.search(_header(path))
    assert match, f"{path.name}: no '# expect: SVxxx' line in its header"
    return {code.strip() for code in match.group(1).split(",")}


def test_corpus_sizes() -> None:
    assert len(REDTEAM) >= 120
    assert len(BENIGN) >= 30


@pytest.mark.parametrize("path", REDTEAM, ids=[p.stem for p in REDTEAM])
def test_redteam_file_is_rejected_by_the_expected_rule(path: Path) -> None:
    header = _header(path)
    assert "# technique: " in header and "# source: " in header, (
        f"{path.name}: header must name technique and source"
    )
    expected = _expected(path)
    report = validate_path(path)
    assert not report.accepted, f"{path.name} was accepted"
    missing = expected - report.codes
    assert not missing, f"{path.name}: expected {sorted(expected)}, got {sorted(report.codes)}"


@pytest.mark.parametrize("path", BENIGN, ids=[p.stem for p in BENIGN])
def test_benign_file_is_accepted(path: Path) -> None:
    report = validate_path(path)
    assert report.accepted, "\n".join(
        f"{v.code} {v.line}:{v.column} {v.message} | {v.snippet}" for v in report.violations
    )
    assert report.entry_points, f"{path.name}: no class satisfies the registry contract"


@pytest.fixture(scope="module")
def benign_runs() -> dict[str, str]:
    """Every benign file built and trained one step in ONE child process (benign_runner.py).

    The benign files are our own reviewed fixtures (never generated code, and never a red-team
    file), so running them on the host is safe; it proves they are real models with the
    registry's contract (`Model(input_shape, output_dim)`, forward and backward on the right
    shape) and not strings contrived to pass the policy.
    """
    pytest.importorskip("torch")
    pytest.importorskip("einops", reason="several benign models use einops, which is not installed")
    todo = {str(p): list(validate_path(p).entry_points) for p in BENIGN}
    done = subprocess.run(
        [sys.executable, str(HERE / "benign_runner.py"), json.dumps(todo)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("path", BENIGN, ids=[p.stem for p in BENIGN])
def test_benign_file_is_a_working_model(path: Path, benign_runs: dict[str, str]) -> None:
    assert benign_runs[str(path)] == "ok"

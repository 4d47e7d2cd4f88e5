"""The red-team corpus is rejected for the reason it was written for; the benign corpus passes.

Each file in redteam/ carries one technique and a header naming it, its published source and
the rule that must catch it (`# expect: SV104`, or several comma-separated, all required).
Files are judged through `validate_path`, so encoding tricks (UTF-7 cookies, NUL bytes) reach
the validator as bytes, the way the container would read them.
"""

from __future__ import annotations

import importlib.util
import re
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
    assert len(REDTEAM) >= 40
    assert len(BENIGN) >= 10


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


@pytest.mark.parametrize("path", BENIGN, ids=[p.stem for p in BENIGN])
def test_benign_file_is_a_working_model(path: Path) -> None:
    """The benign files are our own reviewed fixtures (never generated code), so importing them
    here is safe; it proves they are real models with the registry's shape contract and not
    strings contrived to pass the policy."""
    torch = pytest.importorskip("torch")
    if "einops" in path.read_text(encoding="utf-8"):
        pytest.importorskip("einops", reason="this benign model uses einops, which is not installed")
    spec = importlib.util.spec_from_file_location(f"benign_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in validate_path(path).entry_points:
        model = getattr(module, name)((2, 32), 3).eval()
        with torch.no_grad():
            assert model(torch.randn(4, 2, 32)).shape == (4, 3)

"""The gate as a whole: verdicts, positions, fail-closed behaviour, file reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from validator_testkit import check, model_source

from sentinel.validator import UnreadableSource, validate_path, validate_source
from sentinel.validator._source import MAX_BYTES
from sentinel.validator.report import INTERNAL_ERROR
from sentinel.validator.rules import RULES
from sentinel.validator.rules.names import NameRule


def test_plain_model_is_accepted_with_its_entry_point() -> None:
    report = check(model_source())
    assert report.accepted, report.violations
    assert report.entry_points == ("Model",)
    assert len(report.sha256) == 64


def test_every_violation_is_reported_not_just_the_first() -> None:
    source = model_source(forward="eval('1')\nexec('2')\nreturn getattr(x, 'y')")
    names = [v.snippet for v in check(source).violations if v.code == "SV103"]
    assert names == ["eval", "exec", "getattr"]


def test_positions_are_one_based_characters_even_after_non_ascii_text() -> None:
    source = model_source(forward="s = 'héllo wörld'; y = eval('1')\nreturn x")
    (hit,) = [v for v in check(source).violations if v.code == "SV103"]
    line = source.splitlines()[hit.line - 1]
    assert line[hit.column - 1 : hit.column - 1 + len("eval")] == "eval"
    assert hit.snippet == "eval"


def test_report_serialises_to_plain_json_types() -> None:
    data = check(model_source(top="import os")).to_dict()
    assert data["accepted"] is False
    assert {"code", "line", "column", "message", "snippet"} <= set(data["violations"][0])


def test_a_crashing_rule_rejects_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: NameRule, ctx: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(NameRule, "check", boom)
    report = check(model_source())
    assert not report.accepted
    assert INTERNAL_ERROR in report.codes


def test_parse_errors_are_findings_and_stop_later_rules() -> None:
    report = validate_source("def broken(:\n    eval('x')\n")
    assert report.codes == {"SV001"}
    assert report.violations[0].line == 1


def test_rule_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    assert INTERNAL_ERROR not in codes
    assert all(code.startswith("SV") and len(code) == 5 and code[2:].isdigit() for code in codes)
    assert all(rule.summary for rule in RULES)


def test_validate_path_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(model_source(), encoding="utf-8")
    report = validate_path(path)
    assert report.accepted and report.path == str(path)


def test_validate_path_accepts_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbf" + model_source().encode())
    assert validate_path(path).accepted


def test_validate_path_rejects_invalid_utf8_as_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"x = 1\n# \xff\xfe\n")
    report = validate_path(path)
    assert report.codes == {"SV001"} and report.violations[0].line == 2


def test_validate_path_stops_reading_past_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"#" * (MAX_BYTES + 10))
    assert validate_path(path).codes == {"SV002"}


@pytest.mark.parametrize("kind", ["missing", "directory", "fifo"])
def test_validate_path_raises_unreadable_for_non_files(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(UnreadableSource) as info:
        validate_path(path)
    assert info.value.exit_code == 2

"""SV001 parse/encoding, SV002 size/nesting, SV003 unicode: the source-level rules."""

from __future__ import annotations

import pytest
from validator_testkit import check, codes, hits, model_source

from sentinel.validator._source import MAX_AST_DEPTH, MAX_BLOCK_DEPTH, MAX_BYTES, MAX_LINE_CHARS, MAX_LINES


@pytest.mark.parametrize(
    "cookie",
    [
        "# -*- coding: utf-7 -*-",
        "# coding=latin-1",
        "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :",
    ],
)
def test_non_utf8_coding_cookies_are_rejected(cookie: str) -> None:
    report = check(cookie + "\n" + model_source())
    assert report.codes == {"SV001"}
    assert "only UTF-8" in report.violations[0].message


@pytest.mark.parametrize("cookie", ["# -*- coding: utf-8 -*-", "# coding: UTF8", "# coding=utf_8"])
def test_utf8_coding_cookies_are_fine(cookie: str) -> None:
    assert check(cookie + "\n" + model_source()).accepted


def test_syntax_error_reports_its_line() -> None:
    source = model_source() + "\nclass Broken(:\n    pass\n"
    (hit,) = check(source).violations
    assert hit.code == "SV001" and hit.line == source.splitlines().index("class Broken(:") + 1


def test_null_bytes_and_lone_surrogates_are_rejected() -> None:
    assert codes(model_source() + "# \x00\n") == {"SV001"}
    assert codes(model_source() + "# \ud800\n") == {"SV001"}


def test_too_many_lines() -> None:
    source = model_source(top="\n".join(f"C{i} = {i}" for i in range(MAX_LINES)))
    assert codes(source) == {"SV002"}


def test_too_many_bytes() -> None:
    source = model_source(top=f"BLOB = '{'x' * (MAX_BYTES // 2)}'\nBLOB2 = '{'y' * (MAX_BYTES // 2)}'")
    assert "SV002" in codes(source)


def test_long_lines_are_reported_with_their_line_numbers() -> None:
    source = model_source(top=f"NAME = '{'x' * MAX_LINE_CHARS}'")
    (hit,) = hits(source, "SV002")
    assert hit.line == 6 and hit.column == MAX_LINE_CHARS + 1


def test_deep_expressions_are_rejected_without_recursion_errors() -> None:
    nested = "[" * (MAX_AST_DEPTH + 5) + "]" * (MAX_AST_DEPTH + 5)
    assert codes(model_source(top=f"TABLE = {nested}")) == {"SV002"}


def test_deep_blocks_are_rejected() -> None:
    body = (
        "".join("    " * i + f"if x.numel() > {i}:\n" for i in range(MAX_BLOCK_DEPTH))
        + "    " * MAX_BLOCK_DEPTH
        + "x = x\n"
    )
    assert "SV002" in codes(model_source(forward=body + "return x"))


def test_realistic_nesting_is_fine() -> None:
    body = (
        "for a in range(2):\n    for b in range(2):\n        if a:\n"
        "            with torch.no_grad():\n                x = x + 1\n"
        "return self.fc(x.flatten(1))"
    )
    assert check(model_source(forward=body)).accepted


def test_fullwidth_identifier_is_reported_at_its_exact_position() -> None:
    source = model_source(forward="y = ｅｖａｌ('1')\nreturn x")
    (hit,) = hits(source, "SV003")
    line = source.splitlines()[hit.line - 1]
    assert line[hit.column - 1 :].startswith("ｅｖａｌ")
    assert "'eval'" in hit.message
    assert "SV103" in check(source).codes  # and the name rule judged the normalised name


def test_compatibility_letters_inside_a_dunder_are_caught_twice() -> None:
    assert {"SV003", "SV104"} <= codes(model_source(forward="c = x.__ｃｌａｓｓ__\nreturn x"))


def test_bidi_controls_are_rejected_even_in_comments() -> None:
    source = model_source(forward="# admin only \u202e } \u2066\nreturn self.fc(x.flatten(1))")
    found = hits(source, "SV003")
    assert [h.message.split()[4] for h in found] == ["U+202E", "U+2066"]


def test_non_ascii_text_in_strings_and_comments_is_fine() -> None:
    source = model_source(
        forward="# Größe der Eingabe, µ-law\nlabel = 'naïve café ✓'\nreturn self.fc(x.flatten(1))"
    )
    assert check(source).accepted

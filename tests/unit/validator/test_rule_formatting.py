"""SV106: str.format only with plain fields on literals."""

from __future__ import annotations

import pytest
from validator_testkit import check, codes, model_source

from sentinel.validator.rules.formatting import unsafe_format_fields


@pytest.mark.parametrize(
    "template", ["{}", "{0} {1}", "{name}", "{:>10}", "{0:{1}}", "{{literal}}", "%d {x!r:^8}"]
)
def test_plain_fields(template: str) -> None:
    assert unsafe_format_fields(template) == []


@pytest.mark.parametrize(
    "template", ["{0.__class__}", "{x.y}", "{0[0]}", "{x[key]}", "{0:{1.real}}", "{", "{0!z}x{"]
)
def test_fields_that_look_things_up_or_do_not_parse(template: str) -> None:
    assert unsafe_format_fields(template)


def test_format_calls() -> None:
    assert check(model_source(forward="s = '{}x{}'.format(1, 2)\nreturn self.fc(x.flatten(1))")).accepted
    assert "SV106" in codes(model_source(forward="s = '{0.__doc__}'.format(x)\nreturn x"))
    assert "SV106" in codes(model_source(forward="t = '{}'\ns = t.format(x)\nreturn x"))
    assert "SV106" in codes(model_source(forward="s = '{x}'.format_map({'x': 1})\nreturn x"))


def test_percent_formatting_and_fstrings_are_allowed() -> None:
    body = "s = '%(a)s %d' % ({'a': 1}, 2)\nt = f'{x.shape!r:>20} {len(s):d}'\nreturn self.fc(x.flatten(1))"
    assert check(model_source(forward=body)).accepted

"""The `monitor bench` page renderer: the documented input shape, paired charts per case,
badges from a fixed table, escaping, and a ValueError naming any value of the wrong shape."""

from __future__ import annotations

import math

import pytest

from sentinel.agent.dashboard import render_bench_page

ROWS = [
    {"case": "lr_spike@300", "fault": "lr_spike", "monitored final loss": 0.31, "shadow final loss": 2.4,
     "steps to recover": 40, "verdict": "rescued"},
    {"case": "<script>x</script>", "fault": "nan_loss", "monitored final loss": None,
     "shadow final loss": math.nan, "steps to recover": None, "verdict": "diverged", "extra": True},
]  # fmt: skip
CURVES = {
    "lr_spike@300": {
        "monitored": [(0, 2.0), (300, 1.0), (310, 1.4), (600, 0.31)],
        "shadow": [(0, 2.0), (300, 1.0), (310, 9.0), (600, 2.4)],
        "events": [(305, "lr_cut")],
    },
    "<script>x</script>": {"monitored": [(0, 1.0), (5, math.nan)], "shadow": [], "metric": "train/<loss>"},
}


def test_renders_table_and_one_paired_chart_per_case() -> None:
    page = render_bench_page(ROWS, CURVES, summary=["2 cases, 1 rescued"])
    assert page.startswith("<!DOCTYPE html>") and "default-src 'none'" in page
    assert 'data-chart="bench-0"' in page and 'data-chart="bench-1"' in page
    assert "monitored (monitor acting)" in page and "shadow (monitor watching only)" in page
    assert "monitor: lr_cut at step 305" in page
    assert (
        '<span class="badge ok">rescued</span>' in page and '<span class="badge warn">diverged</span>' in page
    )
    assert "<th>extra</th>" in page and ">yes<" in page  # later rows may add columns
    assert "2 cases, 1 rescued" in page


def test_everything_is_escaped() -> None:
    page = render_bench_page(ROWS, CURVES, title="<b>bench</b>")
    assert "<script>" not in page and "<b>bench" not in page and "train/&lt;loss&gt;" in page
    assert "&lt;script&gt;x&lt;/script&gt;: monitored vs shadow" in page
    assert "nan" not in page.lower().replace("nan_loss", "")


@pytest.mark.parametrize(
    ("rows", "curves", "message"),
    [
        ([["not", "a", "mapping"]], {}, r"rows\[0\] must be a mapping"),
        ([{"case": object()}], {}, r"rows\[0\]\['case'\] must be"),
        ([], {"c": {"monitored": [(0, "x")]}}, r"curves\['c'\]\['monitored'\]\[0\]"),
        ([], {"c": {"shadow": "0,1"}}, r"curves\['c'\]\['shadow'\] must be a sequence"),
        ([], {"c": {"events": [("x", "lr_cut")]}}, r"curves\['c'\]\['events'\]\[0\]"),
        ([], {"c": [1, 2]}, r"curves\['c'\] must be a mapping"),
    ],
)
def test_wrong_shapes_are_refused_by_name(rows, curves, message) -> None:
    with pytest.raises(ValueError, match=message):
        render_bench_page(rows, curves)

"""SVG charts: round ticks, automatic log axis for diverging losses, gaps at non-finite points,
markers with escaped hover titles, and refusal of anything that is not our own colour or name."""

from __future__ import annotations

import math
import re

import pytest

from sentinel.agent.dashboard._format import num, pct, seconds
from sentinel.agent.dashboard.svg import Lane, Marker, Series, line_chart, nice_ticks, timeline_chart


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ticks = nice_ticks(3.2, 97.0)
    assert ticks == [20.0, 40.0, 60.0, 80.0]
    assert nice_ticks(5.0, 5.0) == [5.0] and nice_ticks(math.nan, 1.0) == []


def test_non_finite_points_break_the_line() -> None:
    svg = line_chart(
        "c",
        [Series("run", [(0, 1.0), (1, 2.0), (2, math.nan), (3, 1.5), (4, 1.0)])],
        title="t",
        x_label="step",
        y_label="loss",
        log_y=False,
    )
    path = re.search(r'<path d="([^"]+)"', svg)
    assert path is not None and path.group(1).count("M") == 2  # two pieces, nothing drawn at NaN
    assert "nan" not in svg.lower()


def test_diverging_losses_get_a_log_axis() -> None:
    series = [Series("ok", [(0, 1.0), (10, 0.5)]), Series("blown", [(0, 1.0), (10, 1e6)])]
    assert "(log scale)" in line_chart("c", series, title="t", x_label="x", y_label="loss")
    assert "(log scale)" not in line_chart("c", series[:1], title="t", x_label="x", y_label="loss")


def test_step_series_draws_horizontal_then_vertical() -> None:
    svg = line_chart(
        "c",
        [Series("best", [(1, 5.0), (2, 4.0)], style="step")],
        title="t",
        x_label="x",
        y_label="y",
        log_y=False,
    )
    assert re.search(r'd="M[\d.]+ [\d.]+H[\d.]+V[\d.]+"', svg)


def test_markers_and_labels_are_escaped() -> None:
    svg = line_chart(
        "c",
        [Series("<b>run</b>", [(0, 1.0), (5, 0.5)])],
        [Marker(3, math.nan, "<script>x</script>", group="monitor: <i>stop</i>", shape="cross")],
        title="<t>",
        x_label="<x>",
        y_label="<y>",
    )
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg and "<t>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;" in svg and "&lt;b&gt;run&lt;/b&gt;" in svg
    assert svg.count('data-chart="c"') == 1


def test_empty_chart_says_so() -> None:
    assert "no data to plot yet" in line_chart("c", [Series("r", [])], title="t", x_label="x", y_label="y")
    assert "no decisions recorded yet" in timeline_chart("t", [], title="t", start=0.0)


def test_only_our_colours_shapes_and_chart_names_are_accepted() -> None:
    with pytest.raises(ValueError, match="color"):
        Series("r", [], color='red" onload="x')
    with pytest.raises(ValueError, match="shape"):
        Marker(0, 0, "t", shape="star")
    with pytest.raises(ValueError, match="chart name"):
        line_chart('x" onload="y', [], title="t", x_label="x", y_label="y")


def test_timeline_places_points_in_lanes() -> None:
    svg = timeline_chart(
        "approvals",
        [
            Lane("approved", [(60.0, "#2ca02c", "p1"), (180.0, "#2ca02c", "p2")]),
            Lane("<rejected>", [(120.0, "#9467bd", "p3 & co")]),
        ],
        title="Approval timeline",
        start=0.0,
    )
    assert svg.count("<circle") == 3 and "&lt;rejected&gt;" in svg and "p3 &amp; co" in svg


def test_number_formatting_never_prints_non_numbers() -> None:
    assert [num(x) for x in (math.nan, math.inf, None, True, "3", 0, 3.14159)] == ["–"] * 5 + ["0", "3.142"]
    assert pct(0.25) == "+25.0%" and pct(None) == "–"
    assert [seconds(x) for x in (4.2, 42, 125, 3725, -1)] == [
        "4.2 s",
        "42 s",
        "2 min 05 s",
        "1 h 02 min",
        "–",
    ]

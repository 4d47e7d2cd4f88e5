"""The `sentinel monitor bench` report page: a counterfactual table and paired curves per case.

The benchmark runs each faulty training case twice from the same seed: once with the monitor
acting ("monitored") and once with it only watching ("shadow", the counterfactual). This module
renders the comparison as a self-contained page with the same shell, CSP and autoescaping
templates as the campaign dashboard (`templates/bench.html.j2`), so the bench needs no HTML of
its own and cannot inject into its report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypedDict

from markupsafe import Markup

from sentinel.agent.dashboard._format import DASH, num
from sentinel.agent.dashboard._html import BADGES, Cell, Table, chart, render
from sentinel.agent.dashboard.svg import PALETTE, Marker, Series, line_chart

__all__ = ["BenchCurves", "Value", "render_bench_page"]

Value = str | int | float | bool | None  # one table value as the bench hands it over
BADGE_COLUMNS = frozenset({"status", "verdict", "outcome", "monitored status", "shadow status"})
ACTION_SHAPES = {"lr_cut": "triangle", "rollback": "diamond", "reinit": "square", "stop": "cross"}


class BenchCurves(TypedDict, total=False):
    """One case's paired curves. Points are (step, value); NaN/inf values become gaps."""

    monitored: Sequence[tuple[float, float]]  # the run with the monitor acting
    shadow: Sequence[tuple[float, float]]  # same seed and faults, the monitor only watching
    events: Sequence[tuple[float, str]]  # (step, action) the monitor took in the monitored run
    metric: str  # y-axis label; default "train/loss"


def _check_rows(rows: Sequence[Mapping[str, Value]]) -> list[str]:
    columns: list[str] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"rows[{i}] must be a mapping of column -> value, got {type(row).__name__}")
        for key, value in row.items():
            if not isinstance(key, str):
                raise ValueError(f"rows[{i}] has a non-string column name {key!r:.40}")
            if value is not None and not isinstance(value, str | int | float | bool):
                raise ValueError(f"rows[{i}][{key!r}] must be a str, number, bool or None, got {value!r:.40}")
            if key not in columns:
                columns.append(key)
    return columns


def _points(case: str, which: str, raw: object) -> list[tuple[float, float]]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"curves[{case!r}][{which!r}] must be a sequence of (step, value) pairs")
    out = []
    for j, pair in enumerate(raw):
        if (
            not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in pair)
        ):
            raise ValueError(f"curves[{case!r}][{which!r}][{j}] must be a (step, value) pair of numbers")
        out.append((float(pair[0]), float(pair[1])))
    return out


def _cell(column: str, value: Value) -> Cell:
    if value is None:
        return Cell(DASH)
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, int | float):
        return Cell(num(value, 6 if isinstance(value, int) else 4))
    if column.lower() in BADGE_COLUMNS and value in BADGES:
        return Cell(value, "badge")
    return Cell(value)


def _value_at(points: list[tuple[float, float]], step: float) -> float:
    before = [y for x, y in points if x <= step]
    return before[-1] if before else math.nan


def _case_chart(index: int, case: str, spec: BenchCurves) -> Markup:
    if not isinstance(spec, Mapping):
        raise ValueError(f"curves[{case!r}] must be a mapping with monitored/shadow/events")
    monitored = _points(case, "monitored", spec.get("monitored", ()))
    shadow = _points(case, "shadow", spec.get("shadow", ()))
    markers = []
    for j, event in enumerate(spec.get("events", ())):
        if not (isinstance(event, Sequence) and len(event) == 2 and isinstance(event[0], int | float)):
            raise ValueError(f"curves[{case!r}]['events'][{j}] must be a (step, action) pair")
        step, action = float(event[0]), str(event[1])
        markers.append(
            Marker(
                step,
                _value_at(monitored, step),
                f"monitor: {action} at step {num(step, 9)}",
                shape=ACTION_SHAPES.get(action, "circle"),
                group=f"monitor: {action}",
            )
        )
    metric = str(spec.get("metric", "train/loss"))
    series = [
        Series("monitored (monitor acting)", monitored, PALETTE[0], 2.0),
        Series("shadow (monitor watching only)", shadow, PALETTE[1], 1.6, dashed=True),
    ]
    return chart(
        line_chart(
            f"bench-{index}",
            series,
            markers,
            title=f"{case}: monitored vs shadow",
            x_label="step",
            y_label=metric,
        )
    )


def render_bench_page(
    rows: Sequence[Mapping[str, Value]],
    curves: Mapping[str, BenchCurves],
    *,
    title: str = "Monitor benchmark",
    summary: Sequence[str] = (),
) -> str:
    """The bench report as one self-contained HTML string.

    Args:
        rows: The counterfactual table, one mapping per case, e.g.
            ``{"case": "lr_spike@300", "fault": "lr_spike", "monitored final loss": 0.31,
            "shadow final loss": 2.4, "steps to recover": 40, "verdict": "rescued"}``.
            Columns appear in first-seen order; values are str, int, float, bool or None.
            Columns named status/verdict/outcome show known values (completed, diverged,
            rescued, failed, ...) as badges. Numbers are formatted here; strings escaped.
        curves: Case name -> ``BenchCurves``: ``monitored`` and ``shadow`` as (step, value)
            pairs, optional ``events`` as (step, action) pairs drawn on the monitored curve,
            optional ``metric`` label. Cases are drawn in the mapping's order, one chart each
            (``<svg data-chart="bench-<n>">``).
        title: Page heading.
        summary: Sentences shown above the table (the bench's own wording).

    Raises ValueError naming the first value of the wrong shape; nothing is rendered then.
    """
    columns = _check_rows(rows)
    charts = [_case_chart(i, str(case), spec) for i, (case, spec) in enumerate(curves.items())]
    body_rows = [[_cell(c, row.get(c)) for c in columns] for row in rows]
    numeric = [
        i for i, c in enumerate(columns) if all(isinstance(r.get(c), int | float | type(None)) for r in rows)
    ]
    return render(
        "bench.html.j2",
        title=f"Sentinel · {title}",
        heading=title,
        summary=list(summary),
        rows=Table.of(columns, body_rows, numeric=numeric),
        charts=charts,
    )

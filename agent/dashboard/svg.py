"""Inline SVG charts rendered in Python: no charting library, no script, nothing fetched.

A dashboard must open from disk on an air-gapped machine and under a CSP that forbids scripts,
so every chart is plain SVG markup computed here. Coordinates are numbers this module formats;
every label and hover title goes through `esc`. Each chart's `<svg>` carries a `data-chart`
attribute naming it, which the browser test uses to find the charts in the DOM.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sentinel.agent.dashboard._format import esc, num

__all__ = [
    "PALETTE",
    "Lane",
    "Marker",
    "Series",
    "line_chart",
    "nice_ticks",
    "timeline_chart",
]

#: Colour-blind-friendly series colours (Okabe-Ito, then Tableau), cycled by run.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#8c564b",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
SHAPES = frozenset({"circle", "diamond", "triangle", "cross", "square"})
STYLES = frozenset({"line", "step", "points"})
_COLOR = re.compile(r"#[0-9a-f]{6}")
_CHART = re.compile(r"[a-z][a-z0-9_-]{0,47}")
MARGIN = (68, 16, 26, 42)  # left, right, top, bottom


@dataclass(frozen=True, slots=True)
class Series:
    """One line: (x, y) points in x order; a non-finite y breaks the line (a gap, never a spike)."""

    label: str
    points: Sequence[tuple[float, float]]
    color: str = PALETTE[0]
    width: float = 1.5
    opacity: float = 1.0
    style: str = "line"  # line | step (best-so-far) | points (a scatter)
    dashed: bool = False

    def __post_init__(self) -> None:
        if not _COLOR.fullmatch(self.color):
            raise ValueError(f"color must be #rrggbb, got {self.color!r}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {sorted(STYLES)}, got {self.style!r}")


@dataclass(frozen=True, slots=True)
class Marker:
    """A point of interest drawn over the lines (a monitor intervention); `title` shows on hover."""

    x: float
    y: float
    title: str
    color: str = "#d62728"
    shape: str = "diamond"
    group: str = ""  # legend entry shared by markers of one kind, e.g. the monitor's action

    def __post_init__(self) -> None:
        if not _COLOR.fullmatch(self.color):
            raise ValueError(f"color must be #rrggbb, got {self.color!r}")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {sorted(SHAPES)}, got {self.shape!r}")


@dataclass(frozen=True, slots=True)
class Lane:
    """One row of a timeline: its label and its (time, colour, hover title) points."""

    label: str
    points: Sequence[tuple[float, str, str]]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten in [lo, hi] (10**lo, 10**hi), with 2 and 5 between when there are few."""
    decades = range(math.floor(lo), math.ceil(hi) + 1)
    multipliers = (1,) if len(decades) > 4 else (1, 2, 5)
    ticks = [m * 10.0**d for d in decades for m in multipliers]
    return [t for t in ticks if lo - 1e-9 <= math.log10(t) <= hi + 1e-9]


class _Scale:
    """Maps data to pixels; a log scale works on log10 of the value."""

    def __init__(self, lo: float, hi: float, start: float, end: float, log: bool = False) -> None:
        self.log, self.start, self.end = log, start, end
        self.lo, self.hi = (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)

    def value(self, v: float) -> float | None:
        if not math.isfinite(v) or (self.log and v <= 0):
            return None
        return math.log10(v) if self.log else v

    def __call__(self, v: float) -> float | None:
        t = self.value(v)
        if t is None:
            return None
        return self.start + (t - self.lo) / (self.hi - self.lo) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            return _log_ticks(self.lo, self.hi)
        return nice_ticks(self.lo, self.hi)


def _bounds(values: list[float], pad: float = 0.04) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = hi - lo if hi > lo else (abs(hi) * 0.1 or 1.0)
    return lo - span * pad, hi + span * pad


def _auto_log(ys: list[float]) -> bool:
    """Log when every value is positive and they span more than two decades (diverging losses)."""
    return bool(ys) and min(ys) > 0 and max(ys) / min(ys) > 100


def _path(points: Sequence[tuple[float, float]], sx: _Scale, sy: _Scale, step: bool) -> str:
    parts: list[str] = []
    pen_up = True
    for x, y in points:
        px, py = sx(x), sy(y)
        if px is None or py is None:
            pen_up = True
            continue
        if pen_up:
            parts.append(f"M{px:.1f} {py:.1f}")
        elif step:
            parts.append(f"H{px:.1f}V{py:.1f}")
        else:
            parts.append(f"L{px:.1f} {py:.1f}")
        pen_up = False
    return "".join(parts)


def _shape(shape: str, x: float, y: float, color: str, size: float = 5.0) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size * 0.8:.1f}" fill="{color}"/>'
    if shape == "square":
        s = size * 0.8
        return (
            f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" fill="{color}"/>'
        )
    if shape == "triangle":
        pts = (
            f"{x:.1f},{y - size:.1f} {x + size:.1f},{y + size * 0.8:.1f} {x - size:.1f},{y + size * 0.8:.1f}"
        )
        return f'<polygon points="{pts}" fill="{color}" stroke="#fff" stroke-width="0.8"/>'
    if shape == "cross":
        lo, hi, left, right = y - size, y + size, x - size, x + size
        d = f"M{left:.1f} {lo:.1f}L{right:.1f} {hi:.1f}M{left:.1f} {hi:.1f}L{right:.1f} {lo:.1f}"
        return f'<path d="{d}" stroke="{color}" stroke-width="2.2" fill="none"/>'
    pts = f"{x:.1f},{y - size:.1f} {x + size:.1f},{y:.1f} {x:.1f},{y + size:.1f} {x - size:.1f},{y:.1f}"
    return f'<polygon points="{pts}" fill="{color}" stroke="#fff" stroke-width="0.8"/>'


def _axes(sx: _Scale, sy: _Scale, width: int, height: int, x_label: str, y_label: str) -> list[str]:
    left, right, top, bottom = MARGIN
    out = [
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}"'
        ' fill="#fff" stroke="#d0d4da"/>'
    ]
    for t in sy.ticks():
        py = sy(t)
        if py is None:
            continue
        label = num(t, 3)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py:.1f}" y2="{py:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{esc(label)}</text>')
    for t in sx.ticks():
        px = sx(t)
        if px is None:
            continue
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{height - bottom}" class="grid"/>')
        out.append(
            f'<text x="{px:.1f}" y="{height - bottom + 15}" text-anchor="middle">{esc(num(t, 4))}</text>'
        )
    out.append(
        f'<text x="{(left + width - right) / 2:.1f}" y="{height - 6}" text-anchor="middle"'
        f' class="axis">{esc(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(14 {(top + height - bottom) / 2:.1f}) rotate(-90)"'
        f' text-anchor="middle" class="axis">{esc(y_label)}</text>'
    )
    return out


def line_chart(
    chart: str,
    series: Sequence[Series],
    markers: Sequence[Marker] = (),
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_y: bool | None = None,
    width: int = 880,
    height: int = 300,
) -> str:
    """An SVG line chart (`<svg data-chart=chart>`) inside a `<figure>` with an HTML legend.

    `log_y=None` chooses a log axis when every y is positive and spans over two decades, so a
    run that diverged does not flatten every other curve. With no finite point at all the
    figure says so instead of drawing empty axes.
    """
    if not _CHART.fullmatch(chart):
        raise ValueError(f"chart name must match {_CHART.pattern}, got {chart!r}")
    xs = [x for s in series for x, _ in s.points if math.isfinite(x)] + [m.x for m in markers]
    ys = [y for s in series for _, y in s.points if math.isfinite(y)]
    log = _auto_log(ys) if log_y is None else log_y and bool(ys) and min(ys) > 0
    head = f'<figure class="chart"><figcaption>{esc(title)}</figcaption>'
    if not xs or not ys:
        return (
            f'{head}<svg data-chart="{esc(chart)}" width="{width}" height="60" role="img">'
            '<text x="10" y="30">no data to plot yet</text></svg></figure>'
        )
    left, right, top, bottom = MARGIN
    sx = _Scale(*_bounds(xs, 0.0), left, width - right)
    logged = [math.log10(y) for y in ys if y > 0] if log else ys
    sy = _Scale(*_bounds(logged), height - bottom, top, log=log)
    body = _axes(sx, sy, width, height, x_label, y_label + (" (log scale)" if log else ""))
    for s in series:
        title_tag = f"<title>{esc(s.label)}</title>"
        opacity = f' opacity="{s.opacity:.2f}"' if s.opacity < 1 else ""
        if s.style != "points":
            d = _path(s.points, sx, sy, s.style == "step")
            if d:
                dash = ' stroke-dasharray="5 3"' if s.dashed else ""
                body.append(
                    f'<path d="{d}" fill="none" stroke="{s.color}" stroke-width="{s.width:.1f}"'
                    f'{dash}{opacity} stroke-linejoin="round">{title_tag}</path>'
                )
        else:
            for x, y in s.points:
                px, py = sx(x), sy(y)
                if px is not None and py is not None:
                    body.append(f"<g{opacity}>{title_tag}{_shape('circle', px, py, s.color, 4.5)}</g>")
    for m in markers:
        px, py = sx(m.x), sy(m.y)
        if px is None:
            continue
        py = py if py is not None else top + 8.0  # a non-finite value: mark it at the top edge
        body.append(f'<g class="marker"><title>{esc(m.title)}</title>{_shape(m.shape, px, py, m.color)}</g>')
    svg = (
        f'<svg data-chart="{esc(chart)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{esc(title)}">{"".join(body)}</svg>'
    )
    return f"{head}{svg}{_legend(series, markers)}</figure>"


def _legend(series: Sequence[Series], markers: Sequence[Marker]) -> str:
    items = [
        f'<li><span class="swatch" style="background:{s.color}"></span>{esc(s.label)}</li>'
        for s in series
        if s.label
    ]
    seen: set[tuple[str, str, str]] = set()
    for m in markers:
        key = (m.group, m.shape, m.color)
        if m.group and key not in seen:
            seen.add(key)
            icon = (
                f'<svg width="12" height="12" viewBox="0 0 12 12">{_shape(m.shape, 6, 6, m.color, 5)}</svg>'
            )
            items.append(f"<li>{icon} {esc(m.group)}</li>")
    return f'<ul class="legend">{"".join(items)}</ul>' if items else ""


def timeline_chart(chart: str, lanes: Sequence[Lane], *, title: str, start: float, width: int = 880) -> str:
    """Decisions over time, one row per lane; the x axis is minutes since `start`."""
    if not _CHART.fullmatch(chart):
        raise ValueError(f"chart name must match {_CHART.pattern}, got {chart!r}")
    times = [t for lane in lanes for t, _, _ in lane.points if math.isfinite(t)]
    head = f'<figure class="chart"><figcaption>{esc(title)}</figcaption>'
    if not times:
        return (
            f'{head}<svg data-chart="{esc(chart)}" width="{width}" height="40" role="img">'
            '<text x="10" y="25">no decisions recorded yet</text></svg></figure>'
        )
    row, left, right, top = 26, 150, 16, 12
    height = top + row * len(lanes) + 34
    minutes = [(t - start) / 60 for t in times]
    sx = _Scale(min(0.0, *minutes), max(1.0, *minutes) * 1.03, left, width - right)  # from the start on
    body = [
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{row * len(lanes)}" fill="#fff"'
        ' stroke="#d0d4da"/>'
    ]
    for t in sx.ticks():
        px = sx(t)
        if px is not None:
            body.append(
                f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{top + row * len(lanes)}" class="grid"/>'
            )
            body.append(
                f'<text x="{px:.1f}" y="{top + row * len(lanes) + 15}" text-anchor="middle">'
                f"{esc(num(t, 3))}</text>"
            )
    body.append(
        f'<text x="{(left + width - right) / 2:.1f}" y="{height - 4}" text-anchor="middle" class="axis">'
        "minutes since the campaign started</text>"
    )
    for i, lane in enumerate(lanes):
        cy = top + row * i + row / 2
        body.append(f'<text x="{left - 8}" y="{cy + 4:.1f}" text-anchor="end">{esc(lane.label)}</text>')
        for t, color, hover in lane.points:
            px = sx((t - start) / 60)
            if px is not None and _COLOR.fullmatch(color):
                body.append(f"<g><title>{esc(hover)}</title>{_shape('circle', px, cy, color, 6)}</g>")
    svg = (
        f'<svg data-chart="{esc(chart)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{esc(title)}">{"".join(body)}</svg>'
    )
    return f"{head}{svg}</figure>"

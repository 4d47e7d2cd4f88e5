"""The page shell every Sentinel report shares: jinja2 templates with autoescaping, strict CSP.

The templates (`templates/*.html.j2`, shipped as package data) hold all markup; Python hands
them plain values and `Cell`s, and autoescaping turns every string into text. Only two kinds of
value pass unescaped, both wrapped in `Markup` here on purpose: the CSP constant and the charts
`svg.py` drew (it escapes every label itself). The Content-Security-Policy forbids every fetch
(default-src 'none'), every script (no script-src at all) and every base or form target, so
even a string that escaped escaping could neither run nor call home.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from sentinel.agent.dashboard._format import num, pct, seconds, utc

__all__ = ["BADGES", "CSP", "Card", "Cell", "Table", "badge_class", "chart", "render"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

#: Status -> badge class. Classes come only from this table, never from data.
BADGES = {
    "completed": "ok",
    "accepted": "ok",
    "approved": "ok",
    "finished": "ok",
    "rescued": "ok",
    "diverged": "warn",
    "paused": "warn",
    "pending": "warn",
    "running": "run",
    "failed": "bad",
    "timeout": "bad",
    "oom": "bad",
    "killed": "bad",
    "artifact_rejected": "bad",
    "integrity_mismatch": "bad",
    "lost": "warn",
    "rejected": "rej",
    "rejected_by_validator": "rej",
    "rejected_by_reviewer": "rej",
    "validator_rejected": "rej",
    "escalated": "run",
}
CELL_KINDS = frozenset({"text", "code", "badge", "note"})
CELL_CLASSES = frozenset({"n", "id", "cfg"})


@dataclass(frozen=True, slots=True)
class Cell:
    """One piece of page text; `kind` picks its markup in macros.html.j2, `text` is escaped there."""

    text: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in CELL_KINDS:
            raise ValueError(f"unknown cell kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Card:
    """A status card: a title, one big value (`of` adds "of N"), and lines of cells below it."""

    title: str
    big: str
    lines: Sequence[Sequence[Cell]] = ()
    of: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """Headers (plain text), rows of cells, and a CSS class (one of CELL_CLASSES) per column index."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    css: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        headers: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        numeric: Iterable[int] = (),
        classes: Mapping[int, str] | None = None,
    ) -> Table:
        """`numeric` columns are right-aligned; `classes` gives other columns one of CELL_CLASSES."""
        css = {i: "n" for i in numeric} | {i: c for i, c in (classes or {}).items() if c in CELL_CLASSES}
        return cls(list(headers), [list(row) for row in rows], css)


def badge_class(status: object) -> str:
    return BADGES.get(str(status), "other")


def chart(svg: str) -> Markup:
    """A chart from svg.py, which escaped every label and title it drew, passed through as-is."""
    return Markup(svg)  # svg.py built it from escaped text and numbers only


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sentinel.agent.dashboard", "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=num, pct=pct, seconds=seconds, utc=utc, badge_class=badge_class)
    return env


def render(template: str, *, title: str, generator: str = "Sentinel", **context: Any) -> str:
    """A complete, self-contained HTML document from `template` (it extends base.html.j2)."""
    page = _environment().get_template(template)
    return page.render(csp=Markup(CSP), title=title, generator=generator, **context)

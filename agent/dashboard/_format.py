"""The only ways a value becomes page text: `esc` for strings, `num`/`pct`/`seconds` for numbers.

Every string that reaches the dashboard goes through `esc`, including Sentinel's own wording,
because overrides, rationales and reasons can carry whatever a brain or a user typed; numbers
are formatted here so a non-finite value can never print as "nan" or "inf" in a table.
"""

from __future__ import annotations

import html
import math
import time

__all__ = ["DASH", "esc", "finite", "num", "pct", "seconds", "utc"]

DASH = "–"  # shown for a missing or non-finite number


def esc(value: object) -> str:
    """HTML-escape `value`'s text, quotes included, so it is safe in content and attributes."""
    return html.escape(str(value), quote=True)


def finite(value: object) -> float | None:
    """`value` as a finite float, else None (bools, strings, NaN and inf are not numbers here)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def num(value: object, digits: int = 4) -> str:
    """A number in `digits` significant figures, or DASH; never the text of a non-number."""
    number = finite(value)
    if number is None:
        return DASH
    if number == 0:
        return "0"
    return f"{number:.{digits}g}"


def pct(value: object) -> str:
    number = finite(value)
    return DASH if number is None else f"{number * 100:+.1f}%"


def seconds(value: object) -> str:
    """A duration for people: 42 s, 3 min 05 s, 1 h 02 min."""
    number = finite(value)
    if number is None or number < 0:
        return DASH
    total = round(number)
    if total < 60:
        return f"{number:.3g} s" if number < 10 else f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def utc(at: object) -> str:
    number = finite(at)
    if number is None:
        return DASH
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(number))

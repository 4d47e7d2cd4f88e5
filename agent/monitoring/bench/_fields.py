"""Strict field checks shared by the suite and the space parsers: one rule per kind of field.

Every check names the field (`where`) and the bad value in one line, and raises `SuiteError`
(the space parser re-raises it as its own `SpaceError`), so a bad file is refused with exit 2.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class SuiteError(ValueError):
    """The suite file is malformed; the message names the condition and the field."""


def read_yaml(path: Path, max_bytes: int) -> Any:
    """At most `max_bytes` of `path`, parsed with yaml.safe_load."""
    with Path(path).open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SuiteError(f"{path}: larger than {max_bytes} bytes")
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise SuiteError(f"{path}: not valid YAML ({type(err).__name__})") from None


def known(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SuiteError(f"{where}: unknown key {unknown[0]!r}")


def name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise SuiteError(f"{where}: a short lowercase name, got {value!r}")
    return value


def mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise SuiteError(f"{where}: a mapping")
    return value


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def fraction(value: Any, where: str) -> float:
    if not is_number(value) or not 0 < value < 1:
        raise SuiteError(f"{where}: a number in (0, 1), got {value!r}")
    return float(value)


def positive(value: Any, where: str) -> float:
    if not is_number(value) or value <= 0:
        raise SuiteError(f"{where}: a positive number, got {value!r}")
    return float(value)


def value_range(value: Any, where: str, low: float | None) -> tuple[float, float]:
    """[low, high] with low <= high (and low >= `low` when given)."""
    if not isinstance(value, list) or len(value) != 2 or not all(is_number(v) for v in value):
        raise SuiteError(f"{where}: a range [low, high], got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if lo > hi or (low is not None and lo < low):
        raise SuiteError(f"{where}: need {'' if low is None else f'{low} <= '}low <= high, got {value!r}")
    return lo, hi


def int_in(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi

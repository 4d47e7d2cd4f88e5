"""Strict checks of config values against the registry's `Param` table (shared by tier 2 and 3).

"Keeps its type" is literal: a bool is not an int, an int is not a float, and YAML's
`1e-3` (a string in YAML 1.1) is not a float either. Bounds are inclusive, non-finite
floats never pass, and strings are matched against choices or a pattern.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from sentinel.sandbox.runtime.registry import FAULTS, MAX_FAULTS, Param

__all__ = ["check_faults", "check_value", "kind_of"]


def kind_of(value: Any) -> str:
    """The registry kind a YAML value has: bool, int, float, str, null, list, dict, or its type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    for kind, types in (("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if type(value) is types:
            return kind
    return type(value).__name__


def check_value(name: str, value: Any, param: Param, pattern: re.Pattern[str] | None = None) -> list[str]:
    """Reasons `value` does not fit `param` (empty when it fits)."""
    if param.kind == "faults":
        return check_faults(name, value)
    kind = kind_of(value)
    if kind == "null":
        return [] if param.nullable else [f"{name}: null is not allowed"]
    if kind != param.kind:
        hint = (
            " (YAML reads 1e-3 as a string; write 1.0e-3)" if param.kind == "float" and kind == "str" else ""
        )
        return [f"{name}: expected {param.kind}, got {kind}{hint}"]
    if kind == "float" and not math.isfinite(value):
        return [f"{name}: {value!r} is not finite"]
    if kind in ("int", "float"):
        if param.low is not None and value < param.low:
            return [f"{name}: {value!r} is below {param.low!r}"]
        if param.high is not None and value > param.high:
            return [f"{name}: {value!r} is above {param.high!r}"]
    if kind == "str":
        if param.choices is not None and value not in param.choices:
            return [f"{name}: {value!r} is not one of {', '.join(param.choices)}"]
        if pattern is not None and not pattern.match(value):
            return [f"{name}: {value!r} does not match {pattern.pattern}"]
    return []


def check_faults(name: str, value: Any) -> list[str]:
    """A fault list: at most MAX_FAULTS entries, each a known kind with its own bounded fields."""
    if kind_of(value) != "list":
        return [f"{name}: expected a list of faults, got {kind_of(value)}"]
    if len(value) > MAX_FAULTS:
        return [f"{name}: {len(value)} faults; the limit is {MAX_FAULTS}"]
    reasons: list[str] = []
    for index, fault in enumerate(value):
        where = f"{name}[{index}]"
        if kind_of(fault) != "dict" or kind_of(fault.get("kind")) != "str":
            reasons.append(f"{where}: expected a mapping with a 'kind'")
            continue
        fields: Mapping[str, Param] | None = FAULTS.get(fault["kind"])
        if fields is None:
            reasons.append(f"{where}: unknown fault kind {fault['kind']!r}")
            continue
        for key, item in fault.items():
            if key == "kind":
                continue
            if key not in fields:
                reasons.append(f"{where}: unknown field {key!r}")
            else:
                reasons.extend(check_value(f"{where}.{key}", item, fields[key]))
        reasons.extend(
            f"{where}: {key!r} is required" for key, p in fields.items() if p.required and key not in fault
        )
    return reasons

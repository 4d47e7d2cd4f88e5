"""The one check of a config value against the registry's `Param` table, on both sides.

The host (config composition, the validator's tier-2/3 gates, goal files) and the container
(`config.validate_config` on `/job/config.yaml`) all call `check_param`, so a value one side
accepts the other accepts too. The rules, as a user writing YAML by hand expects them:

- an `int` param takes an int, never a bool (`True` is an int in Python, not in a config) and
  never a float, even a whole one (`32.0` is a typo or a misunderstanding worth naming);
- a `float` param takes a float or an int, never a bool; an int is widened (`lr: 1` means
  1.0), and the value must be finite;
- a `bool` param takes true/false only; a `str` param a string, from `choices` when the
  registry lists them and matching `pattern` when the caller gives one;
- bounds are inclusive; `null` passes only where the registry says `nullable`;
- a fault list (`kind: faults`) holds at most MAX_FAULTS known kinds, each with its own
  bounded fields; unknown fields and missing required ones are refused.

Errors are `ConfigInvalid` with one line naming the dotted path and the value. Stdlib only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from sentinel.contract.registry import FAULTS, MAX_FAULTS, Param

__all__ = [
    "ConfigInvalid",
    "check_fault",
    "check_faults",
    "check_param",
    "check_params",
    "kind_of",
    "param_problems",
]

_YAML_FLOAT_HINT = " (YAML reads 1e-3 as a string; write 1.0e-3)"


class ConfigInvalid(ValueError):
    """A config value does not fit the registry; the message is one line naming path and value."""


def _show(value: Any) -> str:
    """A value for an error line: its repr, cut at 60 characters so the line stays short."""
    return text if len(text := repr(value)) <= 60 else text[:57] + "..."


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


def check_param(path: str, value: Any, param: Param, pattern: re.Pattern[str] | None = None) -> Any:
    """`value` as the registry reads it (an int widened for a float param), or ConfigInvalid."""
    if value is None:
        if param.nullable:
            return None
        raise ConfigInvalid(f"{path} may not be null")
    if param.kind == "faults":
        return check_faults(value, path)
    kind = kind_of(value)
    if param.kind == "bool":
        if kind != "bool":
            raise ConfigInvalid(f"{path} must be true or false, got {_show(value)}")
        return value
    if param.kind == "str":
        if kind != "str":
            raise ConfigInvalid(f"{path} must be a string, got {_show(value)}")
        if param.choices is not None and value not in param.choices:
            raise ConfigInvalid(f"{path} {_show(value)} is not one of {', '.join(param.choices)}")
        if pattern is not None and not pattern.match(value):
            raise ConfigInvalid(f"{path} {_show(value)} does not match {pattern.pattern}")
        return value
    if param.kind == "int" and kind != "int":
        raise ConfigInvalid(f"{path} must be an integer, got {_show(value)}")
    if param.kind == "float":
        if kind not in ("int", "float"):
            hint = _YAML_FLOAT_HINT if kind == "str" else ""
            raise ConfigInvalid(f"{path} must be a number, got {_show(value)}{hint}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigInvalid(f"{path} must be finite, got {_show(value)}")
    if param.low is not None and value < param.low:
        raise ConfigInvalid(f"{path} {_show(value)} is below the minimum {param.low!r}")
    if param.high is not None and value > param.high:
        raise ConfigInvalid(f"{path} {_show(value)} is above the maximum {param.high!r}")
    return value


def param_problems(path: str, value: Any, param: Param, pattern: re.Pattern[str] | None = None) -> list[str]:
    """Every reason `value` does not fit (empty when it fits): the same rules as `check_param`,
    for callers that report all problems at once (the validator). A fault list reports each
    entry's first problem."""
    if param.kind == "faults" and isinstance(value, list | tuple) and len(value) <= MAX_FAULTS:
        return [p for i, entry in enumerate(value) for p in _problems(check_fault, f"{path}[{i}]", entry)]
    return _problems(lambda where, v: check_param(where, v, param, pattern), path, value)


def _problems(check: Any, path: str, value: Any) -> list[str]:
    try:
        check(path, value)
    except ConfigInvalid as err:
        return [str(err)]
    return []


def check_params(path: str, raw: Any, spec: Mapping[str, Param]) -> dict[str, Any]:
    """A mapping of params: unknown keys refused, required ones present, defaults filled."""
    if not isinstance(raw, Mapping):
        raise ConfigInvalid(f"{path} must be a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in spec:
            known = ", ".join(sorted(spec)) or "none"
            raise ConfigInvalid(f"unknown key {path}.{key} (known: {known})")
    out: dict[str, Any] = {}
    for name, param in spec.items():
        if name in raw:
            out[name] = check_param(f"{path}.{name}", raw[name], param)
        elif param.required:
            raise ConfigInvalid(f"missing required key {path}.{name}")
        else:
            out[name] = list(param.default) if isinstance(param.default, tuple) else param.default
    return out


def check_faults(value: Any, path: str = "trainer.faults") -> list[dict[str, Any]]:
    """A fault list with defaults filled (`registry.FAULTS` bounds): the runtime, the validator
    and the benchmark's suite parser all call it, so a fault one accepts the others run (a
    negative `bad_batch.scale` flips the inputs' sign: legal everywhere)."""
    if not isinstance(value, list | tuple):
        raise ConfigInvalid(f"{path} must be a list, got {kind_of(value)}")
    if len(value) > MAX_FAULTS:
        raise ConfigInvalid(f"{path} has {len(value)} entries; at most {MAX_FAULTS}")
    return [check_fault(f"{path}[{i}]", entry) for i, entry in enumerate(value)]


def check_fault(path: str, entry: Any) -> dict[str, Any]:
    """One fault entry: a known `kind` plus that kind's bounded fields, defaults filled."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("kind"), str):
        raise ConfigInvalid(f"{path} must be a mapping with a string 'kind'")
    kind = entry["kind"]
    if kind not in FAULTS:
        raise ConfigInvalid(f"{path}.kind {_show(kind)} is not one of {', '.join(FAULTS)}")
    fields = {k: v for k, v in entry.items() if k != "kind"}
    return {"kind": kind, **check_params(path, fields, FAULTS[kind])}

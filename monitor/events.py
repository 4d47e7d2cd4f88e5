"""The monitor_events.jsonl schema: enumerations, builders on the container side, a strict parser
on the host side.

Two record kinds share one file. A *decision* is exactly the DESIGN.md shape
`{"step", "anomaly", "evidence", "action", "params"}`. An *experience* is a decision plus its
measured consequence: `"outcome"` (enumerated), `"reward"` (a number) and `"measured"` (numbers).
Every string in either kind comes from the enumerations below and every other value is a finite
number, so a host that shows or stores these records never handles free text from a run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACTIONS",
    "ANOMALIES",
    "MAX_KEYS",
    "MAX_LINE_BYTES",
    "OUTCOMES",
    "EventError",
    "clean_numbers",
    "decision_event",
    "experience_event",
    "parse_event",
]

ANOMALIES = ("nan", "loss_spike", "grad_explosion", "divergence", "oscillation", "plateau")
ACTIONS = ("skip_step", "clip", "lr_cut", "rollback", "reinit", "lr_restart", "stop")
OUTCOMES = ("recovered", "persisting", "escalated", "stopped", "run_ended")
MAX_LINE_BYTES = 4096  # a record is a few hundred bytes; anything longer is not ours
MAX_KEYS = 16  # per numeric mapping
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_DECISION_KEYS = frozenset({"step", "anomaly", "evidence", "action", "params"})
_EXPERIENCE_KEYS = _DECISION_KEYS | {"outcome", "reward", "measured"}


class EventError(ValueError):
    """A line that is not a well-formed monitor event (the host skips it and counts it)."""


def clean_numbers(values: Mapping[str, float]) -> dict[str, float]:
    """Keep finite numbers only: JSON has no Inf/NaN and the host's parser must stay strict."""
    out: dict[str, float] = {}
    for key, value in values.items():
        number = float(value)
        if math.isfinite(number):
            out[key] = number
    return out


def decision_event(
    step: int, anomaly: str, evidence: Mapping[str, float], action: str, params: Mapping[str, float]
) -> dict[str, Any]:
    if anomaly not in ANOMALIES or action not in ACTIONS:
        raise ValueError(f"not an enumerated anomaly/action: {anomaly!r}/{action!r}")
    return {
        "step": int(step),
        "anomaly": anomaly,
        "evidence": clean_numbers(evidence),
        "action": action,
        "params": clean_numbers(params),
    }


def experience_event(
    decision: Mapping[str, Any], outcome: str, reward: float, measured: Mapping[str, float]
) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise ValueError(f"not an enumerated outcome: {outcome!r}")
    event = dict(decision)
    event.update(outcome=outcome, reward=float(reward), measured=clean_numbers(measured))
    return event


def parse_event(line: str | bytes) -> dict[str, Any]:
    """Strictly parse one line written by a run; raises EventError on anything unexpected.

    Host-side: the file is hostile input, so the line length is bounded, JSON constants such as
    NaN are refused, keys must be short snake_case, strings must be enumerated and numbers finite.
    """
    if len(line) > MAX_LINE_BYTES:
        raise EventError("line too long")
    try:
        text = line.decode("utf-8", errors="strict") if isinstance(line, bytes) else line
        obj = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise EventError("not strict JSON") from err
    if not isinstance(obj, dict):
        raise EventError("not an object")
    keys = set(obj)
    if keys != _DECISION_KEYS and keys != _EXPERIENCE_KEYS:
        raise EventError("unexpected keys")
    step = obj["step"]
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < 2**53:
        raise EventError("bad step")
    if obj["anomaly"] not in ANOMALIES or obj["action"] not in ACTIONS:
        raise EventError("anomaly or action not enumerated")
    out = {
        "step": step,
        "anomaly": obj["anomaly"],
        "action": obj["action"],
        "evidence": _numbers(obj["evidence"]),
        "params": _numbers(obj["params"]),
    }
    if "outcome" in obj:
        if obj["outcome"] not in OUTCOMES:
            raise EventError("outcome not enumerated")
        out["outcome"] = obj["outcome"]
        out["reward"] = _number(obj["reward"])
        out["measured"] = _numbers(obj["measured"])
    return out


def _refuse_constant(name: str) -> float:
    raise ValueError(f"JSON constant {name} is not allowed")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EventError("not a finite number")
    return float(value)


def _numbers(value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or len(value) > MAX_KEYS:
        raise EventError("not a small mapping")
    out: dict[str, float] = {}
    for key, number in value.items():
        if not (0 < len(key) <= 32 and set(key) <= _KEY_CHARS):
            raise EventError("bad key")
        out[key] = _number(number)
    return out

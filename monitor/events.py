"""The monitor_events.jsonl schema: enumerations, builders on the container side, a strict parser
on the host side.

Every line has the DESIGN.md fields `{"step", "anomaly", "evidence", "action", "params"}` plus
`"kind"`, which the trainer's EventWriter and the host's artifact reader both know:

- `"kind": "intervention"`: one decision. `evidence` is what the detector measured, `params`
  what the action really used (the factor, the pre-clip norm, the snapshot step, ...).
- `"kind": "experience"`: the same decision once its outcome is known. `evidence` is repeated;
  `params` adds `outcome` (a code of `OUTCOMES`, so no string but the enumerations ever
  appears), `reward`, and the measurements behind them (`steps_after`, `loss_ratio`, ...).

Strings come only from the enumerations below (a subset of the host vocabulary in
`sentinel.sandbox.artifacts.vocabulary`) and every other value is a number, so a host that
shows or stores these records never handles free text from a run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACTIONS",
    "ANOMALIES",
    "KINDS",
    "MAX_KEYS",
    "MAX_LINE_BYTES",
    "OUTCOMES",
    "OUTCOME_CODES",
    "EventError",
    "clean_numbers",
    "decision_event",
    "experience_event",
    "outcome_name",
    "parse_event",
]

ANOMALIES = (
    "nan",
    "loss_spike",
    "grad_explosion",
    "divergence",
    "oscillation",
    "plateau",
    "lr_jump",  # the LR left its schedule at this step (hook.py)
    "collapse",  # reports (action "none"): quality.py
    "mediocre",
)
# "none": a report, nothing was changed (quality.py); never counted as an intervention
ACTIONS = ("skip", "clip", "lr_cut", "rollback", "reinit", "lr_restart", "stop", "none")
KINDS = ("intervention", "experience")
OUTCOMES = ("recovered", "persisting", "escalated", "stopped", "run_ended")
OUTCOME_CODES = {name: float(code) for code, name in enumerate(OUTCOMES, start=1)}
MAX_LINE_BYTES = 4096  # a record is a few hundred bytes; anything longer is not ours
MAX_KEYS = 32  # per numeric mapping (the trainer's EventWriter allows 32)
_KEY = re.compile(r"[a-z][a-z0-9_]{0,23}", re.ASCII)  # the host's EVIDENCE_NAME, minus "split/"
_REQUIRED = frozenset({"step", "anomaly", "evidence", "action", "params"})


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
        "kind": "intervention",
        "step": int(step),
        "anomaly": anomaly,
        "evidence": clean_numbers(evidence),
        "action": action,
        "params": clean_numbers(params),
    }


def experience_event(
    decision: Mapping[str, Any], outcome: str, reward: float, measured: Mapping[str, float]
) -> dict[str, Any]:
    """The decision again, with its outcome code, reward and measurements added to `params`."""
    if outcome not in OUTCOMES:
        raise ValueError(f"not an enumerated outcome: {outcome!r}")
    params = dict(decision["params"])
    params.update(clean_numbers(measured))
    params.update(outcome=OUTCOME_CODES[outcome], reward=float(reward))
    return {**decision, "kind": "experience", "params": params}


def outcome_name(code: float) -> str | None:
    """Back from an experience's numeric `outcome` to its name; None for an unknown code."""
    for name, value in OUTCOME_CODES.items():
        if value == code:
            return name
    return None


def parse_event(line: str | bytes) -> dict[str, Any]:
    """Strictly parse one line written by a run; raises EventError on anything unexpected.

    Host-side: the file is hostile input, so the line length is bounded, JSON constants such as
    NaN are refused, keys must be short identifiers, strings must be enumerated and numbers
    finite (`null`, the trainer's spelling of a non-finite number, becomes NaN).
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
    if not _REQUIRED <= keys <= _REQUIRED | {"kind"}:
        raise EventError("unexpected keys")
    step = obj["step"]
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < 2**53:
        raise EventError("bad step")
    kind = obj.get("kind", "intervention")
    if kind not in KINDS or obj["anomaly"] not in ANOMALIES or obj["action"] not in ACTIONS:
        raise EventError("kind, anomaly or action not enumerated")
    out = {
        "kind": kind,
        "step": step,
        "anomaly": obj["anomaly"],
        "action": obj["action"],
        "evidence": _numbers(obj["evidence"]),
        "params": _numbers(obj["params"]),
    }
    if kind == "experience":
        params = out["params"]
        reward = params.get("reward", math.nan)
        if outcome_name(params.get("outcome", math.nan)) is None or not math.isfinite(reward):
            raise EventError("experience without a valid outcome and reward")
    return out


def _refuse_constant(name: str) -> float:
    raise ValueError(f"JSON constant {name} is not allowed")


def _numbers(value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or len(value) > MAX_KEYS:
        raise EventError("not a small mapping")
    out: dict[str, float] = {}
    for key, number in value.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise EventError("bad key")
        if number is None:
            out[key] = math.nan
            continue
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise EventError("not a finite number")
        out[key] = float(number)
    return out

"""The monitor_events.jsonl schema, built and checked in one place for both sides.

Every line has the DESIGN.md fields `{"step", "anomaly", "evidence", "action", "params"}` plus
`"kind"`:

- `"kind": "intervention"` (also a line without `kind`): one decision. `evidence` is what the
  detector measured, `params` what the action really used (the factor, the pre-clip norm, ...).
- `"kind": "experience"`: the same decision once its outcome is known. `evidence` is repeated;
  `params` adds `outcome` (a code of `vocabulary.OUTCOMES`), `reward`, and the measurements
  behind them (`steps_after`, `loss_ratio`, ...).

The monitor builds records with `decision_event`/`experience_event`; the trainer's
`EventWriter` turns each into the line it writes with `event_line`; every reader (the host's
hostile artifact reader, `monitor status`, the bench) checks a decoded line with `check_event`,
so a line the writer accepts always reads back as the same record, and nothing else does.
Strings come only from `vocabulary`, every other value is a number (null, the writer's
spelling of a non-finite number, reads as NaN), so no free text from a run passes. Stdlib only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from sentinel.contract import vocabulary as vocab

__all__ = [
    "MAX_KEYS",
    "MAX_LINE_BYTES",
    "OUTCOME_CODES",
    "EventError",
    "check_event",
    "clean_numbers",
    "decision_event",
    "event_line",
    "experience_event",
    "outcome_name",
    "parse_event",
]

OUTCOME_CODES = {name: float(code) for code, name in enumerate(vocab.OUTCOMES, start=1)}
MAX_LINE_BYTES = 4096  # a record is a few hundred bytes; anything longer is not ours
MAX_KEYS = 32  # per numeric mapping
_FIELDS = ("kind", "step", "anomaly", "action", "evidence", "params")
_REQUIRED = ("step", "anomaly", "evidence", "action", "params")


class EventError(ValueError):
    """A record that is not a well-formed monitor event. The message is Sentinel's wording
    ("field 'anomaly' is not one of ..."), never text taken from the record."""


def clean_numbers(values: Mapping[str, float]) -> dict[str, float]:
    """Keep numbers an artifact can hold (finite, within float32 range) and drop the rest, so a
    built record reads back exactly as built."""
    out: dict[str, float] = {}
    for key, value in values.items():
        number = float(value)
        if math.isfinite(number) and abs(number) <= vocab.FLOAT32_MAX:
            out[key] = number
    return out


def decision_event(
    step: int, anomaly: str, evidence: Mapping[str, float], action: str, params: Mapping[str, float]
) -> dict[str, Any]:
    """One intervention (or report), ready for `EventWriter.record`."""
    if anomaly not in vocab.ANOMALIES or action not in vocab.ACTIONS:
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
    if outcome not in OUTCOME_CODES:
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


def check_event(obj: Any) -> dict[str, Any]:
    """A decoded line as a record (`kind` filled, numbers as floats, null as NaN), or EventError.

    Types are exact (`True` is not a number, `5.0` is not a step), numbers finite, keys known
    or pattern-checked (`vocabulary.EVIDENCE_NAME`), at most MAX_KEYS per mapping, and an
    experience carries a known `outcome` code and a finite `reward`.
    """
    if type(obj) is not dict:
        raise EventError(": is not an object")
    if not obj.keys() <= set(_FIELDS):
        raise EventError(": has an unknown field")
    for key in _REQUIRED:
        if key not in obj:
            raise EventError(f": misses field '{key}'")
    step = obj["step"]
    if type(step) is not int:
        raise EventError(": field 'step' is not an integer")
    if not 0 <= step <= vocab.MAX_STEP:
        raise EventError(f": field 'step' is outside 0..{vocab.MAX_STEP}")
    record = {
        "kind": _one_of(obj.get("kind", vocab.DEFAULT_EVENT_KIND), "kind", vocab.EVENT_KINDS),
        "step": step,
        "anomaly": _one_of(obj["anomaly"], "anomaly", vocab.ANOMALIES),
        "action": _one_of(obj["action"], "action", vocab.ACTIONS),
        "evidence": _numbers(obj["evidence"], "evidence"),
        "params": _numbers(obj["params"], "params"),
    }
    if record["kind"] == "experience":
        params = record["params"]
        reward = params.get("reward", math.nan)
        if outcome_name(params.get("outcome", math.nan)) is None or not math.isfinite(reward):
            raise EventError(": experience has no valid 'outcome' and 'reward' in params")
    return record


def event_line(event: Mapping[str, Any]) -> dict[str, Any]:
    """The container writer's side: the JSON object to write for `event`, or EventError.

    NaN, Inf and numbers beyond float32 in `evidence`/`params` are written as null (a NaN loss
    is exactly what the nan detector reports); then the line must pass `check_event`, so the
    host reads back what was written.
    """
    obj = dict(event) if isinstance(event, Mapping) else event
    if type(obj) is dict:
        for key in ("evidence", "params"):
            if isinstance(obj.get(key), Mapping):
                obj[key] = {k: _nullable(v) for k, v in obj[key].items()}
    record = check_event(obj)
    for key in ("evidence", "params"):
        record[key] = {k: (v if math.isfinite(v) else None) for k, v in record[key].items()}
    return record


def parse_event(line: str | bytes) -> dict[str, Any]:
    """One line of a file a run wrote: bounded, strict JSON (no NaN constants), `check_event`."""
    if len(line) > MAX_LINE_BYTES:
        raise EventError(f" exceeds {MAX_LINE_BYTES} bytes")
    try:
        text = line.decode("utf-8", errors="strict") if isinstance(line, bytes) else line
        obj = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise EventError(" is not strict JSON") from err
    return check_event(obj)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"JSON constant {name} is not allowed")


def _nullable(value: Any) -> Any:
    if type(value) is float and not (math.isfinite(value) and abs(value) <= vocab.FLOAT32_MAX):
        return None
    return value


def _one_of(value: object, key: str, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:
        raise EventError(f": field '{key}' is not one of {', '.join(sorted(allowed))}")
    return value


def _numbers(value: object, key: str) -> dict[str, float]:
    if type(value) is not dict:
        raise EventError(f": field '{key}' is not an object")
    if len(value) > MAX_KEYS:
        raise EventError(f": field '{key}' has more than {MAX_KEYS} keys")
    out: dict[str, float] = {}
    for name, number in value.items():
        if type(name) is not str or not vocab.EVIDENCE_NAME.fullmatch(name):
            raise EventError(f": field '{key}' has a key that is not a valid name")
        if number is None:
            out[name] = math.nan
        elif type(number) is not float and type(number) is not int:
            raise EventError(f": field '{key}.{name}' is not a number")
        elif not math.isfinite(number):
            raise EventError(f": field '{key}.{name}' is not finite")
        else:
            out[name] = float(number)
    return out

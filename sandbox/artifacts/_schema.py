"""Turn one decoded JSON object into a record, or raise Violation naming the broken rule.

Types are exact (`True` is not an int, `"0.1"` is not a number), numbers are finite and
bounded, strings come from `vocabulary` sets, keys are known or pattern-checked. Problems name
only fields the contract fixes or names that already passed the pattern, never raw content.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sentinel.contract import vocabulary as vocab
from sentinel.contract.events import EventError, check_event
from sentinel.contract.records import MetricRecord, MonitorEvent, RunSummary, SummaryPoint
from sentinel.sandbox.artifacts._json import Violation
from sentinel.sandbox.artifacts._limits import ArtifactLimits

_NAN = float("nan")
_TRAIN_REQUIRED = ("step", "epoch", "split", "loss", "grad_norm", "lr")
_TRAIN_KEYS = frozenset({*_TRAIN_REQUIRED, "nonfinite", "fault"})
_VAL_REQUIRED = ("step", "epoch", "split", "loss")
_VAL_FIXED = frozenset({*_VAL_REQUIRED, "nonfinite"})
_SUMMARY_KEYS = frozenset({"status", "epochs", "steps", "best", "final", "reason"})


def _one_of(value: object, key: str, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:
        raise Violation(f": field '{key}' is not one of {', '.join(sorted(allowed))}")
    return sys.intern(value)  # one shared object per enumerated name, however many records


def _int(value: object, key: str, high: int) -> int:
    if type(value) is not int:
        raise Violation(f": field '{key}' is not an integer")
    if not 0 <= value <= high:
        raise Violation(f": field '{key}' is outside 0..{high}")
    return value


def _number(value: object, key: str, limits: ArtifactLimits, *, null_ok: bool, low: float | None) -> float:
    """A finite JSON number within ±max_abs_float (ints widen); null reads as NaN if allowed."""
    if value is None:
        if null_ok:
            return _NAN
        raise Violation(f": field '{key}' is null")
    if type(value) is not float and type(value) is not int:
        raise Violation(f": field '{key}' is not a number")
    number = float(value)
    if not math.isfinite(number) or abs(number) > limits.max_abs_float:
        raise Violation(f": field '{key}' is outside ±{limits.max_abs_float:g}")
    if low is not None and number < low:
        raise Violation(f": field '{key}' is below {low:g}")
    return number


def _require(obj: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in obj:
            raise Violation(f": misses field '{key}'")


def _nonfinite(obj: Mapping[str, Any], nullable: frozenset[str]) -> tuple[str, ...]:
    """The flag list must name exactly the keys written as null, and only nullable ones."""
    if "nonfinite" not in obj and None not in obj.values():
        return ()  # the common, all-finite line
    flagged = obj.get("nonfinite", [])
    if type(flagged) is not list or any(type(k) is not str for k in flagged):
        raise Violation(": field 'nonfinite' is not a list of field names")
    nulls = {k for k, v in obj.items() if v is None}
    if len(set(flagged)) != len(flagged) or set(flagged) != nulls:
        raise Violation(": field 'nonfinite' does not list exactly the null fields")
    if not nulls <= nullable:
        raise Violation(": field 'nonfinite' names a field that may not be null")
    return tuple(sys.intern(k) for k in flagged)


def parse_metric(obj: Mapping[str, Any], limits: ArtifactLimits) -> MetricRecord:
    split = _one_of(obj.get("split"), "split", vocab.SPLITS)
    if split == "train":
        if not obj.keys() <= _TRAIN_KEYS:
            raise Violation(": has a field train lines do not carry")
        _require(obj, _TRAIN_REQUIRED)
        nonfinite = _nonfinite(obj, frozenset({"loss", "grad_norm"}))
        fault = obj.get("fault")
        return MetricRecord(
            step=_int(obj["step"], "step", limits.max_step),
            epoch=_int(obj["epoch"], "epoch", limits.max_epoch),
            split=split,
            loss=_number(obj["loss"], "loss", limits, null_ok=True, low=None),
            grad_norm=_number(obj["grad_norm"], "grad_norm", limits, null_ok=True, low=0.0),
            lr=_number(obj["lr"], "lr", limits, null_ok=False, low=0.0),
            fault=None if fault is None else _one_of(fault, "fault", vocab.FAULT_KINDS),
            nonfinite=nonfinite,
        )
    _require(obj, _VAL_REQUIRED)
    task = [k for k in obj if k not in _VAL_FIXED]
    for key in task:
        if key in _TRAIN_KEYS:
            raise Violation(f": field '{key}' is not allowed on {split} lines")
        if not vocab.METRIC_NAME.fullmatch(key):
            raise Violation(": has a field that is not a valid metric name")
    nonfinite = _nonfinite(obj, frozenset({"loss", *task}))
    values = {sys.intern(k): _number(obj[k], k, limits, null_ok=True, low=None) for k in task}
    return MetricRecord(
        step=_int(obj["step"], "step", limits.max_step),
        epoch=_int(obj["epoch"], "epoch", limits.max_epoch),
        split=split,
        loss=_number(obj["loss"], "loss", limits, null_ok=True, low=None),
        values=MappingProxyType(values),
        nonfinite=nonfinite,
    )


def _numbers(value: object, key: str, limits: ArtifactLimits, *, metric_keys: bool) -> dict[str, float]:
    """An object of name -> number|null (null reads as NaN), names pattern-checked."""
    if type(value) is not dict:
        raise Violation(f": field '{key}' is not an object")
    out: dict[str, float] = {}
    for name, number in value.items():
        if metric_keys:
            split, slash, metric = name.partition("/")
            ok = bool(slash) and split in vocab.SPLITS and vocab.METRIC_NAME.fullmatch(metric)
        else:
            ok = bool(vocab.EVIDENCE_NAME.fullmatch(name))
        if not ok:
            raise Violation(f": field '{key}' has a key that is not a valid name")
        out[sys.intern(name)] = _number(number, f"{key}.{name}", limits, null_ok=True, low=None)
    return out


def _point(value: object, key: str, limits: ArtifactLimits) -> SummaryPoint | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise Violation(f": field '{key}' is not an object")
    _require(value, ("epoch", "step"))
    rest = {k: v for k, v in value.items() if k not in ("epoch", "step")}
    return SummaryPoint(
        epoch=_int(value["epoch"], f"{key}.epoch", limits.max_epoch),
        step=_int(value["step"], f"{key}.step", limits.max_step),
        values=MappingProxyType(_numbers(rest, key, limits, metric_keys=True)),
    )


def parse_summary(obj: Mapping[str, Any], limits: ArtifactLimits) -> RunSummary:
    """`status`, `epochs`, `steps` are required; `best`/`final` may be absent or null."""
    if not obj.keys() <= _SUMMARY_KEYS:
        raise Violation(": has an unknown field")
    _require(obj, ("status", "epochs", "steps"))
    reason = obj.get("reason")
    if reason is not None and type(reason) is not str:
        raise Violation(": field 'reason' is not a string")
    kept = sys.intern(reason) if reason in vocab.SUMMARY_REASONS else None
    return RunSummary(
        status=_one_of(obj["status"], "status", vocab.RUN_STATUSES),
        epochs=_int(obj["epochs"], "epochs", limits.max_epoch),
        steps=_int(obj["steps"], "steps", limits.max_step),
        best=_point(obj.get("best"), "best", limits),
        final=_point(obj.get("final"), "final", limits),
        reason=kept,
        reason_dropped=reason is not None and kept is None,
    )


def parse_event(obj: Mapping[str, Any], limits: ArtifactLimits) -> MonitorEvent:
    """The contract's event check (`contract.events.check_event`, the one the writer passes),
    then this reader's own bounds on the step and on every number."""
    try:
        record = check_event(obj)
    except EventError as err:
        raise Violation(str(err)) from None
    step = _int(record["step"], "step", limits.max_step)
    numbers = {}
    for key in ("evidence", "params"):
        for name, value in record[key].items():
            if math.isfinite(value):
                _number(value, f"{key}.{name}", limits, null_ok=False, low=None)
        numbers[key] = MappingProxyType({sys.intern(k): v for k, v in record[key].items()})
    return MonitorEvent(
        step=step,
        anomaly=sys.intern(record["anomaly"]),
        action=sys.intern(record["action"]),
        evidence=numbers["evidence"],
        params=numbers["params"],
        kind=sys.intern(record["kind"]),
    )

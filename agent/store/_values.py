"""What the store accepts: closed vocabularies, key patterns, JSON of numbers, bounded text.

The store is a second boundary after the artifact reader: whatever reaches a dashboard or an
LLM prompt comes out of these tables, so each column is checked on the way in (and the SQL
CHECKs repeat the vocabularies). A value that fails raises BadRecord and nothing is written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from sentinel.agent.errors import BadRecord
from sentinel.contract.patterns import CAMPAIGN_ID, OVERRIDE_KEY, REVIEWER, RUN_ID, SHA256

__all__ = [
    "CAMPAIGN_STATES",
    "CAMPAIGN_TRANSITIONS",
    "FINISHED_STATUSES",
    "ISOLATIONS",
    "PROPOSAL_STATES",
    "PROPOSAL_TRANSITIONS",
    "RUN_STATUSES",
    "Scalar",
    "check",
    "check_text",
    "clean_text",
    "finite",
    "numbers_json",
    "scalars_json",
]

Scalar = str | int | float | bool

CAMPAIGN_STATES = frozenset({"running", "paused", "finished", "failed"})
CAMPAIGN_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "running": frozenset({"paused", "finished", "failed"}),
    "paused": frozenset({"running", "finished", "failed"}),
    "failed": frozenset({"running"}),  # `resume` after a crash the loop had recorded as failed
    "finished": frozenset(),
}
PROPOSAL_STATES = frozenset(
    {
        "proposed",
        "validated",
        "rejected_by_validator",
        "approved",
        "rejected_by_reviewer",
        "running",
        "finished",
        "cancelled",  # never ran: the campaign ended first (nothing is left pending at the end)
    }
)
PROPOSAL_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "proposed": frozenset({"validated", "rejected_by_validator", "cancelled"}),
    "validated": frozenset({"approved", "rejected_by_reviewer", "cancelled"}),
    "approved": frozenset({"running", "cancelled"}),
    "running": frozenset({"finished", "approved"}),  # approved again: requeued after a crash
}
#: A run's final status: what the host observed (DESIGN.md), never what the run claimed.
FINISHED_STATUSES = frozenset(
    {
        "completed",
        "diverged",
        "failed",
        "timeout",
        "oom",
        "killed",
        "artifact_rejected",
        "rejected_by_validator",
        "rejected_by_reviewer",
        "integrity_mismatch",  # its self-reported metric disagrees with the host's (never ranked)
        "lost",  # its machine went away mid-run (a Ray node died); the proposal is retried once
    }
)
RUN_STATUSES = FINISHED_STATUSES | {"running"}
ISOLATIONS = frozenset({"runc", "gvisor"})

PATTERNS: Mapping[str, re.Pattern[str]] = {
    "campaign_id": CAMPAIGN_ID,
    "run_id": RUN_ID,
    "name": re.compile(r"[a-z][a-z0-9_-]{0,31}"),  # brain, approval mode
    "reviewer": REVIEWER,
    "override": OVERRIDE_KEY,
    "evidence": re.compile(r"[a-z][a-z0-9_]{0,47}(?:/[a-z][a-z0-9_]{0,23})?"),
    "metric": re.compile(r"(?:train|val|test)/[a-z][a-z0-9_]{0,23}"),
    "lineage": re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"),
    "experiment": re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,95}"),
    "model_ref": re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,199}"),
    "sha256": SHA256,
}
MAX_ITEMS = 64
MAX_STR_VALUE = 256


def check(kind: str, field: str, value: object) -> str:
    """`value` if it is a string matching the `kind` pattern in full, else BadRecord."""
    if not isinstance(value, str) or not PATTERNS[kind].fullmatch(value):
        raise BadRecord(field, f"{value!r:.80} is not a valid {kind.replace('_', ' ')}")
    return value


def check_text(field: str, value: object, limit: int, multiline: bool = False) -> str:
    """Sentinel's own wording: printable, bounded, one line unless `multiline`."""
    if not isinstance(value, str) or len(value) > limit:
        raise BadRecord(field, f"must be a string of at most {limit} characters")
    allowed = {"\n"} if multiline else set()
    if not all(ch.isprintable() or ch in allowed for ch in value):
        raise BadRecord(field, "contains control characters")
    return value


def clean_text(value: object, limit: int, multiline: bool = False) -> str:
    """Sentinel's own wording made safe to store: control characters become spaces (newlines
    survive when `multiline`) and the text is cut at `limit`. Used where refusing would lose a
    state change over its wording (reasons, rationales); never for keys or enumerations."""
    keep = {"\n"} if multiline else set()
    return "".join(ch if ch.isprintable() or ch in keep else " " for ch in str(value))[:limit]


def finite(value: object) -> float | None:
    """A finite float, or None for NaN/inf/None: SQLite and strict JSON have no NaN."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def scalars_json(field: str, mapping: Mapping[str, Any]) -> str:
    """Overrides: dotted keys -> plain scalars, as canonical JSON (sorted, so groups come first)."""
    if not isinstance(mapping, Mapping) or len(mapping) > MAX_ITEMS:
        raise BadRecord(field, f"must be a mapping of at most {MAX_ITEMS} entries")
    out: dict[str, Scalar] = {}
    for key, value in mapping.items():
        check("override", f"{field} key", key)
        if isinstance(value, str):
            out[key] = check_text(f"{field}.{key}", value, MAX_STR_VALUE)
        elif isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
            out[key] = value
        else:
            raise BadRecord(
                f"{field}.{key}", f"must be a string, bool, int or finite float, got {value!r:.40}"
            )
    return json.dumps(out, sort_keys=True, allow_nan=False)


def numbers_json(field: str, mapping: Mapping[str, Any]) -> str:
    """Evidence and params: identifier keys -> numbers (non-finite becomes null), nothing else."""
    if not isinstance(mapping, Mapping) or len(mapping) > MAX_ITEMS:
        raise BadRecord(field, f"must be a mapping of at most {MAX_ITEMS} entries")
    out: dict[str, float | int | None] = {}
    for key, value in mapping.items():
        check("evidence", f"{field} key", key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise BadRecord(f"{field}.{key}", f"must be a number, got {value!r:.40}")
        out[key] = value if isinstance(value, int) else finite(value)
    return json.dumps(out, sort_keys=True, allow_nan=False)

"""The reviewer's answer, kept in the bundle folder as `decision.json` beside what was reviewed.

`sentinel review approve|reject|modify` writes it; `campaign resume` reads it through the offline
hook and records it in the FeedbackStore. A decision names the bundle digest it was made on,
so a bundle that changes afterwards is no longer approved. Once written, a decision is final
for that bundle: repeating the same answer is a no-op, anything else is refused (exit 2).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sentinel.agent.errors import AlreadyDecided, BundleChanged, BundleInvalid, ReviewError
from sentinel.agent.review.bundle import DECISION_FILE, folder_digest, read_seal, write_atomic
from sentinel.contract.patterns import REVIEWER, SHA256

__all__ = ["REVIEWER", "ReviewDecision", "read_decision", "record_decision"]

ANSWERS = frozenset({"approved", "rejected", "modified"})
MAX_DECISION_BYTES = 64 * 1024
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """`overrides` is the full replacement set for a `modified` decision, empty otherwise."""

    decision: str
    reviewer: str
    bundle_sha256: str | None
    decided_at: float
    overrides: Mapping[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.decision not in ANSWERS:
            raise ValueError(f"decision must be one of {sorted(ANSWERS)}, got {self.decision!r}")
        if not isinstance(self.reviewer, str) or not REVIEWER.fullmatch(self.reviewer):
            raise ValueError(f"reviewer {self.reviewer!r:.80} is not a valid name (letters, digits, _.@+-)")
        if self.bundle_sha256 is not None and not SHA256.fullmatch(str(self.bundle_sha256)):
            raise ValueError("bundle_sha256 is not a sha256 hex digest")
        if self.decision == "modified" and not self.overrides:
            raise ValueError("a modified decision needs its overrides")
        for key, value in self.overrides.items():
            if not isinstance(key, str) or isinstance(value, dict | list) or value is None:
                raise ValueError(f"override {key!r} must map to a plain scalar")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "decision": self.decision,
            "reviewer": self.reviewer,
            "bundle_sha256": self.bundle_sha256,
            "decided_at": self.decided_at,
        }
        if self.overrides:
            data["overrides"] = dict(self.overrides)
        return data


def read_decision(folder: Path) -> ReviewDecision | None:
    """The recorded decision, None when there is none; BundleInvalid when it is unreadable."""
    path = Path(folder) / DECISION_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_DECISION_BYTES:
            raise ValueError("not a small regular file")
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or set(raw) - {*ReviewDecision.__slots__}:
            raise ValueError("not a decision object")
        at = raw.get("decided_at")
        if isinstance(at, bool) or not isinstance(at, int | float):
            raise ValueError("decided_at must be a number")
        return ReviewDecision(
            raw.get("decision"),  # type: ignore[arg-type]
            raw.get("reviewer"),  # type: ignore[arg-type]
            raw.get("bundle_sha256"),
            float(at),
            raw.get("overrides") or {},
        )
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as err:
        raise BundleInvalid(Path(folder), f"{DECISION_FILE} is unreadable ({err})") from None


def record_decision(
    folder: Path,
    decision: str,
    reviewer: str,
    *,
    overrides: Mapping[str, Scalar] | None = None,
    now: float | None = None,
) -> tuple[ReviewDecision, bool]:
    """Write the reviewer's answer on the bundle as it is now; returns it and whether it is new.

    Approving or modifying needs an intact bundle (its files still hash to the digest Sentinel
    sealed): a person must never approve evidence that someone edited. Rejecting is always
    allowed. An existing decision is kept when the same answer on the same digest is repeated
    and refused (AlreadyDecided / BundleChanged, exit 2) otherwise.
    """
    folder = Path(folder)
    if not REVIEWER.fullmatch(reviewer or ""):
        raise ReviewError(f"reviewer {reviewer!r:.80} is not a valid name (letters, digits, _.@+-)")
    current = _current_digest(folder, strict=decision != "rejected")
    existing = read_decision(folder)
    if existing is not None:
        return _same_or_refuse(folder, existing, decision, current, overrides), False
    made = ReviewDecision(decision, reviewer, current, time.time() if now is None else now, overrides or {})
    text = json.dumps(made.to_json(), indent=2, sort_keys=True) + "\n"
    write_atomic(folder / DECISION_FILE, text.encode())
    return made, True


def _current_digest(folder: Path, strict: bool) -> str | None:
    seal = read_seal(folder)
    try:
        current = folder_digest(folder)
    except BundleInvalid:
        if strict:
            raise
        return seal
    if strict and seal is None:
        raise BundleInvalid(folder, "has no seal (bundle.sha256); resume the campaign to rewrite it")
    if strict and current != seal:
        why = "Sentinel wrote it; resume the campaign to rewrite it"
        raise BundleChanged(folder, seal or "", current, why)
    return current


def _same_or_refuse(
    folder: Path,
    existing: ReviewDecision,
    decision: str,
    current: str | None,
    overrides: Mapping[str, Scalar] | None,
) -> ReviewDecision:
    if existing.decision != decision or dict(existing.overrides) != dict(overrides or {}):
        detail = f"already {existing.decision} by {existing.reviewer}; a decision is final"
        raise AlreadyDecided(folder, detail)
    if existing.bundle_sha256 != current:
        raise BundleChanged(
            folder, existing.bundle_sha256 or "", current or "", f"{existing.reviewer} {existing.decision} it"
        )
    return existing

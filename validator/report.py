"""What the validator hands back: every finding with its exact place, and a verdict.

Reports cross into review bundles and `--json` output, so they are plain frozen data that
serialises to JSON without help, and the verdict is derived (no findings means accepted)
rather than stored, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["INTERNAL_ERROR", "Report", "Violation"]

INTERNAL_ERROR = "SV000"  # a rule crashed: the file is rejected (fail closed), never accepted
MAX_SNIPPET = 120


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding. `line` and `column` are 1-based and count characters, not bytes."""

    code: str
    line: int
    column: int
    message: str
    snippet: str = ""

    def __post_init__(self) -> None:
        if self.line < 1 or self.column < 1:
            raise ValueError(f"line and column are 1-based, got {self.line}:{self.column}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "snippet": self.snippet,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on one source. `path` is informational; `sha256` pins the exact bytes judged.

    `entry_points` lists the classes that satisfy the registry's constructor contract, so a
    caller can pick the class to register without parsing the source again.
    """

    violations: tuple[Violation, ...]
    sha256: str
    path: str | None = None
    class_name: str | None = None
    entry_points: tuple[str, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        return not self.violations

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(v.code for v in self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "accepted": self.accepted,
            "sha256": self.sha256,
            "class_name": self.class_name,
            "entry_points": list(self.entry_points),
            "violations": [v.to_dict() for v in self.violations],
        }

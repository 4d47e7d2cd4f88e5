"""One parser per artifact document: framing, strict JSON and schema, with locations.

Each turns Violations (location-free) into ArtifactRejected with Sentinel's full sentence,
e.g. "metrics.jsonl line 12 exceeds 4096 bytes" or "summary.json: field 'status' is not one
of completed, diverged, failed". `JsonLines` is shared by read_artifacts and MetricsTail, so
the live progress and the final read apply the very same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from sentinel.contract.records import RunSummary
from sentinel.sandbox.artifacts._json import LineSplitter, StrictJson, Violation
from sentinel.sandbox.artifacts._limits import SUMMARY_FILE, ArtifactLimits
from sentinel.sandbox.artifacts._schema import parse_summary
from sentinel.sandbox.errors import ArtifactRejected

R = TypeVar("R")


class JsonLines(Generic[R]):
    """Incremental JSONL parser: feed bytes in any pieces, get records of complete lines.

    Blank lines are violations (the writer never emits them); an unterminated last line is
    held back in `pending` (at most `max_line_bytes`) until its newline arrives.
    """

    def __init__(
        self,
        file: str,
        parse: Callable[[Mapping[str, Any], ArtifactLimits], R],
        max_lines: int,
        limits: ArtifactLimits,
    ) -> None:
        self.file = file
        self._parse = parse
        self._max_lines = max_lines
        self._limits = limits
        self._json = StrictJson(limits)
        self._splitter = LineSplitter(limits.max_line_bytes)

    @property
    def lines(self) -> int:
        return self._splitter.lines

    @property
    def pending(self) -> int:
        return self._splitter.pending

    def feed(self, chunk: bytes) -> list[R]:
        records: list[R] = []
        try:
            for raw in self._splitter.feed(chunk):
                if self._splitter.lines > self._max_lines:
                    raise ArtifactRejected(self.file, f"{self.file} holds more than {self._max_lines} lines")
                if not raw.strip():
                    raise Violation("is empty")
                records.append(self._parse(self._json.object(raw), self._limits))
        except Violation as err:
            where = f"{self.file} line {self._splitter.lines}"
            raise ArtifactRejected(self.file, err.sentence(where)) from None
        return records

    def unterminated_note(self) -> str | None:
        """Sentinel's wording for a cut-off last line (a run killed mid-write), if any."""
        if not self._splitter.pending:
            return None
        return f"{self.file}: unterminated last line ignored ({self._splitter.pending} bytes)"


def parse_summary_document(raw: bytes, limits: ArtifactLimits) -> RunSummary:
    try:
        return parse_summary(StrictJson(limits).object(raw), limits)
    except Violation as err:
        raise ArtifactRejected(SUMMARY_FILE, err.sentence(SUMMARY_FILE)) from None

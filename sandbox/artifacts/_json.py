"""Strict JSON for hostile bytes: the framing and decoding rules shared by every artifact.

Python's json module accepts NaN/Infinity literals, silently keeps the last of duplicate keys,
turns 1e999 into inf and recurses once per nesting level; each of those is closed here. The
caller gets a plain dict only long enough for `_schema` to turn it into a record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any, NoReturn

from sentinel.sandbox.artifacts._limits import ArtifactLimits

_MAX_INT_DIGITS = 19  # covers every int the contract allows; longer literals are rejected unparsed


class Violation(Exception):
    """A rule broken by the current document; `problem` is Sentinel's wording without location.

    `problem` reads after a location ("metrics.jsonl line 3" + problem): it starts with a verb
    ("exceeds ...", "is not ...") or with ": " for field-level problems. It must never contain
    text taken from the artifact.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem

    def sentence(self, where: str) -> str:
        return where + self.problem if self.problem.startswith(":") else f"{where} {self.problem}"


def _reject_constant(name: str) -> NoReturn:
    raise Violation("holds a NaN or Infinity literal (write null and list the key in 'nonfinite')")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise Violation(f"holds an integer longer than {_MAX_INT_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Violation("holds a number too large for a float")
    return value


class StrictJson:
    """A JSON decoder for one document (a summary, or one JSONL line) under `limits`."""

    def __init__(self, limits: ArtifactLimits) -> None:
        self._limits = limits
        self._decoder = json.JSONDecoder(
            object_pairs_hook=self._object,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len(pairs) > self._limits.max_keys:
            raise Violation(f"has an object with more than {self._limits.max_keys} keys")
        obj = dict(pairs)
        if len(obj) != len(pairs):
            raise Violation("repeats a key in one object")
        return obj

    def object(self, raw: bytes) -> dict[str, Any]:
        """Decode `raw` as one UTF-8 JSON object, or raise Violation.

        Counting brackets before parsing bounds the parser's recursion and work: no valid
        artifact document holds more than a handful of objects and arrays, and a bracket inside a
        string only makes the bound stricter (no valid string field contains one).
        """
        limit = self._limits.max_json_containers
        if raw.count(b"{") + raw.count(b"[") > limit:
            raise Violation(f"is nested too deeply (more than {limit} JSON objects and arrays)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Violation("is not valid UTF-8") from None
        try:
            value = self._decoder.decode(text)
        except json.JSONDecodeError as err:
            # err.msg is one of json's own fixed phrases; the position and document are dropped
            raise Violation(f"is not valid JSON ({err.msg})") from None
        except (ValueError, RecursionError):
            raise Violation("is not valid JSON") from None
        if not isinstance(value, dict):
            raise Violation("is not a JSON object")
        return value


class LineSplitter:
    """Cut a byte stream into complete newline-terminated lines, holding at most one line.

    Memory stays bounded by `max_line_bytes` however the bytes arrive (all at once, byte by
    byte, or across MetricsTail polls); the unterminated rest waits in `pending`.
    """

    def __init__(self, max_line_bytes: int) -> None:
        self._max = max_line_bytes
        self._buf = b""
        self.lines = 0  # complete lines cut so far, for "line N" locations

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """Yield each complete line (without its newline); raise Violation on an overlong one.

        An overlong line is reported as soon as its first `max_line_bytes + 1` bytes are in,
        without waiting for (or buffering) the rest.
        """
        data = self._buf + chunk if self._buf else chunk
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            self.lines += 1
            if end - start > self._max:
                raise Violation(f"exceeds {self._max} bytes")
            yield data[start:end]
            start = end + 1
        rest = data[start:]
        if len(rest) > self._max:
            self.lines += 1
            raise Violation(f"exceeds {self._max} bytes")
        self._buf = rest

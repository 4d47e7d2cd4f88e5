"""Helpers the container tests share (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import json


def payload_report(result) -> dict:
    """The last line of a payload's stdout that is a JSON object (payloads print one report)."""
    for line in reversed(result.log_tail.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"payload printed no report; status={result.status} log={result.log_tail[-500:]}")

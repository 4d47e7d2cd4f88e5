"""Read monitor_events.jsonl files defensively for `sentinel monitor status` (host side).

The files come from runs, so they are hostile input: only regular files (lstat, never follow a
symlink), at most `MAX_FILE_BYTES` read per file, every line strictly parsed by
`events.parse_event` (enumerated strings, finite numbers, bounded keys); a bad line is counted
and skipped, never shown. What comes out holds only enumerated names and numbers.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel.contract.events import MAX_LINE_BYTES, EventError, outcome_name, parse_event

__all__ = ["MAX_FILE_BYTES", "EventsFile", "Experience", "latest_experiences", "read_events"]

MAX_FILE_BYTES = 4 * 1024 * 1024  # the trainer caps monitor_events.jsonl at 2 MiB


@dataclass(frozen=True, slots=True)
class Experience:
    """One experience record, ready to display: names are from the enumerations only."""

    source: int | str  # the file's index (paths are the caller's, not the run's) or the store's run id
    step: int
    anomaly: str
    action: str
    outcome: str
    reward: float
    evidence: dict[str, float]
    params: dict[str, float]


@dataclass(slots=True)
class EventsFile:
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected_lines: int = 0
    truncated: bool = False
    error: str | None = None  # Sentinel's wording, never the file's


def read_events(path: Path) -> EventsFile:
    out = EventsFile()
    try:
        info = os.lstat(path)
    except OSError:
        out.error = "cannot stat the file"
        return out
    if not stat.S_ISREG(info.st_mode):
        out.error = "not a regular file (symlinks and devices are refused)"
        return out
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        out.error = "cannot open the file"
        return out
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            out.error = "not a regular file (symlinks and devices are refused)"
            return out
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        data, out.truncated = data[:MAX_FILE_BYTES], True
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        lines.pop()  # an unterminated last line may be half-written: ignore it
        out.truncated = True
    for line in lines:
        if len(line) > MAX_LINE_BYTES:
            out.rejected_lines += 1
            continue
        try:
            out.events.append(parse_event(line))
        except EventError:
            out.rejected_lines += 1
    return out


def latest_experiences(files: Iterable[EventsFile], n: int) -> list[Experience]:
    """The last `n` experience records, file by file in the order given, newest last. Run-quality
    reports (a collapse, a mediocre run: action "none") are listed too, with outcome "reported":
    they are what an operator most needs to see about a run that otherwise completed."""
    found: list[Experience] = []
    for index, parsed in enumerate(files):
        for event in parsed.events:
            if event["kind"] != "experience" and event["action"] == "none":
                found.append(
                    Experience(
                        index,
                        event["step"],
                        event["anomaly"],
                        "none",
                        "reported",
                        math.nan,
                        dict(event["evidence"]),
                        dict(event["params"]),
                    )
                )
                continue
            if event["kind"] != "experience":
                continue
            params = dict(event["params"])
            outcome = outcome_name(params.pop("outcome"))
            reward = params.pop("reward")
            found.append(
                Experience(
                    index,
                    event["step"],
                    event["anomaly"],
                    event["action"],
                    outcome or "?",
                    reward,
                    dict(event["evidence"]),
                    params,
                )
            )
    return found[-n:] if n > 0 else []

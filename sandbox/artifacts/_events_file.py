"""read_events_file: one monitor_events.jsonl given by path, under read_artifacts' rules.

`sentinel monitor status --events FILE` shows the monitor's records from files an operator
points at, outside any run folder. They are run output all the same, so they get the one
hostile-input policy: the file's folder is opened without following a link, the file is
lstat'ed, opened O_NOFOLLOW | O_NONBLOCK and re-checked by descriptor, read up to the events
cap, and every line strictly parsed; the first violation rejects the whole file.
"""

from __future__ import annotations

import os
from pathlib import Path

from sentinel.contract.records import ArtifactFile, MonitorEvent, RunArtifacts
from sentinel.sandbox.artifacts._documents import JsonLines
from sentinel.sandbox.artifacts._fs import Entry, Overflow, cannot, open_entry, open_folder, read_bounded
from sentinel.sandbox.artifacts._limits import DEFAULT_LIMITS, EVENTS_FILE, ArtifactLimits
from sentinel.sandbox.artifacts._schema import parse_event
from sentinel.sandbox.errors import ArtifactRejected


def read_events_file(path: Path, limits: ArtifactLimits = DEFAULT_LIMITS) -> RunArtifacts:
    """The events of one file as a RunArtifacts holding only `events` (or only a rejection).

    Never raises on the file's content or type: a symlink, FIFO, directory, missing file, an
    oversized file or a bad line gives `rejection` in Sentinel's words. An unterminated last
    line is ignored and noted, as in a run folder.
    """
    path = Path(path)
    try:
        folder = open_folder(path.parent)
    except ArtifactRejected as err:
        return RunArtifacts.rejected(err.file, err.reason)
    try:
        return _read(folder, path.name, limits)
    except ArtifactRejected as err:
        return RunArtifacts.rejected(err.file, err.reason)
    finally:
        os.close(folder)


def _read(folder: int, name: str, limits: ArtifactLimits) -> RunArtifacts:
    try:
        seen = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError as err:
        raise cannot(name, "inspected", err) from None
    events: list[MonitorEvent] = []
    lines = JsonLines(EVENTS_FILE, parse_event, limits.max_event_lines, limits)
    fd = open_entry(folder, Entry(name, seen))
    try:
        size, sha256 = read_bounded(fd, name, limits.max_events_bytes, lambda c: events.extend(lines.feed(c)))
    except Overflow:
        raise ArtifactRejected(
            EVENTS_FILE, f"{EVENTS_FILE} exceeds {limits.max_events_bytes} bytes"
        ) from None
    finally:
        os.close(fd)
    note = lines.unterminated_note()
    return RunArtifacts(
        events=tuple(events), files=(ArtifactFile(EVENTS_FILE, size, sha256),), notes=(note,) if note else ()
    )

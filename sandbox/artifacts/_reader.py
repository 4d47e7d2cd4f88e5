"""read_artifacts and copy_artifacts: the host's only way into a run's artifact folder.

Policy, decided here:
- Regular files only. A symlink, FIFO, socket or device anywhere in the folder rejects the run
  (Sentinel's runtime writes none, so one is a sign of tampering); it is never opened through
  the link, and never read.
- Subdirectories are ignored: never entered, never listed in `files` (an ext4 artifact volume
  has `lost+found`). A directory where a known artifact is expected rejects the run.
- Every regular file is sized and hashed; only the contract's files are parsed, and
  checkpoint.pt and unknown files never are (nothing is ever unpickled on the host).
- A file name must match `vocabulary.FILE_NAME`, so names are safe to display.
- A JSONL file's unterminated last line (a run killed mid-write) is ignored and noted.
- The first violation stops reading; the result then carries only the rejection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from sentinel.contract import vocabulary as vocab
from sentinel.contract.records import ArtifactFile, MetricRecord, MonitorEvent, RunArtifacts
from sentinel.sandbox.artifacts._documents import JsonLines, parse_summary_document
from sentinel.sandbox.artifacts._fs import (
    FOLDER,
    Entry,
    Overflow,
    list_entries,
    not_regular,
    open_entry,
    open_folder,
    read_bounded,
)
from sentinel.sandbox.artifacts._limits import (
    DEFAULT_LIMITS,
    EVENTS_FILE,
    KNOWN_FILES,
    METRICS_FILE,
    SUMMARY_FILE,
    ArtifactLimits,
)
from sentinel.sandbox.artifacts._schema import parse_event, parse_metric
from sentinel.sandbox.errors import ArtifactRejected

_log = logging.getLogger(__name__)
INTERNAL_ERROR = "artifacts could not be read (internal error in the artifact reader)"


def read_artifacts(directory: Path, limits: ArtifactLimits = DEFAULT_LIMITS) -> RunArtifacts:
    """Read a finished run's artifact folder; never raises on anything the run wrote.

    Call after the container has exited (MetricsTail is for a live run). A violation gives a
    RunArtifacts whose `rejection` says what was wrong and whose other fields are empty.
    """
    return _read(directory, limits, None)


def copy_artifacts(src: Path, dst: Path, limits: ArtifactLimits = DEFAULT_LIMITS) -> RunArtifacts:
    """Read `src` like read_artifacts and keep the accepted known artifacts in `dst`.

    The bytes copied are exactly the bytes checked and hashed (one read per file, by
    descriptor). Each file goes to a fresh temporary in `dst` and is renamed into place only
    once the whole folder is accepted, so a rejected run leaves nothing in `dst`, and a symlink
    planted at a destination name is replaced, never written through. Only `KNOWN_FILES` are
    copied (an unknown "run.json" must not land beside the host's own). Failures on the host
    side (`dst` unwritable, disk full) raise OSError, temporaries removed; hostile content
    never raises.
    """
    dst.mkdir(parents=True, exist_ok=True)
    staging = _Staging(os.open(dst, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    try:
        result = _read(src, limits, staging)
        if result.accepted:
            staging.commit()
        return result
    except _HostWriteError as err:
        raise err.__cause__ from None  # type: ignore[misc]
    finally:
        staging.close()


class _HostWriteError(Exception):
    """Wraps an OSError from the destination so it is not mistaken for hostile content."""


class _Staging:
    """Temporary copies in the destination folder, renamed into place only on commit."""

    def __init__(self, dst_fd: int) -> None:
        self._dst = dst_fd
        self._temps: dict[str, tuple[int, str]] = {}  # final name -> (fd, temporary name)
        self._renamed: set[str] = set()

    def writer(self, name: str) -> Callable[[bytes], None]:
        tmp = f".{name}.{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(tmp, flags, 0o644, dir_fd=self._dst)
        except OSError as err:
            raise _HostWriteError() from err
        self._temps[name] = (fd, tmp)

        def write(chunk: bytes) -> None:
            view = memoryview(chunk)
            try:
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as err:
                raise _HostWriteError() from err

        return write

    def commit(self) -> None:
        """Make every copy durable, then rename each into place and sync the folder."""
        try:
            for fd, _ in self._temps.values():
                os.fsync(fd)
            for name, (_, tmp) in self._temps.items():
                os.replace(tmp, name, src_dir_fd=self._dst, dst_dir_fd=self._dst)
                self._renamed.add(name)
            os.fsync(self._dst)
        except OSError as err:
            raise _HostWriteError() from err

    def close(self) -> None:
        """Close every copy, remove the temporaries not renamed, close the destination folder."""
        for name, (fd, tmp) in self._temps.items():
            os.close(fd)
            if name not in self._renamed:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=self._dst)
        self._temps.clear()
        os.close(self._dst)


def raise_if_rejected(result: RunArtifacts) -> RunArtifacts:
    """For callers that prefer the error tree: raise ArtifactRejected, else return `result`."""
    if result.rejection is not None:
        raise ArtifactRejected(result.rejected_file or "", result.rejection)
    return result


def _read(directory: Path, limits: ArtifactLimits, staging: _Staging | None) -> RunArtifacts:
    try:
        folder = open_folder(directory)
    except ArtifactRejected as err:
        return RunArtifacts.rejected(err.file, err.reason)
    try:
        return _collect(folder, limits, staging)
    except ArtifactRejected as err:
        return RunArtifacts.rejected(err.file, err.reason)
    except _HostWriteError:
        raise  # the host's own disk failed: not the run's fault, copy_artifacts re-raises it
    except Exception:  # a reader bug must mark the run, not crash the campaign
        _log.exception("artifact reader failed on %s", directory)
        return RunArtifacts(rejection=INTERNAL_ERROR)
    finally:
        os.close(folder)


def _accepted_entries(folder: int, limits: ArtifactLimits, notes: list[str]) -> list[Entry]:
    """Apply the folder-level policy to the lstat results; regular files, known ones first."""
    regular: list[Entry] = []
    subdirectories = 0
    for entry in list_entries(folder, limits):
        mode = entry.lstat.st_mode
        if stat.S_ISDIR(mode) and entry.name not in KNOWN_FILES:
            subdirectories += 1
            continue
        if not stat.S_ISREG(mode):
            raise not_regular(entry.name, mode)
        if not vocab.FILE_NAME.fullmatch(entry.name):
            raise ArtifactRejected(FOLDER, "artifact folder holds a file with a disallowed name")
        cap = limits.file_cap(entry.name)
        if entry.lstat.st_size > cap:
            raise ArtifactRejected(entry.name, f"{entry.name} exceeds {cap} bytes")
        regular.append(entry)
    if sum(e.lstat.st_size for e in regular) > limits.max_total_bytes:
        raise ArtifactRejected(FOLDER, f"artifact folder holds more than {limits.max_total_bytes} bytes")
    if subdirectories:
        notes.append(f"{subdirectories} subdirectories ignored (never entered)")
    rank = {name: i for i, name in enumerate(KNOWN_FILES)}
    return sorted(regular, key=lambda e: (rank.get(e.name, len(rank)), e.name))


def _collect(folder: int, limits: ArtifactLimits, staging: _Staging | None) -> RunArtifacts:
    notes: list[str] = []
    metrics: list[MetricRecord] = []
    events: list[MonitorEvent] = []
    summary_bytes: list[bytes] = []
    files: list[ArtifactFile] = []
    metric_lines = JsonLines(METRICS_FILE, parse_metric, limits.max_metric_lines, limits)
    event_lines = JsonLines(EVENTS_FILE, parse_event, limits.max_event_lines, limits)
    sinks: dict[str, Callable[[bytes], None]] = {
        METRICS_FILE: lambda chunk: metrics.extend(metric_lines.feed(chunk)),
        EVENTS_FILE: lambda chunk: events.extend(event_lines.feed(chunk)),
        SUMMARY_FILE: summary_bytes.append,
    }
    total = 0
    unknown = 0
    for entry in _accepted_entries(folder, limits, notes):
        sink = sinks.get(entry.name, _discard)
        if staging is not None and entry.name in KNOWN_FILES:
            sink = _tee(sink, staging.writer(entry.name))
        unknown += entry.name not in KNOWN_FILES
        fd = open_entry(folder, entry)
        try:
            cap, budget = limits.file_cap(entry.name), limits.max_total_bytes - total
            size, sha256 = read_bounded(fd, entry.name, min(cap, budget), sink)
        except Overflow:
            if budget < cap:
                raise ArtifactRejected(
                    FOLDER, f"artifact folder holds more than {limits.max_total_bytes} bytes"
                ) from None
            raise ArtifactRejected(entry.name, f"{entry.name} exceeds {cap} bytes") from None
        finally:
            os.close(fd)
        total += size
        files.append(ArtifactFile(entry.name, size, sha256))

    summary = None
    if summary_bytes or any(f.name == SUMMARY_FILE for f in files):
        summary = parse_summary_document(b"".join(summary_bytes), limits)
        if summary.reason_dropped:
            notes.append(f"{SUMMARY_FILE}: reason dropped (not one of Sentinel's enumerated reasons)")
    notes.extend(n for n in (metric_lines.unterminated_note(), event_lines.unterminated_note()) if n)
    if unknown:
        kept = "not parsed" if staging is None else "not parsed, not copied"
        notes.append(f"{unknown} unrecognised files sized and hashed, {kept}")
    return RunArtifacts(
        metrics=tuple(metrics),
        summary=summary,
        events=tuple(events),
        files=tuple(sorted(files, key=lambda f: f.name)),
        notes=tuple(notes),
    )


def _discard(chunk: bytes) -> None:
    """Sink for files that are only sized and hashed (checkpoint.pt, unknown files)."""


def _tee(first: Callable[[bytes], None], second: Callable[[bytes], None]) -> Callable[[bytes], None]:
    def both(chunk: bytes) -> None:
        first(chunk)
        second(chunk)

    return both

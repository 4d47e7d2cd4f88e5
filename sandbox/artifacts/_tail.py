"""MetricsTail: read a live run's metrics.jsonl for progress, under the final read's rules.

The host polls while the container writes. Each poll reopens the folder and the file (no
descriptor is held between polls, so nothing pins the artifact volume and unmounting it is
never blocked), reads at most `max_tail_read_bytes` past the last offset, and hands back the
records of the lines completed since. The first violation ends tailing for good.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sentinel.contract.records import MetricRecord
from sentinel.sandbox.artifacts._documents import JsonLines
from sentinel.sandbox.artifacts._fs import Entry, cannot, open_entry
from sentinel.sandbox.artifacts._limits import DEFAULT_LIMITS, METRICS_FILE, ArtifactLimits
from sentinel.sandbox.artifacts._schema import parse_metric
from sentinel.sandbox.errors import ArtifactRejected

_log = logging.getLogger(__name__)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class MetricsTail:
    """Incremental, bounded reader of metrics.jsonl for a progress display.

    `poll()` never raises on what the run wrote and never blocks: a missing folder or file
    means "nothing yet". Memory is bounded by one partial line plus one poll's records. The
    file must stay the same inode, only grow and stay under `max_metrics_bytes`; a symlink,
    FIFO, replacement, truncation or any line-level violation sets `rejection` and stops
    tailing. Not thread-safe: one poller per tail. The authoritative result is still
    `read_artifacts` after the run; this only feeds progress.
    """

    def __init__(self, directory: Path, limits: ArtifactLimits = DEFAULT_LIMITS) -> None:
        self._directory = directory
        self._limits = limits
        self._lines = JsonLines(METRICS_FILE, parse_metric, limits.max_metric_lines, limits)
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._records = 0
        self._last: MetricRecord | None = None
        self._rejection: str | None = None

    @property
    def rejection(self) -> str | None:
        """Sentinel's wording of the violation that stopped tailing, if any."""
        return self._rejection

    @property
    def last(self) -> MetricRecord | None:
        """The newest accepted record: what a progress bar shows."""
        return self._last

    @property
    def records(self) -> int:
        """How many records were accepted so far."""
        return self._records

    @property
    def offset(self) -> int:
        """Bytes of metrics.jsonl consumed so far (complete lines plus the held-back partial)."""
        return self._offset

    def poll(self) -> tuple[MetricRecord, ...]:
        """Records of the lines completed since the previous poll; () once rejected."""
        if self._rejection is not None:
            return ()
        try:
            new = self._poll()
        except ArtifactRejected as err:
            self._rejection = err.reason
            return ()
        except Exception:  # a reader bug must not take the progress display (or the host) down
            _log.exception("metrics tail failed on %s", self._directory)
            self._rejection = f"{METRICS_FILE} could not be read (internal error in the artifact reader)"
            return ()
        if new:
            self._records += len(new)
            self._last = new[-1]
        return tuple(new)

    def _poll(self) -> list[MetricRecord]:
        try:
            folder = os.open(self._directory, _DIR_FLAGS)
        except OSError:
            return []  # not mounted yet, or already gone: nothing to show
        try:
            try:
                seen = os.stat(METRICS_FILE, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                if self._identity is None:
                    return []
                gone = f"{METRICS_FILE} disappeared while the run was going"
                raise ArtifactRejected(METRICS_FILE, gone) from None
            fd = open_entry(folder, Entry(METRICS_FILE, seen))
            try:
                return self._read_new(fd)
            finally:
                os.close(fd)
        finally:
            os.close(folder)

    def _read_new(self, fd: int) -> list[MetricRecord]:
        now = os.fstat(fd)
        identity = (now.st_dev, now.st_ino)
        if self._identity is None:
            self._identity = identity
        elif identity != self._identity:
            raise ArtifactRejected(METRICS_FILE, f"{METRICS_FILE} was replaced while the run was going")
        if now.st_size < self._offset:
            raise ArtifactRejected(METRICS_FILE, f"{METRICS_FILE} shrank while the run was going")
        cap = self._limits.max_metrics_bytes
        want = min(now.st_size, cap + 1) - self._offset
        if want <= 0:
            return []
        try:
            data = os.pread(fd, min(want, self._limits.max_tail_read_bytes), self._offset)
        except OSError as err:
            raise cannot(METRICS_FILE, "read", err) from None
        self._offset += len(data)
        if self._offset > cap:
            raise ArtifactRejected(METRICS_FILE, f"{METRICS_FILE} exceeds {cap} bytes")
        return self._lines.feed(data)

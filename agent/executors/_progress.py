"""Live progress across the cluster: a run's metrics lines travel from its node to the head while
it runs, so `on_progress` works with `--executor ray` as it does locally.

Three parts, one job each:
- `ProgressChannel` is the body of one small Ray actor per executor (so per campaign), created by
  the head on its own node with no CPU. It holds what nodes pushed, per run, bounded: a run the
  head did not open is dropped, and a run's backlog over `MAX_PENDING_BYTES` loses its oldest
  messages (progress is a view; the run's result still arrives whole at its end).
- `ProgressSender` is the `on_progress` of `launch_run` on the node. It reads the live
  metrics.jsonl through the node's hostile reader (`MetricsTail`), re-writes each accepted record
  as one canonical line, and pushes them at most every `SEND_S` (one message at once when the
  container is up, so the head learns it started), never waiting for the answer.
- `ProgressMirror` is the head's side: it checks every message from the node as untrusted
  (types, order, sizes), feeds its lines to the same line parser the artifact reader uses
  (types and ranges of every field), appends only accepted lines to a mirror metrics.jsonl
  under the run folder, and calls the caller's `on_progress` with that folder, exactly as the
  local executor calls it with the container's live folder.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel.sandbox.artifacts import DEFAULT_LIMITS, METRICS_FILE, ArtifactRejected, MetricsTail

if TYPE_CHECKING:
    from sentinel.agent.launch import OnProgress
    from sentinel.contract.records import MetricRecord

__all__ = [
    "LIVE_DIR",
    "MAX_MESSAGE_BYTES",
    "ProgressChannel",
    "ProgressMirror",
    "ProgressSender",
    "metric_line",
]

_log = logging.getLogger(__name__)

LIVE_DIR = ".live"  # the mirror's folder inside the head's run folder, removed when the run ends
SEND_S = 1.0  # a node pushes a run's new lines at most this often
MAX_MESSAGE_BYTES = 64 * 1024  # complete lines only; a line is at most 4 KiB (the reader's cap)
MAX_PENDING_BYTES = 1024 * 1024  # per run, held by the channel between two polls of the head
MAX_OPEN_RUNS = 1024  # runs followed at once by one channel
MAX_DRAIN = 64  # messages handed to the head per poll
MAX_SEQ = 2**31


def metric_line(record: MetricRecord) -> bytes:
    """One accepted record as the contract's metrics.jsonl line (null plus `nonfinite` for NaN)."""
    nonfinite = set(record.nonfinite)

    def value(key: str, number: float) -> float | None:
        return None if key in nonfinite or not math.isfinite(number) else number

    obj: dict[str, Any] = {
        "step": record.step,
        "epoch": record.epoch,
        "split": record.split,
        "loss": value("loss", record.loss),
    }
    if record.split == "train":
        obj["grad_norm"] = value("grad_norm", record.grad_norm if record.grad_norm is not None else math.nan)
        obj["lr"] = record.lr
        if record.fault is not None:
            obj["fault"] = record.fault
    else:
        obj.update({k: value(k, v) for k, v in record.values.items()})
    nulls = [k for k, v in obj.items() if v is None]
    if nulls:
        obj["nonfinite"] = nulls
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode() + b"\n"


class ProgressChannel:
    """Ray actor body (see the module docstring). Every method is cheap and never blocks."""

    def __init__(self) -> None:
        self._runs: dict[str, deque[tuple[int, bytes]]] = {}
        self._bytes: dict[str, int] = {}
        self.dropped = 0

    def open(self, run_id: str) -> bool:
        if run_id not in self._runs and len(self._runs) >= MAX_OPEN_RUNS:
            return False
        self._runs.setdefault(run_id, deque())
        self._bytes.setdefault(run_id, 0)
        return True

    def push(self, run_id: str, seq: int, chunk: bytes) -> None:
        pending = self._runs.get(run_id)
        if pending is None or type(chunk) is not bytes or len(chunk) > MAX_MESSAGE_BYTES:
            self.dropped += 1
            return
        pending.append((seq, chunk))
        self._bytes[run_id] += len(chunk)
        while self._bytes[run_id] > MAX_PENDING_BYTES and len(pending) > 1:
            _, old = pending.popleft()
            self._bytes[run_id] -= len(old)
            self.dropped += 1

    def drain(self, run_id: str) -> list[tuple[int, bytes]]:
        pending = self._runs.get(run_id)
        out: list[tuple[int, bytes]] = []
        while pending and len(out) < MAX_DRAIN:
            item = pending.popleft()
            self._bytes[run_id] -= len(item[1])
            out.append(item)
        return out

    def close(self, run_id: str) -> None:
        self._runs.pop(run_id, None)
        self._bytes.pop(run_id, None)


class ProgressSender:
    """Node side: `launch_run`'s `on_progress` for one run; a failure to push only ends pushing."""

    def __init__(self, channel: Any, run_id: str, send_s: float = SEND_S) -> None:
        self._channel, self._run_id, self._send_s = channel, run_id, send_s
        self._tail: MetricsTail | None = None
        self._seq = 0
        self._next = 0.0
        self._broken = False

    def __call__(self, live_dir: Path, config: dict) -> None:
        if self._broken:
            return
        now = time.monotonic()
        if self._tail is None:  # the container is up: say so at once, with what is there
            self._tail = MetricsTail(live_dir)
        elif now < self._next:
            return
        self._next = now + self._send_s
        lines = [metric_line(record) for record in self._tail.poll()]
        chunks = _pack(lines) if lines else ([b""] if self._seq == 0 else [])
        try:
            for chunk in chunks:
                self._channel.push.remote(self._run_id, self._seq, chunk)
                self._seq += 1
        except Exception:  # the channel is gone (the head went away): the run goes on regardless
            _log.warning("progress of %s can no longer be sent to the head", self._run_id)
            self._broken = True


def _pack(lines: list[bytes]) -> list[bytes]:
    """Complete lines grouped into chunks of at most MAX_MESSAGE_BYTES."""
    chunks: list[bytes] = []
    current = b""
    for line in lines:
        if current and len(current) + len(line) > MAX_MESSAGE_BYTES:
            chunks.append(current)
            current = b""
        current += line
    if current:
        chunks.append(current)
    return chunks


class ProgressMirror:
    """Head side for one run: untrusted messages in, accepted lines and `on_progress` calls out."""

    def __init__(self, folder: Path, config: dict, on_progress: OnProgress) -> None:
        from sentinel.sandbox.artifacts._documents import JsonLines
        from sentinel.sandbox.artifacts._schema import parse_metric

        self.folder, self._config, self._on_progress = folder, config, on_progress
        limits = DEFAULT_LIMITS
        self._lines = JsonLines(METRICS_FILE, parse_metric, limits.max_metric_lines, limits)
        self._cap = limits.max_metrics_bytes
        self._seq = -1
        self._size = 0
        self.rejection: str | None = None
        self.dropped = 0

    def accept(self, batch: object) -> int:
        """Take one drained batch; returns how many messages were accepted (0: no call made)."""
        if self.rejection is not None or type(batch) is not list:
            return 0
        accepted = 0
        for message in batch[:MAX_DRAIN]:
            chunk = self._checked(message)
            if chunk is None:
                self.dropped += 1
                continue
            try:
                self._lines.feed(chunk)  # every field's type and range, as the artifact reader does
            except ArtifactRejected as err:
                self.rejection = err.reason  # like MetricsTail: the first violation ends following
                break
            self._append(chunk)
            accepted += 1
        if accepted:
            self._on_progress(self.folder, self._config)
        return accepted

    def _checked(self, message: object) -> bytes | None:
        """The chunk of a well-formed message that follows the last one, else None."""
        if type(message) is not tuple or len(message) != 2:
            return None
        seq, chunk = message
        if type(seq) is not int or not self._seq < seq < MAX_SEQ:
            return None
        if type(chunk) is not bytes or len(chunk) > MAX_MESSAGE_BYTES:
            return None
        if chunk and not chunk.endswith(b"\n"):
            return None  # the sender sends complete lines only
        if self._size + len(chunk) > self._cap:
            return None
        self._seq = seq
        return chunk

    def _append(self, chunk: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / METRICS_FILE).open("ab") as handle:
            handle.write(chunk)
        self._size += len(chunk)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

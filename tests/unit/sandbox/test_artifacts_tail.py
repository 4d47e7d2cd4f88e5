"""MetricsTail while a run is still writing: partial lines, growth, swaps, and bounded work."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from sentinel.contract.records import MetricRecord
from sentinel.sandbox.artifacts import ArtifactLimits, MetricsTail, read_artifacts

TRAIN = {"step": 0, "epoch": 0, "split": "train", "loss": 1.0, "grad_norm": 2.0, "lr": 0.01}


def line(step: int, **over: object) -> bytes:
    return json.dumps({**TRAIN, "step": step, **over}).encode() + b"\n"


@pytest.fixture
def art(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    return folder


def append(folder: Path, data: bytes) -> None:
    with open(folder / "metrics.jsonl", "ab") as handle:
        handle.write(data)


def steps(records: tuple[MetricRecord, ...]) -> list[int]:
    return [r.step for r in records]


def test_nothing_yet_is_not_a_rejection(tmp_path: Path) -> None:
    tail = MetricsTail(tmp_path / "not-mounted-yet")
    assert tail.poll() == () and tail.rejection is None
    (tmp_path / "not-mounted-yet").mkdir()
    assert tail.poll() == () and tail.rejection is None and tail.last is None


def test_partial_last_line_waits_for_its_newline(art: Path) -> None:
    tail = MetricsTail(art)
    whole = line(2)
    append(art, line(0) + line(1) + whole[:10])
    assert steps(tail.poll()) == [0, 1]
    assert tail.offset == len(line(0) + line(1)) + 10
    assert tail.poll() == ()  # still no newline
    append(art, whole[10:-1])
    assert tail.poll() == ()
    append(art, b"\n")
    assert steps(tail.poll()) == [2]
    assert tail.last is not None and tail.last.step == 2 and tail.records == 3 and tail.rejection is None


def test_byte_by_byte_growth_gives_every_record_once(art: Path) -> None:
    tail = MetricsTail(art)
    data = b"".join(line(i) for i in range(5))
    got: list[int] = []
    for i in range(len(data)):
        append(art, data[i : i + 1])
        got += steps(tail.poll())
    assert got == [0, 1, 2, 3, 4]


def test_tail_and_final_read_agree(art: Path) -> None:
    tail = MetricsTail(art)
    got: list[MetricRecord] = []
    for i in range(50):
        append(art, line(i, loss=1.0 / (i + 1)))
        if i % 7 == 0:
            got += tail.poll()
    got += tail.poll()
    assert got == list(read_artifacts(art).metrics)


def test_symlink_is_rejected_and_not_followed(art: Path, tmp_path: Path) -> None:
    secret = tmp_path / "host.jsonl"
    secret.write_bytes(line(999))
    (art / "metrics.jsonl").symlink_to(secret)
    tail = MetricsTail(art)
    assert tail.poll() == () and tail.rejection == "metrics.jsonl is a symlink"


def test_fifo_does_not_hang_the_tail(art: Path) -> None:
    os.mkfifo(art / "metrics.jsonl")
    tail = MetricsTail(art)
    worker = threading.Thread(target=tail.poll, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        os.close(os.open(art / "metrics.jsonl", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("MetricsTail.poll blocked on a FIFO")
    assert tail.rejection == "metrics.jsonl is a FIFO"


def test_replacing_the_file_mid_run_is_rejected(art: Path) -> None:
    tail = MetricsTail(art)
    append(art, line(0))
    assert steps(tail.poll()) == [0]
    (art / "other").write_bytes(line(0) + line(1))
    os.replace(art / "other", art / "metrics.jsonl")
    assert tail.poll() == () and tail.rejection == "metrics.jsonl was replaced while the run was going"


def test_truncation_and_removal_are_rejected(art: Path) -> None:
    tail = MetricsTail(art)
    append(art, line(0) + line(1))
    tail.poll()
    os.truncate(art / "metrics.jsonl", 5)
    assert tail.poll() == () and tail.rejection == "metrics.jsonl shrank while the run was going"
    gone = MetricsTail(art)
    gone.poll()
    os.unlink(art / "metrics.jsonl")
    assert gone.poll() == () and gone.rejection == "metrics.jsonl disappeared while the run was going"


def test_violation_stops_tailing_for_good(art: Path) -> None:
    tail = MetricsTail(art)
    append(art, line(0) + line(1) + b'{"step": NaN}\n' + line(3))
    assert tail.poll() == ()
    assert (
        tail.rejection
        == "metrics.jsonl line 3 holds a NaN or Infinity literal (write null and list the key in 'nonfinite')"
    )
    append(art, line(4))
    assert tail.poll() == () and tail.records == 0


def test_an_overlong_partial_line_is_rejected_before_its_newline(art: Path) -> None:
    tail = MetricsTail(art)
    append(art, line(0) + b"x" * 5000)
    assert tail.poll() == () and tail.rejection == "metrics.jsonl line 2 exceeds 4096 bytes"


def test_growth_past_the_cap_is_rejected_with_bounded_reads(
    art: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = ArtifactLimits(max_metrics_bytes=64 * 1024, max_tail_read_bytes=8 * 1024)
    tail = MetricsTail(art, limits)
    append(art, line(0) * 10_000)  # ~750 KB, far past the cap
    sizes: list[int] = []
    real_pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, off: sizes.append(n) or real_pread(fd, n, off))
    polls = 0
    while tail.rejection is None:
        tail.poll()
        polls += 1
        assert polls < 100
    assert tail.rejection == "metrics.jsonl exceeds 65536 bytes"
    assert max(sizes) <= 8 * 1024 and tail.offset <= 64 * 1024 + 1


def test_many_lines_are_capped_while_tailing(art: Path) -> None:
    tail = MetricsTail(art, ArtifactLimits(max_metric_lines=5))
    append(art, b"".join(line(i) for i in range(5)))
    assert len(tail.poll()) == 5
    append(art, line(5))
    assert tail.poll() == () and tail.rejection == "metrics.jsonl holds more than 5 lines"


def test_no_descriptor_is_held_between_polls(art: Path) -> None:
    """Holding the file open would pin the loop-mounted volume and block its unmount."""
    tail = MetricsTail(art)
    append(art, line(0))
    tail.poll()
    targets = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    assert not any(t.startswith(str(art)) for t in targets)

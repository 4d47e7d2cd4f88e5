"""Live progress from a node to the head, without a cluster: the node's sender, the channel (the
Ray actor's body, called directly) and the head's mirror, which treats every message as untrusted.
The Ray path itself runs in tests/integration/test_ray_executor.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel.agent.executors._progress import (
    MAX_MESSAGE_BYTES,
    MAX_OPEN_RUNS,
    MAX_PENDING_BYTES,
    ProgressChannel,
    ProgressMirror,
    ProgressSender,
    metric_line,
)
from sentinel.sandbox.artifacts import MetricsTail, read_artifacts

TRAIN = {"step": 1, "epoch": 0, "split": "train", "loss": 0.9, "grad_norm": 1.5, "lr": 0.01}
NAN_TRAIN = {
    "step": 2,
    "epoch": 0,
    "split": "train",
    "loss": None,
    "grad_norm": None,
    "lr": 0.01,
    "nonfinite": ["loss", "grad_norm"],
    "fault": "nan_loss",
}
VAL = {"step": 2, "epoch": 0, "split": "val", "loss": 0.5, "acc": 0.75, "f1": None, "nonfinite": ["f1"]}
CONFIG = {"trainer": {"epochs": 3}}


class _Method:
    def __init__(self, fn) -> None:
        self.remote = fn


class DirectChannel:
    """The actor's handle at the transport seam: `.push.remote(...)` calls the real channel."""

    def __init__(self, channel: ProgressChannel) -> None:
        self.push = _Method(channel.push)


def _write(folder: Path, *objs: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "metrics.jsonl").open("a") as fh:
        for obj in objs:
            fh.write(json.dumps(obj) + "\n")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Path, dict]] = []

    def __call__(self, folder: Path, config: dict) -> None:
        self.calls.append((folder, config))


def test_a_record_becomes_the_same_contract_line(tmp_path):
    _write(tmp_path / "a", TRAIN, NAN_TRAIN, VAL)
    records = read_artifacts(tmp_path / "a").metrics
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "metrics.jsonl").write_bytes(b"".join(metric_line(r) for r in records))
    again = read_artifacts(tmp_path / "b").metrics
    assert [repr(r) for r in again] == [repr(r) for r in records]
    assert json.loads(metric_line(records[1]))["nonfinite"] == ["loss", "grad_norm"]


def test_lines_stream_from_the_node_to_the_heads_mirror_while_the_run_writes(tmp_path):
    live, channel = tmp_path / "volume", ProgressChannel()
    channel.open("r1")
    sender = ProgressSender(DirectChannel(channel), "r1", send_s=0.0)
    seen = Recorder()
    mirror = ProgressMirror(tmp_path / "head" / ".live", CONFIG, seen)

    sender(live, CONFIG)  # the container is up, nothing written yet: one empty message at once
    assert mirror.accept(channel.drain("r1")) == 1 and seen.calls == [(mirror.folder, CONFIG)]
    tail = MetricsTail(mirror.folder)
    assert tail.poll() == ()

    _write(live, TRAIN, NAN_TRAIN)
    sender(live, CONFIG)
    mirror.accept(channel.drain("r1"))
    assert [r.step for r in tail.poll()] == [1, 2]
    _write(live, VAL)
    sender(live, CONFIG)
    mirror.accept(channel.drain("r1"))
    (record,) = tail.poll()
    assert record.split == "val" and record.values["acc"] == 0.75 and len(seen.calls) == 3
    mirror.close()
    assert not mirror.folder.exists()


def test_a_sender_pushes_at_most_every_interval_and_never_raises(tmp_path):
    channel = ProgressChannel()
    channel.open("r1")
    sender = ProgressSender(DirectChannel(channel), "r1", send_s=3600.0)
    sender(tmp_path, CONFIG)
    _write(tmp_path, TRAIN)
    sender(tmp_path, CONFIG)  # within the interval: nothing more
    assert channel.drain("r1") == [(0, b"")]

    class Gone:
        push = _Method(lambda *a: (_ for _ in ()).throw(RuntimeError("actor died")))

    broken = ProgressSender(Gone(), "r2", send_s=0.0)
    broken(tmp_path, CONFIG)  # the run goes on
    broken(tmp_path, CONFIG)


def test_a_long_backlog_is_sent_in_bounded_chunks_of_whole_lines(tmp_path):
    lines = [{**TRAIN, "step": i} for i in range(3000)]
    _write(tmp_path, *lines)
    channel = ProgressChannel()
    channel.open("r1")
    ProgressSender(DirectChannel(channel), "r1", send_s=0.0)(tmp_path, CONFIG)
    messages = channel.drain("r1")
    assert len(messages) > 1
    assert all(len(c) <= MAX_MESSAGE_BYTES and c.endswith(b"\n") for _, c in messages)
    assert [s for s, _ in messages] == list(range(len(messages)))
    mirror = ProgressMirror(tmp_path / "m", CONFIG, Recorder())
    mirror.accept(messages)
    assert len(MetricsTail(mirror.folder).poll()) == 3000


@pytest.mark.parametrize(
    "message",
    [
        "not a tuple",
        (1,),
        ("1", b""),
        (True, b""),  # a bool is not a sequence number
        (-1, b""),
        (2**31, b""),
        (1, "text, not bytes"),
        (1, b"x" * (MAX_MESSAGE_BYTES + 1)),
        (1, json.dumps(TRAIN).encode()),  # no newline: not a complete line
    ],
)
def test_malformed_messages_from_a_node_are_dropped(tmp_path, message):
    seen = Recorder()
    mirror = ProgressMirror(tmp_path / "m", CONFIG, seen)
    assert mirror.accept([message]) == 0 and mirror.dropped == 1
    assert seen.calls == [] and not mirror.folder.exists() and mirror.rejection is None


def test_replayed_or_reordered_messages_are_dropped(tmp_path):
    mirror = ProgressMirror(tmp_path / "m", CONFIG, Recorder())
    line = (json.dumps(TRAIN) + "\n").encode()
    assert mirror.accept([(3, line), (3, line), (2, line), (7, line)]) == 2
    assert mirror.dropped == 2 and len(MetricsTail(mirror.folder).poll()) == 2
    assert mirror.accept("not a list") == 0


@pytest.mark.parametrize(
    "bad",
    [
        {**TRAIN, "step": -1},
        {**TRAIN, "step": 1.5},
        {**TRAIN, "loss": "0.1"},
        {**TRAIN, "lr": 1e400},
        {**TRAIN, "split": "test"},
        {**TRAIN, "loss": None},  # null without the nonfinite flag
        {**VAL, "acc": [1]},
        {**TRAIN, "note": "free text"},
    ],
)
def test_values_out_of_type_or_range_end_following_like_the_reader(tmp_path, bad):
    seen = Recorder()
    mirror = ProgressMirror(tmp_path / "m", CONFIG, seen)
    good = (json.dumps(TRAIN) + "\n").encode()
    hostile = good + (json.dumps(bad) + "\n").encode()
    assert mirror.accept([(0, good), (1, hostile), (2, good)]) == 1
    assert mirror.rejection and "metrics.jsonl" in mirror.rejection
    assert mirror.accept([(3, good)]) == 0  # nothing more is taken from this run
    assert len(MetricsTail(mirror.folder).poll()) == 1 and len(seen.calls) == 1


def test_the_channel_is_bounded_and_takes_only_opened_runs():
    channel = ProgressChannel()
    channel.push("never-opened", 0, b"x\n")
    assert channel.drain("never-opened") == [] and channel.dropped == 1
    channel.open("r1")
    chunk = b"x" * (MAX_MESSAGE_BYTES - 1) + b"\n"
    for seq in range(3 * MAX_PENDING_BYTES // len(chunk)):
        channel.push("r1", seq, chunk)
    channel.push("r1", 10**6, b"y" * (MAX_MESSAGE_BYTES + 1))
    kept = []
    while batch := channel.drain("r1"):
        kept += batch
    assert sum(len(c) for _, c in kept) <= MAX_PENDING_BYTES
    assert kept[-1][0] == 3 * MAX_PENDING_BYTES // len(chunk) - 1  # the oldest went first
    channel.close("r1")
    channel.push("r1", 99, b"late\n")  # after its run ended
    assert channel.drain("r1") == []
    for i in range(MAX_OPEN_RUNS):
        assert channel.open(f"run-{i}")
    assert not channel.open("one-too-many")

"""Property tests: whatever bytes a run writes, the reader returns (never raises), and whatever
it accepts satisfies the schema, checked here independently of the reader's own code."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sentinel.contract import vocabulary
from sentinel.contract.records import MetricRecord, MonitorEvent, RunArtifacts, RunSummary, SummaryPoint
from sentinel.sandbox.artifacts import DEFAULT_LIMITS, KNOWN_FILES, MetricsTail, read_artifacts

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMITS = DEFAULT_LIMITS
SAFE_TEXT = re.compile(r"[ -~±]{1,300}")  # Sentinel's own wording: printable ASCII (and ±), short
RESERVED = {"step", "epoch", "split", "loss", "grad_norm", "lr", "nonfinite", "fault"}


@contextmanager
def folder_with(files: dict[str | bytes, bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "artifacts"
        folder.mkdir()
        for name, data in files.items():
            raw = os.fsencode(folder) + b"/" + (name if isinstance(name, bytes) else name.encode())
            fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
        yield folder


# --- an independent statement of the schema -------------------------------------------------------


def number_ok(name: str, value: object, nonfinite: tuple[str, ...] | None) -> None:
    assert type(value) is float
    if math.isnan(value):
        assert nonfinite is None or name in nonfinite, f"unflagged NaN in {name}"
    else:
        assert math.isfinite(value) and abs(value) <= LIMITS.max_abs_float


def check_metric(m: MetricRecord) -> None:
    assert type(m) is MetricRecord
    assert type(m.step) is int and 0 <= m.step <= LIMITS.max_step
    assert type(m.epoch) is int and 0 <= m.epoch <= LIMITS.max_epoch
    assert m.split in vocabulary.SPLITS
    assert type(m.nonfinite) is tuple and len(set(m.nonfinite)) == len(m.nonfinite)
    assert type(m.values) is MappingProxyType
    number_ok("loss", m.loss, m.nonfinite)
    if m.split == "train":
        assert m.values == {}
        number_ok("grad_norm", m.grad_norm, m.nonfinite)
        assert m.grad_norm is not None and (math.isnan(m.grad_norm) or m.grad_norm >= 0)
        assert type(m.lr) is float and math.isfinite(m.lr) and 0 <= m.lr <= LIMITS.max_abs_float
        assert m.fault is None or m.fault in vocabulary.FAULT_KINDS
        allowed = {"loss", "grad_norm"}
    else:
        assert (m.grad_norm, m.lr, m.fault) == (None, None, None)
        for name, value in m.values.items():
            assert vocabulary.METRIC_NAME.fullmatch(name) and name not in RESERVED
            number_ok(name, value, m.nonfinite)
        allowed = {"loss", *m.values}
    for name in m.nonfinite:
        assert name in allowed
        assert math.isnan(m.values[name] if name in m.values else getattr(m, name))


def check_point(p: SummaryPoint | None) -> None:
    if p is None:
        return
    assert type(p.epoch) is int and 0 <= p.epoch <= LIMITS.max_epoch
    assert type(p.step) is int and 0 <= p.step <= LIMITS.max_step
    assert type(p.values) is MappingProxyType
    for name, value in p.values.items():
        split, _, metric = name.partition("/")
        assert split in vocabulary.SPLITS and vocabulary.METRIC_NAME.fullmatch(metric)
        number_ok(name, value, None)


def check_summary(s: RunSummary | None) -> None:
    if s is None:
        return
    assert type(s) is RunSummary and s.status in vocabulary.RUN_STATUSES
    assert type(s.epochs) is int and type(s.steps) is int and s.epochs >= 0 and s.steps >= 0
    assert s.reason is None or s.reason in vocabulary.SUMMARY_REASONS
    assert not (s.reason is not None and s.reason_dropped)
    check_point(s.best)
    check_point(s.final)


def check_event(e: MonitorEvent) -> None:
    assert type(e) is MonitorEvent
    assert type(e.step) is int and 0 <= e.step <= LIMITS.max_step
    assert e.anomaly in vocabulary.ANOMALIES and e.action in vocabulary.ACTIONS
    assert e.kind in vocabulary.EVENT_KINDS
    for mapping in (e.evidence, e.params):
        assert type(mapping) is MappingProxyType
        for name, value in mapping.items():
            assert vocabulary.EVIDENCE_NAME.fullmatch(name)
            number_ok(name, value, None)


def check(result: RunArtifacts) -> None:
    """The invariants every result must satisfy, accepted or not."""
    assert type(result) is RunArtifacts
    event(
        "rejected"
        if result.rejection
        else "accepted with records"
        if result.metrics or result.summary or result.events
        else "accepted, empty"
    )
    if result.rejection is not None:
        assert SAFE_TEXT.fullmatch(result.rejection), result.rejection
        assert "internal error" not in result.rejection, result.rejection
        assert result.rejected_file is None or result.rejected_file in result.rejection
        assert (result.metrics, result.summary, result.events, result.files) == ((), None, (), ())
        return
    assert result.rejected_file is None
    for note in result.notes:
        assert SAFE_TEXT.fullmatch(note), note
    for m in result.metrics:
        check_metric(m)
    check_summary(result.summary)
    for e in result.events:
        check_event(e)
    for f in result.files:
        assert vocabulary.FILE_NAME.fullmatch(f.name) and type(f.size) is int and f.size >= 0
        assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)


# --- strategies ------------------------------------------------------------------------------------

VOCAB_WORDS = sorted(
    vocabulary.SPLITS
    | vocabulary.RUN_STATUSES
    | vocabulary.FAULT_KINDS
    | vocabulary.ANOMALIES
    | vocabulary.ACTIONS
    | vocabulary.EVENT_KINDS
    | vocabulary.SUMMARY_REASONS
)
KEYS = sorted(
    RESERVED
    | {
        "acc",
        "f1",
        "mae",
        "recon",
        "kl",
        "status",
        "epochs",
        "steps",
        "best",
        "final",
        "reason",
        "kind",
        "anomaly",
        "action",
        "evidence",
        "params",
        "val/loss",
        "train/acc",
    }
)
JSON_ALPHABET = '{}[]":, \n0123456789.-+eE' + "truefalsnNaIiy\\u" + "stepochlrgadn_/"


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """Nine draws in ten from `good`: whole documents then pass often enough to test acceptance."""
    return st.sampled_from(range(10)).flatmap(lambda i: bad if i == 9 else good)  # ~1 in 10 measured


def rarely(draw: st.DrawFn) -> bool:
    return draw(st.sampled_from(range(10))) == 9


names = st.one_of(
    st.sampled_from(KEYS), st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True), st.text(max_size=8)
)
bad_numbers = st.one_of(
    st.floats(),  # NaN, inf and huge ones: must be rejected (or flagged, when null)
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=4),
    st.none(),
)
numbers = mostly(
    st.one_of(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 10**6), st.none()),
    bad_numbers,
)
scalars = st.one_of(numbers, st.sampled_from(VOCAB_WORDS), st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=4),
    max_leaves=8,
)
steps = mostly(st.integers(0, 10**6), bad_numbers)


def vocab_word(allowed: frozenset[str]) -> st.SearchStrategy:
    return mostly(st.sampled_from(sorted(allowed)), scalars)


@st.composite
def metric_objects(draw: st.DrawFn) -> dict:
    """Mostly well-formed lines with the odd mutation, so both outcomes and every check get hit."""
    split = draw(vocab_word(vocabulary.SPLITS))
    obj: dict = {
        "step": draw(steps),
        "epoch": draw(st.integers(0, 50)),
        "split": split,
        "loss": draw(numbers),
    }
    if split == "train":
        obj["grad_norm"] = draw(mostly(st.floats(0, 1e6) | st.none(), bad_numbers))
        obj["lr"] = draw(mostly(st.floats(0, 1), bad_numbers))
        if draw(st.booleans()):
            obj["fault"] = draw(vocab_word(vocabulary.FAULT_KINDS))
    else:
        task = mostly(st.sampled_from(["acc", "f1", "mae", "recon", "kl"]), names)
        obj.update(draw(st.dictionaries(task, numbers, max_size=3)))
    if rarely(draw):
        del obj[draw(st.sampled_from(sorted(obj)))]
    if rarely(draw):
        obj[draw(names)] = draw(values)
    nulls = [k for k, v in obj.items() if v is None]
    if rarely(draw):
        obj["nonfinite"] = draw(st.one_of(st.lists(names, max_size=3), values))
    elif nulls and not rarely(draw):  # else: nulls left unflagged
        obj["nonfinite"] = nulls
    return obj


def encode(obj: object) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()  # NaN/Infinity literals on purpose


metric_lines = mostly(
    metric_objects().map(encode),
    st.one_of(
        values.map(encode),
        st.text(alphabet=JSON_ALPHABET, max_size=80).map(str.encode),
        st.binary(max_size=80),
    ),
)
point = mostly(
    st.none()
    | st.fixed_dictionaries(
        {"epoch": st.integers(0, 9), "step": st.integers(0, 99)},
        optional={"val/loss": numbers, "val/acc": numbers, "train/loss": numbers},
    ),
    values,
)


@st.composite
def summary_objects(draw: st.DrawFn) -> dict:
    obj = draw(
        st.fixed_dictionaries(
            {
                "status": vocab_word(vocabulary.RUN_STATUSES),
                "epochs": steps,
                "steps": st.integers(0, 10**4),
            },
            optional={
                "best": point,
                "final": point,
                "reason": st.none() | st.sampled_from(VOCAB_WORDS) | st.text(max_size=30) | scalars,
            },
        )
    )
    if rarely(draw):
        obj[draw(names)] = draw(values)
    return obj


evidence = mostly(
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,5}(/[a-z]{1,3})?", fullmatch=True), numbers, max_size=3),
    st.dictionaries(names, values, max_size=3) | values,
)


@st.composite
def event_objects(draw: st.DrawFn) -> dict:
    obj = draw(
        st.fixed_dictionaries(
            {
                "step": steps,
                "anomaly": vocab_word(vocabulary.ANOMALIES),
                "action": vocab_word(vocabulary.ACTIONS),
                "evidence": evidence,
                "params": evidence,
            },
            optional={"kind": vocab_word(vocabulary.EVENT_KINDS)},
        )
    )
    if rarely(draw):
        obj[draw(names)] = draw(values)
    return obj


def joined(lines: list[bytes], end: bytes) -> bytes:
    return b"\n".join(lines) + end


# --- properties ----------------------------------------------------------------------------------


@FUZZ
@given(name=st.sampled_from([*KNOWN_FILES, "other.bin"]), data=st.binary(max_size=4096))
def test_arbitrary_bytes_in_any_file_never_raise(name: str, data: bytes) -> None:
    with folder_with({name: data}) as folder:
        check(read_artifacts(folder))


@FUZZ
@given(name=st.sampled_from(KNOWN_FILES), text=st.text(alphabet=JSON_ALPHABET, max_size=400))
def test_json_like_noise_never_raises(name: str, text: str) -> None:
    with folder_with({name: text.encode()}) as folder:
        check(read_artifacts(folder))


@FUZZ
@given(lines=st.lists(metric_lines, max_size=5), end=st.sampled_from([b"\n", b"", b"\r\n"]))
def test_metrics_lines_are_accepted_only_when_they_fit_the_schema(lines: list[bytes], end: bytes) -> None:
    with folder_with({"metrics.jsonl": joined(lines, end)}) as folder:
        check(read_artifacts(folder))


@FUZZ
@given(summary=summary_objects())
def test_summaries_are_accepted_only_when_they_fit_the_schema(summary: dict) -> None:
    with folder_with({"summary.json": encode(summary)}) as folder:
        check(read_artifacts(folder))


@FUZZ
@given(events=st.lists(event_objects().map(encode), max_size=3), end=st.sampled_from([b"\n", b""]))
def test_events_are_accepted_only_when_they_fit_the_schema(events: list[bytes], end: bytes) -> None:
    with folder_with({"monitor_events.jsonl": joined(events, end)}) as folder:
        check(read_artifacts(folder))


@FUZZ
@given(
    names=st.lists(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,70}", fullmatch=True).map(str.encode)
        | st.binary(min_size=1, max_size=20).filter(lambda n: b"/" not in n and b"\0" not in n),
        max_size=4,
        unique=True,
    ).filter(lambda ns: not {b".", b".."} & set(ns))
)
def test_arbitrary_file_names_never_raise_and_only_safe_names_are_listed(names: list[bytes]) -> None:
    with folder_with(dict.fromkeys(names, b"x")) as folder:
        check(read_artifacts(folder))


valid_floats = st.floats(min_value=-1e30, max_value=1e30, allow_nan=False)
valid_train = st.fixed_dictionaries(
    {
        "step": st.integers(0, 10**9),
        "epoch": st.integers(0, 10**6),
        "split": st.just("train"),
        "loss": valid_floats,
        "grad_norm": st.floats(0, 1e30),
        "lr": st.floats(0, 10),
    },
    optional={"fault": st.sampled_from(sorted(vocabulary.FAULT_KINDS))},
)
valid_val = st.fixed_dictionaries(
    {
        "step": st.integers(0, 10**9),
        "epoch": st.integers(0, 10**6),
        "split": st.just("val"),
        "loss": valid_floats,
    },
    optional={"acc": st.floats(0, 1), "f1": st.floats(0, 1), "mae": st.floats(0, 1e3), "kl": valid_floats},
)


@st.composite
def valid_lines(draw: st.DrawFn) -> dict:
    obj = dict(draw(st.one_of(valid_train, valid_val)))
    nullable = (
        ["loss", "grad_norm"]
        if obj["split"] == "train"
        else [k for k in obj if k not in ("step", "epoch", "split")]
    )
    flagged = draw(st.lists(st.sampled_from(nullable), unique=True, max_size=len(nullable)))
    for key in flagged:
        obj[key] = None
    if flagged:
        obj["nonfinite"] = flagged
    return obj


@FUZZ
@given(objs=st.lists(valid_lines(), min_size=1, max_size=8))
def test_every_valid_line_is_accepted_and_round_trips(objs: list[dict]) -> None:
    with folder_with({"metrics.jsonl": b"".join(encode(o) + b"\n" for o in objs)}) as folder:
        result = read_artifacts(folder)
    assert result.accepted, result.rejection
    check(result)
    for obj, record in zip(objs, result.metrics, strict=True):
        for key in ("step", "epoch", "split", "loss", "grad_norm", "lr", "fault"):
            if key in obj:
                want, got = obj[key], getattr(record, key)
                assert (want is None and math.isnan(got)) or want == got
        for key, got in record.values.items():
            assert (obj[key] is None and math.isnan(got)) or obj[key] == got


@FUZZ
@given(
    lines=st.lists(st.one_of(valid_lines().map(encode), metric_lines), max_size=8),
    end=st.sampled_from([b"\n", b""]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6),
)
def test_live_tail_agrees_with_the_final_read(lines: list[bytes], end: bytes, cuts: list[int]) -> None:
    data = joined(lines, end)
    with folder_with({}) as folder:
        tail = MetricsTail(folder)
        seen: list[MetricRecord] = []
        start = 0
        for cut in sorted({min(c, len(data)) for c in cuts} | {len(data)}):
            with open(folder / "metrics.jsonl", "ab") as handle:
                handle.write(data[start:cut])
            start = cut
            seen += tail.poll()
        seen += tail.poll()
        final = read_artifacts(folder)
    check(final)
    assert tail.rejection == final.rejection
    if final.accepted:
        assert repr(seen) == repr(list(final.metrics))  # repr: NaN compares equal to itself there

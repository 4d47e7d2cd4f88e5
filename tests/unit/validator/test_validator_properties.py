"""Property tests: the gate never raises and never fails open, whatever text it is given."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel.validator import UnreadableSource, validate_path, validate_source
from sentinel.validator.report import INTERNAL_ERROR

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.sampled_from(
    ["x", "self", "torch", "nn", "F", "np", "math", "eval", "getattr", "type", "input", "len", "super",
     "__class__", "__builtins__", "_p", "e", "ｅｖａｌ", "print", "object"]
)  # fmt: skip
ATTRS = st.sampled_from(
    ["fc", "__init__", "__class__", "__subclasses__", "load", "hub", "relu", "format", "format_map",
     "gi_frame", "f_globals", "_modules", "weight", "nn", "functional", "os", "tofile", "mro"]
)  # fmt: skip
MODULES = st.sampled_from(["torch", "torch.nn", "torch.nn.functional", "os", "math", "einops", "typing"])
LITERALS = st.sampled_from(["0", "1.5", "'a'", "'{0.__class__}'", "'{}'", "None", "...", "b'x'", "(1 << 40)"])


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, ATTRS).map(lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(inner, st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(inner, st.sampled_from(["+", "*", "@", "%", "|", "and", "if x else"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
            st.tuples(inner, NAMES, inner).map(lambda t: f"[{t[0]} for {t[1]} in {t[2]}]"),
            st.tuples(NAMES, inner).map(lambda t: f"(lambda {t[0]}: {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(NAMES, inner).map(lambda t: f"({t[0]} := {t[1]})"),
            st.tuples(NAMES, ATTRS).map(lambda t: f'f"{{{t[0]}.{t[1]}!r:>{{{t[0]}}}}}"'),
        )

    return st.recursive(st.one_of(NAMES, LITERALS), extend, max_leaves=10)


EXPRESSIONS = _expressions()


@st.composite
def _block(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        simple = [
            st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"{t[0]} = {t[1]}"),
            EXPRESSIONS.map(lambda e: f"return {e}"),
            EXPRESSIONS,
            st.just("pass"),
            MODULES.map(lambda m: f"import {m}"),
            st.tuples(st.sampled_from(["", "."]), MODULES, NAMES).map(
                lambda t: f"from {t[0]}{t[1]} import {t[2]}"
            ),
            NAMES.map(lambda n: f"global {n}"),
            st.tuples(EXPRESSIONS, ATTRS, EXPRESSIONS).map(lambda t: f"{t[0]}.{t[1]} = {t[2]}"),
        ]
        kind = draw(st.integers(0, len(simple) + (5 if depth < 3 else -1)))
        if kind < len(simple):
            lines.append(draw(simple[kind]))
            continue
        header = draw(
            st.one_of(
                st.tuples(NAMES, NAMES).map(lambda t: f"def {t[0]}(self, {t[1]}=None):"),
                st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"class {t[0]}({t[1]}):"),
                EXPRESSIONS.map(lambda e: f"if {e}:"),
                st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"for {t[0]} in {t[1]}:"),
                EXPRESSIONS.map(lambda e: f"with {e} as y:"),
                EXPRESSIONS.map(lambda e: f"@{e}\ndef g(x):"),
                st.just("try:"),
            )
        )
        lines.extend(header.split("\n"))
        lines.extend("    " + line for line in draw(_block(depth + 1)))
        if header == "try:":
            lines.append("except Exception as e:")
            lines.append("    e = e.__traceback__")
    return lines


PYTHONISH = _block().map(lambda lines: "import torch\nfrom torch import nn\n" + "\n".join(lines) + "\n")


@SETTINGS
@given(st.text(max_size=3000))
def test_arbitrary_text_never_raises(text: str) -> None:
    report = validate_source(text)
    assert INTERNAL_ERROR not in report.codes
    assert report == validate_source(text)  # deterministic


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_decoded_never_raise(data: bytes) -> None:
    for text in (data.decode("utf-8", "surrogateescape"), data.decode("latin-1")):
        assert INTERNAL_ERROR not in validate_source(text).codes


@SETTINGS
@given(PYTHONISH)
def test_generated_python_like_source_never_raises(source: str) -> None:
    report = validate_source(source)
    assert INTERNAL_ERROR not in report.codes, report.violations
    for violation in report.violations:
        assert violation.line >= 1 and violation.column >= 1 and violation.code.startswith("SV")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000))
def test_files_with_arbitrary_bytes_are_judged_not_raised(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "model.py"
    path.write_bytes(data)
    try:
        report = validate_path(path)
    except UnreadableSource as err:  # pragma: no cover - a regular file is always readable here
        raise AssertionError(f"regular file reported unreadable: {err}") from None
    assert INTERNAL_ERROR not in report.codes

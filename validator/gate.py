"""The tier-3 gate: judge model source (or a file) against every rule, never executing it.

`validate_source` never raises on any text: parser failures, limits and even a crashing
rule become findings (a crash is SV000 and rejects: the gate fails closed). `validate_path`
raises only when the input cannot be read at all, which the CLI maps to exit code 2.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import replace

from sentinel.validator._context import ModuleContext
from sentinel.validator._source import MAX_BYTES, SourceText, parse_module
from sentinel.validator.errors import UnreadableSource
from sentinel.validator.report import INTERNAL_ERROR, Report, Violation
from sentinel.validator.rules import RULES, Rule
from sentinel.validator.rules.contract import entry_points
from sentinel.validator.rules.size import oversize_violation

__all__ = ["validate_path", "validate_source"]

_BOM = b"\xef\xbb\xbf"


def validate_source(source: str, *, class_name: str | None = None, filename: str | None = None) -> Report:
    """Judge `source` as the text a container would import.

    `class_name` pins the class that will be registered (the contract is checked on it);
    `filename` is only echoed in the report. Oversized text is refused before it is split
    or parsed, so the cost of a hostile input is bounded by MAX_BYTES.
    """
    if len(source) > MAX_BYTES:  # characters <= bytes: certainly too large
        digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        return Report((oversize_violation("SV002", len(source)),), digest, filename, class_name)
    text = SourceText(source)
    parsed = parse_module(text)
    ctx = ModuleContext(parsed, class_name)
    found: list[Violation] = []
    for rule in RULES:
        if rule.needs_tree and not parsed.usable:
            continue
        hits = _run(rule, ctx)
        found.extend(hits)
        if rule.fatal and hits:
            break
    violations = tuple(sorted(set(found), key=lambda v: (v.line, v.column, v.code, v.message)))
    entries: tuple[str, ...] = ()
    if parsed.usable and not any(v.code == INTERNAL_ERROR for v in violations):
        entries = _run_entry_points(ctx)
    return Report(violations, text.sha256, filename, class_name, entries)


def validate_path(path: str | os.PathLike[str], *, class_name: str | None = None) -> Report:
    """Read at most MAX_BYTES+1 bytes of a regular file and judge them.

    Raises UnreadableSource (exit 2) for missing files, directories, FIFOs and permission
    errors; an oversized or non-UTF-8 file is readable, so it is a rejection instead.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise UnreadableSource(shown, err.strerror or type(err).__name__) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableSource(shown, "not a regular file")
        data = _read_at_most(fd, MAX_BYTES + 1)
    except OSError as err:
        raise UnreadableSource(shown, err.strerror or type(err).__name__) from None
    finally:
        os.close(fd)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES:
        return Report((oversize_violation("SV002", len(data)),), digest, shown, class_name)
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        source = body.decode("utf-8")
    except UnicodeDecodeError as err:
        line = body[: err.start].count(b"\n") + 1
        message = f"file is not valid UTF-8 (byte {err.start})"
        return Report((Violation("SV001", line, 1, message, ""),), digest, shown, class_name)
    return replace(validate_source(source, class_name=class_name, filename=shown), sha256=digest)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _run(rule: Rule, ctx: ModuleContext) -> list[Violation]:
    try:
        return list(rule.check(ctx))
    except Exception as err:  # fail closed: a rule that cannot decide rejects the file
        return [
            Violation(INTERNAL_ERROR, 1, 1, f"rule {rule.code} failed ({type(err).__name__}); rejected", "")
        ]


def _run_entry_points(ctx: ModuleContext) -> tuple[str, ...]:
    try:
        return entry_points(ctx)
    except Exception:
        return ()

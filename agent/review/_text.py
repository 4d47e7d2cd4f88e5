"""Text shown to a reviewer, made inert: the evidence must not be able to restyle the terminal.

A rationale comes from a brain (possibly an LLM) and generated code from a generator; either may
hold escape sequences that clear the screen or hide a line from the person deciding. Every
control character except newline and tab is shown as a visible `\\xNN` escape instead.
"""

from __future__ import annotations

__all__ = ["printable"]

_KEEP = frozenset("\n\t")


def printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch in _KEEP else f"\\x{ord(ch):02x}" for ch in text)

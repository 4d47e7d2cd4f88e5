"""YAML for user input on the host (goal files, override values): small, flat-ish, alias-free.

A YAML alias repeats a node without repeating its text, so 300 bytes of `&a [*b, *b, ...]`
nest into billions of references; anything that walks the result (a repr in an error message,
a deep copy, the config merge) then takes minutes and gigabytes. Goals and overrides never
need aliases, so they are refused while composing, before any object is built, and so are
documents with more nodes or deeper nesting than a goal or an override ever has. Memory and
time stay bounded by the text's size, whatever the text.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "MAX_NODES", "YamlTooComplex", "bounded_loader"]

MAX_NODES = 20_000
MAX_DEPTH = 32


class YamlTooComplex(yaml.YAMLError):
    """The document uses an alias, or is larger or deeper than user input here may be."""


class _Bounded:
    """Mixin for a yaml Loader: counts nodes and depth while composing, refuses aliases."""

    _nodes = 0
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            mark = self.peek_event().start_mark  # type: ignore[attr-defined]
            raise YamlTooComplex(f"line {mark.line + 1}: YAML aliases (*name) are not allowed here")
        self._nodes += 1
        self._depth += 1
        try:
            if self._nodes > MAX_NODES:
                raise YamlTooComplex(f"more than {MAX_NODES} YAML nodes")
            if self._depth > MAX_DEPTH:
                raise YamlTooComplex(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


def bounded_loader(base: type) -> type:
    """A loader class: `base` (SafeLoader or a subclass of it) with the bounds above."""
    return type(f"Bounded{base.__name__}", (_Bounded, base), {})

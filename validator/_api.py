"""The library surface a model may touch, as data: namespaces, their members, and nothing else.

`api_allowlist.json` is generated from the pinned torch/numpy/einops by
`tests/unit/validator/validator_allowlist_gen.py` (criteria there; a test keeps them in sync).
A chain such as `torch.nn.functional.relu` may walk only through listed namespaces and must
end on a listed member. Members are never modules (the test proves it), so a value taken from
an allowed chain cannot be a module handle that later reaches `torch.hub` under another name;
that is why `F.torch.load`, `torch.os.system` and `typing.sys.modules` fail here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

__all__ = ["NAMESPACES", "TORCH_PRIVATE", "Namespace", "Step", "classify", "walk"]

_DATA = json.loads((Path(__file__).with_name("api_allowlist.json")).read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    children: frozenset[str]
    members: frozenset[str]


NAMESPACES = MappingProxyType(
    {
        name: Namespace(name, frozenset(entry["children"]), frozenset(entry["members"]))
        for name, entry in _DATA["namespaces"].items()
    }
)
# Private state of nn.Module, tensors, parameters and storages (_modules, _forward_hooks, _apply,
# _typed_storage, _set_from_file ...): never touched or redefined by models.
TORCH_PRIVATE = frozenset(_DATA["torch_private"])

# value: attribute access continuing past a member (judged by the attribute rules)
Kind = Literal["namespace", "member", "value", "refused"]


@dataclass(frozen=True, slots=True)
class Step:
    """Where a chain ends up: `kind` of `path`; for a refused chain, the first bad step."""

    kind: Kind
    path: str
    consumed: int  # how many attributes of the chain were resolved against the allowlist


def classify(path: str) -> Kind:
    """Classify a dotted import path such as `torch.nn` or `torch.nn.Linear`."""
    if path in NAMESPACES:
        return "namespace"
    parent, _, name = path.rpartition(".")
    namespace = NAMESPACES.get(parent)
    if namespace is not None and name in namespace.members:
        return "member"
    return "refused"


def walk(start: str, attrs: list[str]) -> Step:
    """Follow `attrs` from namespace `start` until a member is reached or a step is refused.

    Attributes after a member are ordinary attribute access on a value (the dunder and
    attribute rules judge those), so the walk stops there.
    """
    path = start
    for index, attr in enumerate(attrs):
        namespace = NAMESPACES[path]
        if attr in namespace.children:
            path = f"{path}.{attr}"
            continue
        if attr in namespace.members:
            return Step("member", f"{path}.{attr}", index + 1)
        return Step("refused", f"{path}.{attr}", index + 1)
    return Step("namespace", path, len(attrs))

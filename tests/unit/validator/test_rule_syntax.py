"""SV107: the syntax allowlist."""

from __future__ import annotations

import pytest
from validator_testkit import check, hits, model_source


@pytest.mark.parametrize(
    ("forward", "word"),
    [
        ("global torch", "global"),
        ("y = [(h := t) for t in (x,)]", "walrus"),
        ("match x:\n    case _:\n        pass", "match"),
        ("try:\n    pass\nexcept ValueError:\n    pass", "try"),
        ("try:\n    pass\nexcept* ValueError:\n    pass", "CVE-2025-22153"),
        ("while False:\n    pass", "while"),
        ("y = x\ndel y", "del"),
        ("def inner():\n    nonlocal x", "nonlocal"),
    ],
)
def test_refused_constructs(forward: str, word: str) -> None:
    found = hits(model_source(forward=forward + "\nreturn x"), "SV107")
    assert len(found) == 1 and word in found[0].message


def test_generators_and_coroutines_are_refused() -> None:
    assert hits(model_source(methods="def steps(self):\n    yield self"), "SV107")
    assert hits(model_source(methods="async def steps(self):\n    return 1"), "SV107")


def test_ordinary_model_syntax_is_allowed() -> None:
    body = (
        "assert x.dim() >= 2, 'need a batch'\n"
        "scale = (lambda t: t * 2)(1.0)\n"
        "with torch.no_grad():\n    y = x.detach()\n"
        "for i, layer in enumerate([self.fc]):\n    if i > 3:\n        break\n    continue\n"
        "a, *rest = (1, 2, 3)\nz = {k: v for k, v in zip('ab', rest)}\n"
        "h = x[:, ::2] if x.shape[-1] > 4 else x\n"
        "return self.fc(x.flatten(1)) @ torch.eye(self.fc.out_features) * scale"
    )
    assert check(model_source(forward=body)).accepted, check(model_source(forward=body)).violations

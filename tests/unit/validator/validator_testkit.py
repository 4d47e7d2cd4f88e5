"""Shared helpers for the validator tests: build small model sources and read their verdicts."""

from __future__ import annotations

import textwrap

from sentinel.validator import Report, Violation, validate_source

HEADER = "import math\n\nimport torch\nfrom torch import nn\n"


def indent(code: str, level: int = 2) -> str:
    pad = "    " * level
    return "".join(pad + line + "\n" if line.strip() else "\n" for line in textwrap.dedent(code).splitlines())


def model_source(
    *,
    top: str = "",
    init: str = "",
    forward: str = "return self.fc(x.flatten(1))",
    methods: str = "",
    imports: str = HEADER,
    signature: str = "self, input_shape, output_dim, hidden: int = 8",
) -> str:
    """A valid model file with the given pieces spliced in (each piece is dedented code)."""
    parts = [imports, "\n"]
    if top:
        parts += [textwrap.dedent(top).strip("\n"), "\n\n\n"]
    parts += [
        "class Model(nn.Module):\n",
        f"    def __init__({signature}):\n",
        "        super().__init__()\n",
        "        self.fc = nn.Linear(math.prod(input_shape), output_dim)\n",
        indent(init) if init else "",
        "\n    def forward(self, x):\n",
        indent(forward),
    ]
    if methods:
        parts += ["\n", indent(methods, 1)]
    return "".join(parts)


def check(source: str, **kwargs: object) -> Report:
    return validate_source(source, **kwargs)  # type: ignore[arg-type]


def codes(source: str, **kwargs: object) -> set[str]:
    return set(check(source, **kwargs).codes)


def hits(source: str, code: str) -> list[Violation]:
    return [v for v in check(source).violations if v.code == code]

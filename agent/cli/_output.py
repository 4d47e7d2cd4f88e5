"""Shared CLI output: one JSON object for --json, rich tables for people."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def emit_json(obj: Any) -> None:
    """Exactly one machine-readable object on stdout (plain print: no rich markup or wrapping)."""
    print(json.dumps(obj, sort_keys=True, default=str))

"""Every built-in model (sandbox/runtime/models) passes the tier-3 policy.

The built-ins are the reference for "a normal model": a policy that rejects them is wrong.
The files are collected from disk so a new model is covered the day it lands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.validator import validate_path

MODELS = Path(__file__).resolve().parents[3] / "sandbox" / "runtime" / "models"
FILES = sorted(p for p in MODELS.glob("*.py") if not p.name.startswith("_"))


def test_there_are_built_in_models_to_check() -> None:
    assert FILES, f"no model files under {MODELS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_built_in_model_is_accepted(path: Path) -> None:
    report = validate_path(path)
    assert report.accepted, "\n".join(f"{v.code} {v.line}:{v.column} {v.message}" for v in report.violations)
    assert report.entry_points, "no class satisfies the registry contract"

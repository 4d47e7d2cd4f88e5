"""The layering the contract package exists for, checked on the source itself.

- `contract/` imports the standard library, PyYAML and itself: the runtime image carries it and
  both sides run the same checks;
- `monitor/` (the in-loop monitor, container side) imports nothing from `sandbox`, so any
  PyTorch loop can use it; the trainer depends on the monitor, never the reverse;
- `sandbox/runtime/` (inside the container) imports no host package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HOST_LIBRARIES = ("docker", "typer", "rich", "omegaconf", "optuna", "libcst", "smolagents", "ray", "torch")
# Host-side code the monitor engineer is moving out of monitor/ (issue 17, part 2).
MONITOR_HOST_SIDE = ("monitor/bench/", "monitor/status.py")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _files(folder: str, skip: tuple[str, ...] = ()) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if not str(f.relative_to(ROOT)).startswith(skip)]


@pytest.mark.parametrize("path", _files("contract"), ids=lambda p: p.name)
def test_contract_imports_only_the_standard_library_yaml_and_itself(path: Path) -> None:
    for module in _imports(path):
        top = module.split(".")[0]
        ok = top in sys.stdlib_module_names or top == "yaml" or module.startswith("sentinel.contract")
        assert ok, f"{path.relative_to(ROOT)} imports {module}"


def test_importing_the_contract_loads_no_host_library() -> None:
    code = (
        "import sys, pkgutil, importlib, sentinel.contract as c\n"
        "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('sentinel.contract.' + m.name)\n"
        f"print(sorted(n for n in {HOST_LIBRARIES!r} if n in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("path", _files("monitor", MONITOR_HOST_SIDE), ids=lambda p: p.name)
def test_the_monitor_imports_nothing_from_the_sandbox(path: Path) -> None:
    for module in _imports(path):
        assert not module.startswith(("sentinel.sandbox", "sentinel.agent", "sentinel.validator")), (
            f"{path.relative_to(ROOT)} imports {module}"
        )


@pytest.mark.parametrize("path", _files("sandbox/runtime"), ids=lambda p: p.name)
def test_the_runtime_imports_no_host_package(path: Path) -> None:
    allowed = ("sentinel.sandbox.runtime", "sentinel.monitor", "sentinel.contract")
    for module in _imports(path):
        if module.startswith("sentinel"):
            assert module.startswith(allowed), f"{path.relative_to(ROOT)} imports {module}"
        else:
            top = module.split(".")[0]
            assert top not in HOST_LIBRARIES[:-1], f"{path.relative_to(ROOT)} imports {module}"

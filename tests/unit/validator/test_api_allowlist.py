"""The API allowlist matches the pinned libraries and never hands out a module or a loader.

These tests import torch/numpy/einops on the host: they are trusted libraries, not generated
code, and reading them is how the allowlist proves what its names denote.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import types

import pytest
from validator_allowlist_gen import OUTPUT, generate

from sentinel.validator._api import NAMESPACES, classify, walk

pytest.importorskip("einops", reason="einops is part of the allowlist; install it to check the allowlist")

# Source patterns that mean a Python-level function loads code, files or pickles.
_DANGEROUS_SOURCE = re.compile(
    r"_import_dotted_name|importlib|__import__|pickle|\bopen\(|\bexec\(|\beval\(|ctypes"
)
# Reviewed by hand: the pattern matches, but no caller-controlled name or path reaches it.
# Each imports the fixed module "torch._decomp.decompositions" on a deterministic/CUDA path.
_REVIEWED = frozenset(
    {
        "torch.nn.functional.interpolate",
        "torch.nn.functional.max_pool3d_with_indices",
        "torch.nn.functional.pad",
    }
)
_REFUSED = {
    "load", "save", "from_file", "hub", "jit", "compile", "package", "ops", "utils", "_C", "os", "sys",
    "serialization", "library", "classes", "get_type_hints", "ForwardRef", "memmap", "fromfile",
    "ctypeslib", "lib", "f2py", "torch", "np", "importlib",
}  # fmt: skip


def test_stored_allowlist_is_what_the_criteria_generate() -> None:
    stored = json.loads(OUTPUT.read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(generate())), "run tests/unit/validator/validator_allowlist_gen.py"


@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_members_exist_and_are_never_modules(name: str) -> None:
    module = importlib.import_module(name)
    namespace = NAMESPACES[name]
    for child in namespace.children:
        importlib.import_module(f"{name}.{child}")  # submodules are attributes once imported
        assert isinstance(getattr(module, child), types.ModuleType), f"{name}.{child}"
    for member in namespace.members:
        value = getattr(module, member)
        assert not isinstance(value, types.ModuleType), f"{name}.{member} is a module"
        assert not member.startswith("_")
    assert not (namespace.members & _REFUSED), namespace.members & _REFUSED


@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_python_level_members_do_not_load_code_or_files(name: str) -> None:
    module = importlib.import_module(name)
    for member in sorted(NAMESPACES[name].members):
        value = getattr(module, member)
        if inspect.isfunction(value) and f"{name}.{member}" not in _REVIEWED:
            source = inspect.getsource(value)
            assert not _DANGEROUS_SOURCE.search(source), f"{name}.{member}"


def test_walk_and_classify() -> None:
    assert classify("torch.nn") == "namespace"
    assert classify("torch.nn.Linear") == "member"
    assert classify("torch.hub") == "refused"
    assert walk("torch", ["nn", "functional", "relu"]).path == "torch.nn.functional.relu"
    assert walk("torch", ["hub", "load"]).kind == "refused"
    assert walk("torch", ["nn"]).kind == "namespace"


def test_namespaces_are_closed_under_prefixes() -> None:
    """`import a.b.c` binds `a`, so every prefix must itself be a namespace the chain rule knows."""
    for name in NAMESPACES:
        parts = name.split(".")
        for cut in range(1, len(parts)):
            parent = ".".join(parts[:cut])
            assert parent in NAMESPACES and parts[cut] in NAMESPACES[parent].children, name


@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_no_member_exposes_a_module_as_a_public_attribute(name: str) -> None:
    """`member.attr` is ordinary attribute access the chain rule no longer follows, so no allowed
    member may hand out a module that way (e.g. a class attribute holding `os`)."""
    module = importlib.import_module(name)
    for member in sorted(NAMESPACES[name].members):
        value = getattr(module, member)
        for attr in dir(value):
            if attr.startswith("_"):
                continue
            try:
                found = getattr(value, attr)
            except Exception:  # properties that need an instance; nothing is exposed
                continue
            assert not isinstance(found, types.ModuleType), f"{name}.{member}.{attr}"

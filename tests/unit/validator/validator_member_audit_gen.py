"""Classify every member of every class the API allowlist admits (host-side, trusted code).

The module allowlist (`api_allowlist.json`) says which *names* a file may import; this audit
says which *attributes* the values it gets that way may touch. It walks `dir()` of every class
the allowlist admits (all of `torch.nn`'s layers, `torch.Tensor`, the numpy scalar types,
the einops layers, the typing and `collections.abc` classes) in the installed, pinned
versions, and classifies each member name by the rules below. The result is committed as
`validator/member_audit.json`; `test_member_audit.py` fails when an installed class has a
member the table does not list, so a torch upgrade forces a review of what it added.

Categories (all but `allowed` are refused; dunders and private names by SV104/SV105, the
rest by name everywhere by SV116, because the validator cannot type every value):
- allowed: tensor math, layer calls, module traversal, device/dtype moves.
- registration: `register_buffer` & co. take an attribute name; allowed only with a literal
  identifier-like name (SV116 checks the first argument).
- hooks: anything that installs a callback the trainer or autograd runs later.
- getattr_setattr: reaches attributes by a runtime string (`get_submodule`, `set_submodule`,
  `ParameterDict.setdefault/fromkeys`).
- raw_memory: pointers, storages, storage swaps, shared memory, per-element callbacks.
- serialization: state dicts, pickling helpers, files.
- autograd: gradients and the graph (`grad`, `grad_fn`, `backward`, `zero_grad`): the trainer
  owns them; a model that reads or rewrites them can fake training.
- introspection: class walking (`mro`, reachable through a metaclass).
- global_state: registration in interpreter-wide tables (`ABCMeta.register`), compilation,
  distributed replication.

Regenerate after a pin bump:  .venv/bin/python tests/unit/validator/validator_member_audit_gen.py
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[3] / "validator" / "member_audit.json"

REFUSED: dict[str, frozenset[str]] = {
    "getattr_setattr": frozenset(
        {"get_submodule", "set_submodule", "get_parameter", "get_buffer", "get_extra_state",
         "set_extra_state", "setdefault", "fromkeys"}
    ),
    "raw_memory": frozenset(
        {"data_ptr", "const_data_ptr", "untyped_storage", "storage", "storage_type", "set_",
         "share_memory_", "share_memory", "is_shared", "is_set_to", "new", "apply_", "map_",
         "map2_", "getfield", "setfield", "setflags", "record_stream", "ctypes", "data_as",
         "flags", "to_mkldnn", "from_buffer", "frombuffer"}
    ),
    "serialization": frozenset(
        {"state_dict", "load_state_dict", "module_load", "dump", "dumps", "tofile", "load", "save"}
    ),
    "autograd": frozenset({"grad", "grad_fn", "backward", "zero_grad", "reinforce", "retain_grad"}),
    "introspection": frozenset({"mro"}),
    "global_state": frozenset(
        {"register", "compile", "convert_sync_batchnorm", "parallel_apply", "replicate"}
    ),
}  # fmt: skip
REGISTRATION = frozenset({"register_buffer", "register_parameter", "register_module", "add_module"})


def classify_member(name: str) -> str:
    """The category of one member name (the rules in this module's docstring)."""
    if len(name) > 4 and name.startswith("__") and name.endswith("__"):
        return "dunder"
    if name.startswith("_"):
        return "private"
    if "hook" in name:
        return "hooks"
    if name in REGISTRATION:
        return "registration"
    for category, names in REFUSED.items():
        if name in names:
            return category
    return "allowed"


def allowed_classes() -> dict[str, type]:
    """Every class the module allowlist admits, by dotted path, plus the value types models get."""
    import torch

    from sentinel.validator._api import NAMESPACES

    found: dict[str, type] = {}
    for namespace, entry in NAMESPACES.items():
        module = importlib.import_module(namespace)
        for member in sorted(entry.members):
            value = getattr(module, member)
            if inspect.isclass(value):
                found[f"{namespace}.{member}"] = value
    # Values a model handles without naming their class (`x.numpy()`, `np.array(...)`).
    import numpy as np

    found["numpy.ndarray"] = np.ndarray
    found["torch.nn.parameter.Parameter"] = torch.nn.Parameter
    found["torch.nn.utils.parametrize.ParametrizationList"] = importlib.import_module(
        "torch.nn.utils.parametrize"
    ).ParametrizationList
    return found


def generate() -> dict[str, Any]:
    import einops
    import numpy as np
    import torch

    classes = allowed_classes()
    members: dict[str, str] = {}
    for cls in classes.values():
        # Attributes of the metaclass are reachable through the class too (`Mapping.register`).
        for name in {*dir(cls), *dir(type(cls))}:
            members[name] = classify_member(name)
    # copyreg caches this on a class the first time one of its instances is pickled or copied
    # (torch.save, deepcopy), so whether dir() shows it depends on what the process did before.
    members["__slotnames__"] = classify_member("__slotnames__")
    # What an nn class brings beyond nn.Module: the names a subclass would override.
    base = set(dir(torch.nn.Module))
    module_extras = {
        path: sorted(set(dir(cls)) - base - {"__slotnames__"})
        for path, cls in classes.items()
        if issubclass(cls, torch.nn.Module) and cls is not torch.nn.Module
    }
    return {
        "_comment": "Generated by tests/unit/validator/validator_member_audit_gen.py; do not edit by hand.",
        "_versions": {
            "python": ".".join(map(str, sys.version_info[:2])),
            "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__,
            "einops": einops.__version__,
        },
        "classes": sorted(classes),
        "members": dict(sorted(members.items())),
        "module_members": sorted(base),
        "module_extras": {path: names for path, names in sorted(module_extras.items()) if names},
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

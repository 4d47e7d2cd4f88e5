"""Derive the validator's API allowlist from the pinned libraries (host-side, trusted code).

The validator never imports torch: it reads `validator/api_allowlist.json`. This module
states the criteria that produced that file, so a reviewer reads rules instead of 900 names,
and `test_api_allowlist.py` fails when the installed torch/numpy/einops disagree with it.

Regenerate after a pin bump:  .venv/bin/python tests/unit/validator/validator_allowlist_gen.py
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import sys
import types
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[3] / "validator" / "api_allowlist.json"

# Child namespaces a chain may walk through (everything else that is a module is refused).
NAMESPACES: dict[str, list[str]] = {
    "torch": ["nn", "linalg", "fft", "special"],
    "torch.nn": ["functional", "init", "utils"],
    "torch.nn.utils": ["parametrizations"],
    "torch.nn.utils.parametrizations": [],
    "torch.nn.functional": [],
    "torch.nn.init": [],
    "torch.linalg": [],
    "torch.fft": [],
    "torch.special": [],
    "math": [],
    "typing": [],
    "collections": ["abc"],
    "collections.abc": [],
    "numpy": [],
    "einops": ["layers"],
    "einops.layers": ["torch"],
    "einops.layers.torch": [],
    "dataclasses": [],
}

# ATen ops that read files or raw memory: tensor compute only. The fbgemm_* ops take packed
# weight blobs (opaque tensors interpreted as native structures), a memory-safety surface no
# model needs.
TORCH_OPS_REFUSED = {"from_file", "frombuffer"}
TORCH_OPS_REFUSED_PREFIXES = ("fbgemm_",)
TORCH_EXTRA = {
    "Tensor", "Size", "dtype", "device", "no_grad", "enable_grad", "finfo", "iinfo",
    "is_tensor", "get_default_dtype",
}  # fmt: skip
NN_FUNCTIONAL_REFUSED = {
    "boolean_dispatch", "handle_torch_function", "has_torch_function",
    "has_torch_function_unary", "has_torch_function_variadic",
}  # fmt: skip
TYPING_ALLOWED = {
    "Any", "Callable", "ClassVar", "Dict", "Final", "FrozenSet", "Iterable", "Iterator", "List",
    "Literal", "Mapping", "NamedTuple", "Optional", "Sequence", "Set", "Tuple", "Type", "Union",
}  # fmt: skip
# Weight reparametrizations models use by name (issue 12); the rest of torch.nn.utils (clip_grad,
# prune, stateless, rnn packing with enforce_sorted...) is training machinery, not model code.
NN_UTILS_ALLOWED = {"weight_norm", "spectral_norm", "remove_weight_norm", "remove_spectral_norm"}
PARAMETRIZATIONS_ALLOWED = {"weight_norm", "spectral_norm", "orthogonal"}
# Frozen config classes (SV117 checks the shape); field() and the rest of dataclasses are refused.
DATACLASSES_ALLOWED = {"dataclass"}
ABC_ALLOWED = {
    "Callable", "Collection", "Iterable", "Iterator", "Mapping", "MutableMapping", "MutableSequence",
    "Sequence",
}  # fmt: skip
NUMPY_EXTRA = {
    "arange", "array", "asarray", "concatenate", "cumsum", "eye", "full", "linspace", "logspace",
    "mean", "ones", "outer", "prod", "stack", "sum", "zeros", "pi", "e", "inf", "nan",
    "euler_gamma", "newaxis",
}  # fmt: skip
NUMPY_DTYPES = {
    "bool_", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "uint16", "uint32", "uint64", "complex64", "complex128",
}  # fmt: skip
EINOPS_ALLOWED = {"rearrange", "reduce", "repeat", "einsum", "pack", "unpack", "parse_shape"}
EINOPS_TORCH_ALLOWED = {"Rearrange", "Reduce", "EinMix"}


def _public(module: types.ModuleType) -> list[str]:
    return [n for n in dir(module) if not n.startswith("_")]


def _members() -> dict[str, set[str]]:
    import einops
    import numpy as np
    import torch
    import torch.functional
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.nn.init as init

    vf = {n for n in _public(torch._C._VariableFunctions) if hasattr(torch, n)}  # type: ignore[arg-type]
    dtypes = {n for n in _public(torch) if isinstance(getattr(torch, n), torch.dtype)}
    vf = {n for n in vf if not n.startswith(TORCH_OPS_REFUSED_PREFIXES)}
    torch_members = (vf - TORCH_OPS_REFUSED) | set(torch.functional.__all__) | dtypes | TORCH_EXTRA
    nn_members = {
        n for n in _public(nn) if isinstance(getattr(nn, n), type) and issubclass(getattr(nn, n), nn.Module)
    } | {"Parameter", "Buffer"}
    functional = {
        n for n in _public(F) if inspect.isroutine(getattr(F, n)) and n not in NN_FUNCTIONAL_REFUSED
    }
    init_members = {
        n
        for n in _public(init)
        if inspect.isroutine(getattr(init, n)) and getattr(init, n).__module__ == init.__name__
    }

    def routines(name: str) -> set[str]:
        module = importlib.import_module(name)
        return {n for n in _public(module) if inspect.isroutine(getattr(module, n))}

    numpy_members = {n for n in _public(np) if isinstance(getattr(np, n), np.ufunc)}
    numpy_members |= NUMPY_EXTRA | NUMPY_DTYPES
    del einops  # imported only to prove it is installed
    return {
        "torch": torch_members,
        "torch.nn": nn_members,
        "torch.nn.functional": functional,
        "torch.nn.init": init_members,
        "torch.nn.utils": set(NN_UTILS_ALLOWED),
        "torch.nn.utils.parametrizations": set(PARAMETRIZATIONS_ALLOWED),
        "dataclasses": set(DATACLASSES_ALLOWED),
        "torch.linalg": routines("torch.linalg"),
        "torch.fft": routines("torch.fft"),
        "torch.special": routines("torch.special"),
        "math": {n for n in _public(math) if not isinstance(getattr(math, n), types.ModuleType)},
        "typing": set(TYPING_ALLOWED),
        "collections": set(),
        "collections.abc": set(ABC_ALLOWED),
        "numpy": numpy_members,
        "einops": set(EINOPS_ALLOWED),
        "einops.layers": set(),
        "einops.layers.torch": set(EINOPS_TORCH_ALLOWED),
    }


def generate() -> dict[str, Any]:
    """The allowlist as the JSON file stores it (sorted, so diffs stay readable)."""
    import einops
    import numpy as np
    import torch
    import torch.nn as nn

    members = _members()
    # Private state of the objects a model handles (module, tensors, parameters, storages): a
    # file may neither touch nor define these names, even on `self`.
    samples = [nn.Module(), torch.zeros(1), nn.Parameter(torch.zeros(1)), torch.UntypedStorage(1)]
    names = {n for sample in samples for n in dir(sample)} | set(dir(torch.TypedStorage))
    private = sorted(n for n in names if n.startswith("_") and not (n.startswith("__") and n.endswith("__")))
    return {
        "_comment": "Generated by tests/unit/validator/validator_allowlist_gen.py; do not edit by hand.",
        "_versions": {
            "python": ".".join(map(str, sys.version_info[:2])),
            "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__,
            "einops": einops.__version__,
        },
        "namespaces": {
            ns: {"children": sorted(NAMESPACES[ns]), "members": sorted(members[ns])} for ns in NAMESPACES
        },
        "torch_private": private,
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

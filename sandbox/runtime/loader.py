"""Turn a validated config into objects: the dataset, the model, the monitor hook.

Only classes named in the registry are imported by module path; a tier-3 model is loaded from
`<generated>/<module>.py` by file location, and only when its `_target_` matches
`generated.<module>.<Class>` and the file is a regular file directly inside that folder
(no symlink, no other directory). The monitor is imported lazily, only when enabled, so a run
without it does not depend on it.
"""

from __future__ import annotations

import importlib
import importlib.util
import stat
import sys
from pathlib import Path
from typing import Any

import torch

from sentinel.contract.registry import GENERATED_TARGET, TARGETS, split_target
from sentinel.monitor.protocol import TrainerHook
from sentinel.sandbox.runtime.datasets import ArrayDataset

__all__ = ["ModelLoadError", "build_hook", "build_model", "load_dataset"]


class ModelLoadError(RuntimeError):
    """The model named by the config cannot be imported or built (one line, no source text)."""


def load_dataset(section: dict[str, Any], data_root: Path, train: bool = True) -> ArrayDataset:
    return ArrayDataset(data_root, section["name"], train=train)


def build_model(section: dict[str, Any], data: ArrayDataset, generated_dir: Path) -> torch.nn.Module:
    target = section["_target_"]
    params = {k: v for k, v in section.items() if k != "_target_"}
    cls = _generated_class(target, generated_dir) if target not in TARGETS else _registered_class(target)
    try:
        model = cls(data.input_shape, data.output_dim, **params)
    except Exception as err:
        raise ModelLoadError(f"building {target} failed: {type(err).__name__}") from err
    if not isinstance(model, torch.nn.Module):
        raise ModelLoadError(f"{target} did not build a torch.nn.Module")
    return model


def build_hook(section: dict[str, Any]) -> TrainerHook | None:
    """The monitor's hook when `monitor.enabled`, built from the whole section, else None."""
    if not section.get("enabled", False):
        return None
    from sentinel.monitor import build_trainer_hook

    return build_trainer_hook(dict(section))


def _registered_class(target: str) -> type:
    module_name, class_name = split_target(target)
    module = importlib.import_module(module_name)
    cls = module.__dict__.get(class_name)
    if not isinstance(cls, type):
        raise ModelLoadError(f"{target} is not a class")
    return cls


def _generated_class(target: str, generated_dir: Path) -> type:
    match = GENERATED_TARGET.match(target)
    if match is None:
        raise ModelLoadError(f"model target {target!r} is neither registered nor generated.<module>.<Class>")
    module_name, class_name = match.groups()
    folder = generated_dir.resolve()
    path = folder / f"{module_name}.py"
    try:
        mode = path.lstat().st_mode
    except OSError:
        raise ModelLoadError(f"generated model file {module_name}.py is missing") from None
    if not stat.S_ISREG(mode) or path.resolve().parent != folder:
        raise ModelLoadError(f"generated model file {module_name}.py is not a regular file in {folder}")
    qualified = f"generated.{module_name}"
    spec = importlib.util.spec_from_file_location(qualified, path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"cannot load {module_name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise ModelLoadError(f"importing {module_name}.py failed: {type(err).__name__}") from err
    cls = module.__dict__.get(class_name)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ModelLoadError(f"{module_name}.py defines no nn.Module subclass {class_name}")
    guard_array_protocols(module)
    return cls


# NumPy (and DLPack consumers) turn any object exposing one of these into an array over memory
# the object describes: a raw pointer read/write. The validator refuses the names; this is the
# runtime's second line, for classes a generated module defines.
ARRAY_PROTOCOLS = frozenset(
    {
        "__array__",
        "__array_interface__",
        "__array_struct__",
        "__array_function__",
        "__array_ufunc__",
        "__array_finalize__",
        "__array_wrap__",
        "__array_priority__",
        "__cuda_array_interface__",
        "__dlpack__",
        "__dlpack_device__",
    }
)


def guard_array_protocols(module: object) -> None:
    """Refuse generated classes that define an array protocol, and make their instances refuse
    one being set on them later (a class-level `__setattr__` guard: one Python call per
    attribute store, never on the training hot path)."""
    for value in list(vars(module).values()):
        if not (isinstance(value, type) and value.__module__ == getattr(module, "__name__", None)):
            continue
        for klass in value.__mro__:
            if klass.__module__ == value.__module__ and ARRAY_PROTOCOLS & set(vars(klass)):
                raise ModelLoadError(f"{value.__name__} defines an array protocol; refused")
        if "__setattr__" not in vars(value):
            value.__setattr__ = _refusing_setattr(value.__setattr__)  # type: ignore[method-assign]


def _refusing_setattr(original: Any) -> Any:
    def __setattr__(self: object, name: str, value: object) -> None:
        if name in ARRAY_PROTOCOLS:
            raise AttributeError(f"setting {name} is refused in a run")
        original(self, name, value)

    return __setattr__

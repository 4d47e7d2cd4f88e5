"""Register an accepted tier-3 model: validate, then write code and config under configs/generated/.

The source is judged exactly as written (the bytes on disk are the validated text, UTF-8,
no newline translation) and is never imported or executed on the host: the container
imports it as `generated.<name>` from `/job/generated/<name>.py`. Both files are written
atomically (temp file in the same folder, fsync, rename), module first, so a config never
points at a missing or half-written module, and nothing is written when anything fails.
"""

from __future__ import annotations

import keyword
import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sentinel.contract.params import kind_of, param_problems
from sentinel.contract.registry import (
    GENERATED_PARAM,
    GENERATED_STR,
    GENERATED_TARGET,
    MAX_GENERATED_PARAMS,
)
from sentinel.validator._context import ModuleContext
from sentinel.validator._source import SourceText, parse_module
from sentinel.validator.errors import InvalidName, InvalidParams, ModelRejected
from sentinel.validator.gate import validate_source
from sentinel.validator.report import Report
from sentinel.validator.rules.contract import constructor_params

__all__ = ["GENERATED_MODELS", "NAME_PATTERN", "Registration", "register_generated_model"]

GENERATED_MODELS = Path("generated") / "models"  # relative to the configs folder
# Lower case so two names never collide on a case-insensitive filesystem; the registry's
# GENERATED_TARGET accepts a superset of this.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CLASS_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PARAM_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# A module name that shadows something the runtime imports would be confusing at best; some
# names are also imported implicitly by Python or pytest when they sit on a path.
RESERVED_NAMES = frozenset(sys.stdlib_module_names) | {
    "torch", "numpy", "einops", "yaml", "sentinel", "generated", "typing_extensions", "conftest",
    "setup", "sitecustomize", "usercustomize",
}  # fmt: skip
CONSTRUCTOR_ARGS = frozenset({"input_shape", "output_dim"})  # supplied by the runtime, never by config


@dataclass(frozen=True, slots=True)
class Registration:
    """Where an accepted model now lives and the `_target_` that names it."""

    name: str
    class_name: str
    target: str
    module_path: Path
    config_path: Path
    params: dict[str, Any]
    report: Report

    @property
    def sha256(self) -> str:
        return self.report.sha256


def register_generated_model(
    source: str,
    name: str,
    configs_dir: Path,
    class_name: str | None = None,
    params: dict[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> Registration:
    """Validate `source` and write `configs/generated/models/<name>.{py,yaml}`.

    Raises ModelRejected (exit 1) with every finding when the policy refuses the code,
    InvalidName/InvalidParams (exit 2) for unsafe names or params; in every error case
    nothing is written. Re-registering identical code under the same name is a no-op
    rewrite; different code under an existing name needs `overwrite=True`.
    """
    _check_name(name)
    if class_name is not None and not CLASS_PATTERN.match(class_name):
        raise InvalidName("class name", class_name, "must be a Python identifier of at most 64 characters")
    shown = (GENERATED_MODELS / f"{name}.py").as_posix()
    report = validate_source(source, class_name=class_name, filename=shown)
    if not report.accepted:
        raise ModelRejected(report)
    chosen = class_name or _only_entry_point(report)
    if not CLASS_PATTERN.match(chosen):
        raise InvalidName("class name", chosen, "must be a Python identifier of at most 64 characters")
    clean = _check_params(source, chosen, params or {})
    target = f"generated.{name}.{chosen}"
    if not GENERATED_TARGET.match(target):  # pragma: no cover - NAME/CLASS patterns are stricter
        raise InvalidName("target", target, GENERATED_TARGET.pattern)
    folder = _models_folder(Path(configs_dir))
    module_path, config_path = folder / f"{name}.py", folder / f"{name}.yaml"
    code = source.encode("utf-8")
    if not overwrite and module_path.exists() and module_path.read_bytes() != code:
        raise InvalidName("name", name, "already registered with different code (pass overwrite=True)")
    header = f"# Written by sentinel.validator.register_generated_model; source sha256 {report.sha256}\n"
    config = header + yaml.safe_dump({"_target_": target, **clean}, sort_keys=False)
    existed = module_path.exists()
    _atomic_write(module_path, code)
    try:
        _atomic_write(config_path, config.encode("utf-8"))
    except BaseException:
        if not existed:
            module_path.unlink(missing_ok=True)  # keep "nothing written" when the config fails
        raise
    return Registration(name, chosen, target, module_path, config_path, clean, report)


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidName("model name", name, "use 1-64 characters of a-z, 0-9 and _, starting with a letter")
    if (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or name in RESERVED_NAMES
        or name.startswith("test")
    ):
        raise InvalidName(
            "model name", name, "is a keyword, a test-like name or a module Python/the runtime uses"
        )


def _only_entry_point(report: Report) -> str:
    if len(report.entry_points) == 1:
        return report.entry_points[0]
    listed = ", ".join(report.entry_points)
    raise InvalidName("class name", None, f"several classes satisfy the contract ({listed}); pass class_name")


def _check_params(source: str, class_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Params are plain scalars within the generic bounds, named like the constructor's keywords."""
    if kind_of(params) != "dict":
        raise InvalidParams([f"params must be a mapping, got {kind_of(params)}"])
    names, open_ended = constructor_params(ModuleContext(parse_module(SourceText(source))), class_name)
    reasons: list[str] = []
    if len(params) > MAX_GENERATED_PARAMS:
        reasons.append(f"{len(params)} params; the limit is {MAX_GENERATED_PARAMS}")
    for key, value in params.items():
        if not isinstance(key, str) or not PARAM_PATTERN.match(key) or key in CONSTRUCTOR_ARGS:
            reasons.append(f"{key!r} is not a usable param name")
            continue
        if key not in names and not open_ended:
            reasons.append(f"{key!r} is not a parameter of {class_name}.__init__")
        kind = kind_of(value)
        if kind not in GENERATED_PARAM:
            reasons.append(f"{key}: values must be int, float, bool or str, got {kind}")
            continue
        if kind == "float" and not math.isfinite(value):
            reasons.append(f"{key}: {value!r} is not finite")
            continue
        reasons.extend(
            param_problems(key, value, GENERATED_PARAM[kind], GENERATED_STR if kind == "str" else None)
        )
    if reasons:
        raise InvalidParams(reasons)
    return dict(params)


def _models_folder(configs_dir: Path) -> Path:
    """`<configs>/generated/models`, created if needed; no part of it may be a symlink."""
    if not configs_dir.is_dir():
        raise InvalidName("configs folder", str(configs_dir), "is not a directory")
    folder = configs_dir
    for part in GENERATED_MODELS.parts:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise InvalidName("configs folder", str(folder), "must be a real directory, not a link or file")
        folder.mkdir(mode=0o755, exist_ok=True)
    return folder


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)  # replaces a link at `path` itself, never follows it
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

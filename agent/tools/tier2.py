"""Tier 2 tools: new YAML config variants built from existing entries, and composition checks.

A variant is a copy of an existing group entry with a few values changed. It is checked by the
validator's tier-2 policy (same `_target_` as its base, same value types, registry bounds, a
safe path under the campaign's own generated/ folder in the runs folder) and by composing it
into the campaign's experiment before anything is written; the file is then written
atomically (temp file, fsync, rename), so a reader sees either no variant or the whole one.
Writing the same variant twice is a no-op, which lets a brain repeat the call after a crash.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sentinel.agent.configs import GENERATED_DIR, GROUP_DIRS, compose, entries, load_entry
from sentinel.agent.errors import BadInput, EntryExists
from sentinel.agent.tools._context import ToolContext, ToolInputError, check_entry_name, check_group, fmt
from sentinel.agent.tools.records import ComposedConfig, VariantWritten
from sentinel.validator import ConfigRejected, validate_config_variant, validate_path

__all__ = ["MAX_CHANGES", "compose_experiment_config", "create_config_variant", "variant_path"]

MAX_CHANGES = 16
MAX_OVERRIDES = 32
MAX_OVERRIDE_CHARS = 200
Scalar = str | int | float | bool


def variant_path(root: Path, group: str, name: str) -> Path:
    """Where the variant `name` of `group` lives: <campaign root>/generated/<group dir>/<name>.yaml."""
    return Path(root) / GENERATED_DIR / GROUP_DIRS[group] / f"{name}.yaml"


def create_config_variant(
    ctx: ToolContext, group: str, base: str, name: str, changes: dict[str, Scalar | None]
) -> VariantWritten:
    """Write a new config entry that copies an existing one with some values changed.

    The new entry keeps its base's `_target_` (it tunes a class, never swaps it), keeps every
    value's type and stays within the registry's bounds. Pick it afterwards with `<group>=<name>`.

    Args:
        group: Config group of the base entry: model, trainer or monitor.
        base: Existing entry to start from, e.g. cnn1d or default (see list_available_configs).
        name: Name of the new entry: 1-48 characters of a-z, 0-9 and _, not an existing built-in name.
        changes: Parameter values to change, e.g. {"depth": 4} or {"schedule": "cosine", "warmup_steps": 50}.
    """
    group = check_group(group)
    base_entry = _base(ctx, group, base)
    name = _new_name(ctx, group, name)
    values = _changes(changes)
    if "_target_" in values and values["_target_"] != base_entry.get("_target_"):
        raise ToolInputError(f"changes may not set _target_: a variant keeps {base_entry.get('_target_')!r}")
    variant = {
        "_target_": base_entry.get("_target_"),
        **{k: v for k, v in base_entry.items() if k != "_target_"},
    }
    changed = {k: v for k, v in values.items() if k != "_target_"}
    variant.update(changed)
    shown = ", ".join(f"{k}={fmt(v)}" for k, v in changed.items()) or "no changes"
    text = f"# Tier-2 variant of {group} {base}: {shown}\n" + yaml.safe_dump(variant, sort_keys=False)
    output = (GENERATED_DIR / GROUP_DIRS[group] / f"{name}.yaml").as_posix()
    try:
        ctx.root.mkdir(parents=True, exist_ok=True)
        checked = validate_config_variant(text, base_entry, configs_dir=ctx.root, output=output)
    except ConfigRejected as err:
        raise ToolInputError(f"variant {name!r} rejected: {'; '.join(err.reasons)}") from None
    _check_composes(ctx, group, base, changed)
    path = checked.output_path or variant_path(ctx.root, group, name)
    written = VariantWritten(output, group, base, name, changed, existed=path.is_file())
    if written.existed:
        if path.read_text(encoding="utf-8") == text:
            return written
        raise EntryExists(f"{output} already exists with other values; choose another name")
    _atomic_write(path, text)
    return written


def compose_experiment_config(ctx: ToolContext, overrides: list[str], experiment: str = "") -> ComposedConfig:
    """Compose a run config from the experiment and overrides, check it, and summarise the result.

    Use it to try a combination (e.g. a new variant with a learning rate) before proposing a run.

    Args:
        overrides: Overrides such as ["model=cnn1d_deep", "trainer.lr=0.003"], at most 32.
        experiment: Experiment name; empty means this campaign's experiment.
    """
    texts = _override_list(overrides)
    name = experiment or ctx.goal.experiment
    if not isinstance(name, str):
        raise ToolInputError(f"experiment must be a string, got {type(name).__name__}")
    try:
        resolved = compose(name, texts, ctx.configs_dir, ctx.generated_root)
    except BadInput as err:
        raise ToolInputError(f"cannot compose: {err}") from None
    verdicts = []
    for path in resolved.generated_files:
        report = validate_path(path)
        verdicts.append((path.name, report.accepted, len(report.violations)))
    return ComposedConfig(name, resolved, tuple(verdicts))


# helpers -------------------------------------------------------------------------------------
def _base(ctx: ToolContext, group: str, base: object) -> dict[str, Any]:
    if not isinstance(base, str) or base not in entries(ctx.configs_dir, group, ctx.generated_root):
        known = ", ".join(entries(ctx.configs_dir, group, ctx.generated_root))
        raise ToolInputError(f"base must be an existing {group} entry ({known}), got {str(base)[:60]!r}")
    try:
        entry = load_entry(ctx.configs_dir, group, base, ctx.generated_root)
    except BadInput as err:
        raise ToolInputError(f"base {base!r} cannot be used: {err}") from None
    if not isinstance(entry.get("_target_"), str):
        raise ToolInputError(f"base {base!r} has no _target_ to keep")
    return entry


def _new_name(ctx: ToolContext, group: str, name: object) -> str:
    name = check_entry_name(name)
    if (ctx.configs_dir / GROUP_DIRS[group] / f"{name}.yaml").exists():
        raise ToolInputError(f"name {name!r} is a built-in {group} entry; choose another name")
    if group == "model" and (ctx.root / GENERATED_DIR / "models" / f"{name}.py").exists():
        raise ToolInputError(f"name {name!r} is a generated model's module; choose another name")
    path = variant_path(ctx.root, group, name)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ToolInputError(f"name {name!r} is taken by something that is not a config file")
    return name


def _changes(changes: object) -> dict[str, Scalar | None]:
    if not isinstance(changes, Mapping) or not 1 <= len(changes) <= MAX_CHANGES:
        raise ToolInputError(f"changes must be a mapping of 1..{MAX_CHANGES} parameter names to values")
    out: dict[str, Scalar | None] = {}
    for key, value in changes.items():
        if not isinstance(key, str) or not (key == "_target_" or key.isidentifier()) or len(key) > 48:
            raise ToolInputError(f"change key {str(key)[:48]!r} is not a parameter name")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ToolInputError(f"change {key}: values must be plain numbers, strings, booleans or null")
        out[key] = value
    return out


def _check_composes(ctx: ToolContext, group: str, base: str, values: Mapping[str, Any]) -> None:
    """The variant must compose into the campaign's experiment whenever its base does."""
    picks = [f"{group}={base}"]
    try:
        compose(ctx.goal.experiment, picks, ctx.configs_dir, ctx.generated_root)
    except BadInput:
        return  # the base belongs to another experiment; the policy check above still applied
    sets = [f"{group}.{k}={_yaml_scalar(v)}" for k, v in values.items()]
    try:
        compose(ctx.goal.experiment, [*picks, *sets], ctx.configs_dir, ctx.generated_root)
    except BadInput as err:
        raise ToolInputError(f"the variant would not compose: {err}") from None


def _yaml_scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return yaml.safe_dump(value, default_style=None).strip().removesuffix("...").strip()


def _override_list(overrides: object) -> list[str]:
    if not isinstance(overrides, list | tuple) or len(overrides) > MAX_OVERRIDES:
        raise ToolInputError(f"overrides must be a list of at most {MAX_OVERRIDES} strings")
    for text in overrides:
        if not isinstance(text, str) or len(text) > MAX_OVERRIDE_CHARS or not text.isprintable():
            raise ToolInputError(f"each override must be one printable line of <= {MAX_OVERRIDE_CHARS} chars")
    return list(overrides)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

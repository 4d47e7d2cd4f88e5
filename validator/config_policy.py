"""Tier-2 policy: a YAML config variant may change values, never what gets built or where it goes.

The agent writes variants of existing group configs (a wider cnn1d, a cosine trainer). A
variant is plain data: it is read with `yaml.safe_load` only after a token scan has refused
every explicit tag (`!!python/object`, even `!!str`), anchor and alias (the "billion laughs"
expansion) and directive, and bounded its size and nesting, because PyYAML's composer
recurses. Its `_target_` must equal its base's, so a variant can tune a class but never
swap it; every value keeps its base's type and stays inside the registry's bounds
(`sentinel.contract.registry.TARGETS`, or the generic bounds for `generated.*` models).
The file it will be written to must be a plain relative path under configs/generated/ with no
`..`, no absolute part and no symlink anywhere along the way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from sentinel.contract.params import kind_of, param_problems
from sentinel.contract.registry import (
    GENERATED_PARAM,
    GENERATED_STR,
    GENERATED_TARGET,
    MAX_GENERATED_PARAMS,
    TARGETS,
    Param,
)
from sentinel.validator.errors import ConfigRejected

__all__ = ["MAX_VARIANT_BYTES", "ConfigVariant", "resolve_output_path", "validate_config_variant"]

MAX_VARIANT_BYTES = 64_000
MAX_YAML_DEPTH = 8
GENERATED_DIR = "generated"
_PATH_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
MAX_PATH_PARTS = 4
_REFUSED_TOKENS = {
    yaml.TagToken: "explicit YAML tags are not allowed",
    yaml.AnchorToken: "YAML anchors are not allowed",
    yaml.AliasToken: "YAML aliases are not allowed",
    yaml.DirectiveToken: "YAML directives are not allowed",
}
_OPENERS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken)
_OPENERS += (yaml.FlowSequenceStartToken,)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


@dataclass(frozen=True, slots=True)
class ConfigVariant:
    """A variant that passed policy: its own values, the merged config, and where it may go."""

    target: str
    values: dict[str, Any]
    merged: dict[str, Any]
    output_path: Path | None


def validate_config_variant(
    variant_text: str,
    base: Mapping[str, Any],
    *,
    configs_dir: Path | None = None,
    output: str | None = None,
) -> ConfigVariant:
    """Check a tier-2 variant against its base config and the registry; raise ConfigRejected.

    `base` is the trusted config the variant derives from (a mapping with `_target_`).
    With `configs_dir` and `output` (relative to configs_dir, e.g.
    "generated/models/cnn1d_wide.yaml"), the output path is checked and returned resolved.
    Every problem found is reported at once.
    """
    variant = _load(variant_text)
    reasons: list[str] = []
    target = base.get("_target_")
    if not isinstance(target, str):
        raise ConfigRejected([f"base config has no string _target_ (got {kind_of(target)})"])
    if variant.get("_target_") != target:
        reasons.append(f"_target_ must stay {target!r}, got {variant.get('_target_')!r}")
    params = _params_for(target, reasons)
    merged = {**base, **variant}
    for key, value in variant.items():
        if key == "_target_":
            continue
        if not isinstance(key, str) or (params is not None and key not in params):
            reasons.append(f"{key!r} is not a parameter of {target}")
            continue
        changed = _check_type_kept(key, value, base)
        if changed:
            reasons.extend(changed)
        elif params is not None:
            reasons.extend(param_problems(key, value, params[key]))
        else:
            reasons.extend(_check_generated(key, value))
    if params is not None:
        missing = [k for k, p in params.items() if p.required and k not in merged]
        reasons.extend(f"{key!r} is required" for key in missing)
    elif len(merged) - 1 > MAX_GENERATED_PARAMS:
        reasons.append(f"{len(merged) - 1} params; the limit is {MAX_GENERATED_PARAMS}")
    output_path = None
    if output is not None or configs_dir is not None:
        if output is None or configs_dir is None:
            reasons.append("configs_dir and output must be given together")
        else:
            try:
                output_path = resolve_output_path(configs_dir, output)
            except ConfigRejected as err:
                reasons.extend(err.reasons)
    if reasons:
        raise ConfigRejected(reasons)
    return ConfigVariant(target, dict(variant), merged, output_path)


def resolve_output_path(configs_dir: Path, output: str) -> Path:
    """`configs_dir/output`, provided it stays under configs/generated/ with no symlink on the way."""
    reasons: list[str] = []
    if not isinstance(output, str) or not output or "\\" in output or "\x00" in output:
        raise ConfigRejected([f"output path {output!r} is not a plain relative path"])
    relative = PurePosixPath(output)
    parts = relative.parts
    if relative.is_absolute() or output.startswith("~"):
        reasons.append(f"output path {output!r} must be relative to the configs folder")
    elif ".." in parts or "." in output.split("/"):
        reasons.append(f"output path {output!r} may not contain '..' or '.'")
    elif len(parts) < 2 or parts[0] != GENERATED_DIR:
        reasons.append(f"output path {output!r} must be under {GENERATED_DIR}/")
    elif len(parts) > MAX_PATH_PARTS or not all(_PATH_PART.match(p) for p in parts):
        reasons.append(f"output path {output!r} has unsafe or too many parts")
    elif not output.endswith(".yaml"):
        reasons.append(f"output path {output!r} must end in .yaml")
    if reasons:
        raise ConfigRejected(reasons)
    root = Path(configs_dir)
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise ConfigRejected([f"output path {output!r} passes through a symlink ({current})"])
    generated = (root / GENERATED_DIR).resolve()
    final = current.resolve()
    if generated not in final.parents:
        raise ConfigRejected([f"output path {output!r} resolves outside {generated}"])
    return current


def _load(text: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise ConfigRejected([f"variant must be text, got {type(text).__name__}"])
    if len(text.encode("utf-8", "surrogatepass")) > MAX_VARIANT_BYTES:
        raise ConfigRejected([f"variant is larger than {MAX_VARIANT_BYTES} bytes"])
    reasons = _scan(text)
    if reasons:
        raise ConfigRejected(reasons)
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigRejected([f"variant is not valid YAML: {first}"]) from None
    if not isinstance(data, dict):
        raise ConfigRejected([f"variant must be a mapping, got {kind_of(data)}"])
    return data


def _scan(text: str) -> list[str]:
    """Token-level checks that must happen before anything is constructed."""
    reasons: list[str] = []
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            why = _REFUSED_TOKENS.get(type(token))
            if why and why not in reasons:
                reasons.append(why)
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return [*reasons, f"variant nests deeper than {MAX_YAML_DEPTH} levels"]
            elif isinstance(token, _CLOSERS):
                depth -= 1
    except yaml.YAMLError as err:
        return [*reasons, f"variant is not valid YAML: {str(err).splitlines()[0]}"]
    return reasons or _duplicate_keys(text)


def _duplicate_keys(text: str) -> list[str]:
    """safe_load keeps the last of two equal keys silently; a reviewer would see the first."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return []  # reported by safe_load right after
    found: list[str] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            keys = [k.value for k, _ in current.value if isinstance(k, yaml.ScalarNode)]
            found.extend(f"duplicate key {k!r}" for k in sorted({k for k in keys if keys.count(k) > 1}))
            stack.extend(v for _, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return found


def _params_for(target: str, reasons: list[str]) -> Mapping[str, Param] | None:
    """Registry params of `target`; None for a generated model (generic bounds apply)."""
    if target in TARGETS:
        return TARGETS[target].params
    if not GENERATED_TARGET.match(target):
        reasons.append(f"_target_ {target!r} is not in the registry")
    return None


def _check_type_kept(key: str, value: Any, base: Mapping[str, Any]) -> list[str]:
    if key not in base or base[key] is None or value is None:
        return []
    before, after = kind_of(base[key]), kind_of(value)
    if before == after or (before, after) == ("float", "int"):  # `lr: 1` is 1.0 (contract.params)
        return []
    hint = " (YAML reads 1e-3 as a string; write 1.0e-3)" if (before, after) == ("float", "str") else ""
    return [f"{key}: type changed from {before} to {after}{hint}"]


def _check_generated(key: str, value: Any) -> list[str]:
    kind = kind_of(value)
    if kind not in GENERATED_PARAM:
        return [f"{key}: generated-model params must be int, float, bool or str, got {kind}"]
    return param_problems(key, value, GENERATED_PARAM[kind], GENERATED_STR if kind == "str" else None)

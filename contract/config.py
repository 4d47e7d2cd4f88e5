"""Check a run config against the registry and fill in defaults: one function, both sides.

The host calls `validate_config` after composing (so a bad config never reaches a container)
and the container calls it again on `/job/config.yaml` before building anything (defence in
depth: the image may have been built by something other than `compose`). Stdlib and PyYAML
only. Errors name the dotted path and the offending value, in one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

from sentinel.contract.params import ConfigInvalid, check_param, check_params
from sentinel.contract.registry import (
    DATASET_TASKS,
    EXPERIMENT_NAME,
    EXPERIMENT_PARAMS,
    GENERATED_PARAM,
    GENERATED_STR,
    GENERATED_TARGET,
    MAX_GENERATED_PARAMS,
    SECTIONS,
    TARGETS,
)

__all__ = ["ConfigInvalid", "dump_yaml", "load_yaml", "validate_config"]

MAX_PLAIN_DEPTH = 4
MAX_PLAIN_ITEMS = 256
MAX_PLAIN_STR = 256
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # no leading underscore, so no dunders


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `1e-3` as a float (as OmegaConf does) and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigInvalid(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse YAML safely (no tags, no objects); syntax errors become ConfigInvalid."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        raise ConfigInvalid(f"not valid YAML: {str(err).splitlines()[0]}") from None


def dump_yaml(data: Any) -> str:
    """Stable, round-trippable YAML (key order kept; floats always readable back as floats)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=False)


def validate_config(raw: Any) -> dict[str, Any]:
    """Return the config with defaults filled, or raise ConfigInvalid for the first problem."""
    if not isinstance(raw, Mapping):
        raise ConfigInvalid(f"config must be a mapping, got {type(raw).__name__}")
    unknown = [k for k in raw if k not in SECTIONS]
    if unknown:
        raise ConfigInvalid(f"unknown top-level key {unknown[0]!r} (allowed: {', '.join(SECTIONS)})")
    for section in ("experiment", "dataset", "model", "trainer"):
        if section not in raw:
            raise ConfigInvalid(f"missing section {section!r}")
    out: dict[str, Any] = {"experiment": _experiment(raw["experiment"])}
    for section in ("dataset", "model", "trainer"):
        out[section] = _section(section, raw[section])
    out["monitor"] = _monitor(raw.get("monitor", {"enabled": False}))
    task = DATASET_TASKS[out["dataset"]["name"]]
    model_target = out["model"]["_target_"]
    if model_target in TARGETS and task not in TARGETS[model_target].tasks:
        raise ConfigInvalid(
            f"model {model_target} cannot train on dataset {out['dataset']['name']!r} ({task})"
        )
    return out


def _experiment(raw: Any) -> dict[str, Any]:
    values = check_params("experiment", raw, EXPERIMENT_PARAMS)
    if not EXPERIMENT_NAME.match(values["name"]):
        raise ConfigInvalid(f"experiment.name {values['name']!r} must match {EXPERIMENT_NAME.pattern}")
    return values


def _section(section: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigInvalid(f"{section} must be a mapping, got {type(raw).__name__}")
    target = raw.get("_target_")
    if not isinstance(target, str):
        raise ConfigInvalid(f"{section}._target_ is missing or not a string")
    params = {k: v for k, v in raw.items() if k != "_target_"}
    if section == "model" and GENERATED_TARGET.match(target):
        return {"_target_": target, **_generated_params(params)}
    spec = TARGETS.get(target)
    if spec is None:
        raise ConfigInvalid(f"{section}._target_ {target!r} is not in the registry")
    if spec.group != section:
        raise ConfigInvalid(f"{section}._target_ {target!r} belongs to group {spec.group!r}")
    return {"_target_": target, **check_params(section, params, spec.params)}


def _generated_params(params: Mapping[str, Any]) -> dict[str, Any]:
    if len(params) > MAX_GENERATED_PARAMS:
        raise ConfigInvalid(f"generated model has {len(params)} params; at most {MAX_GENERATED_PARAMS}")
    out: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise ConfigInvalid(f"model param name {key!r} must be an identifier")
        path = f"model.{key}"
        if isinstance(value, bool):
            out[key] = value
        elif isinstance(value, int):
            out[key] = check_param(path, value, GENERATED_PARAM["int"])
        elif isinstance(value, float):
            out[key] = check_param(path, value, GENERATED_PARAM["float"])
        elif isinstance(value, str) and GENERATED_STR.match(value):
            out[key] = value
        else:
            raise ConfigInvalid(f"{path} must be a bool, int, float or short plain string, got {value!r}")
    return out


def _monitor(raw: Any) -> dict[str, Any]:
    """`enabled` is ours; every other key belongs to the monitor and passes through as plain data."""
    if not isinstance(raw, Mapping):
        raise ConfigInvalid(f"monitor must be a mapping, got {type(raw).__name__}")
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigInvalid(f"monitor.enabled must be true or false, got {enabled!r}")
    out: dict[str, Any] = {"enabled": enabled}
    for key, value in raw.items():
        if key == "enabled":
            continue
        if not isinstance(key, str) or not _KEY.match(key):
            raise ConfigInvalid(f"monitor key {key!r} must be an identifier")
        out[key] = _plain(f"monitor.{key}", value, 0)
    if len(out) > MAX_PLAIN_ITEMS:
        raise ConfigInvalid(f"monitor has {len(out)} keys; at most {MAX_PLAIN_ITEMS}")
    return out


def _plain(path: str, value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigInvalid(f"{path} must be finite, got {value!r}")
        return value
    if isinstance(value, str):
        if len(value) > MAX_PLAIN_STR or not value.isprintable():
            raise ConfigInvalid(f"{path} must be a printable string of at most {MAX_PLAIN_STR} characters")
        return value
    if depth >= MAX_PLAIN_DEPTH:
        raise ConfigInvalid(f"{path} is nested deeper than {MAX_PLAIN_DEPTH} levels")
    if isinstance(value, list | tuple):
        if len(value) > MAX_PLAIN_ITEMS:
            raise ConfigInvalid(f"{path} has more than {MAX_PLAIN_ITEMS} items")
        return [_plain(f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        if len(value) > MAX_PLAIN_ITEMS:
            raise ConfigInvalid(f"{path} has more than {MAX_PLAIN_ITEMS} keys")
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not _KEY.match(k):
                raise ConfigInvalid(f"{path} key {k!r} must be an identifier")
            out[k] = _plain(f"{path}.{k}", v, depth + 1)
        return out
    raise ConfigInvalid(f"{path} has unsupported type {type(value).__name__}")

"""Parse command-line overrides: `group=entry` picks a config entry, `a.b=value` sets a key.

Values are YAML scalars or flow collections read with a safe loader (`1e-3` is a float, as in
OmegaConf), so `trainer.faults=[{kind: nan_loss, at_step: 5}]` works and nothing can build an
object. Hydra's `+key`/`~key`/`++key` forms are not supported and are named as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from sentinel.agent.configs.bounded_yaml import YamlTooComplex, bounded_loader
from sentinel.agent.errors import ConfigError
from sentinel.contract.config import ConfigInvalid, _Loader
from sentinel.contract.registry import GROUPS, SECTIONS

__all__ = ["Override", "dotted_key", "parse_override", "parse_overrides"]

_OVERRIDE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)=(.*)$", re.DOTALL)
_ENTRY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$")
MAX_OVERRIDE_CHARS = 4096
# The runtime's loader (1e-3 is a float, duplicate keys refused), alias-free and bounded.
_VALUE_LOADER = bounded_loader(_Loader)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77]) + "..."


@dataclass(frozen=True, slots=True)
class Override:
    """`kind` "group": `key` is a group, `value` an entry name; "set": `key` is a dotted path."""

    kind: str
    key: str
    value: Any
    text: str

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]


def parse_override(text: str) -> Override:
    if not isinstance(text, str) or len(text) > MAX_OVERRIDE_CHARS:
        raise ConfigError(f"override must be a string of at most {MAX_OVERRIDE_CHARS} characters")
    if text[:1] in "+~":
        raise ConfigError(f"override {text!r}: '+'/'~' forms are not supported; use key=value")
    match = _OVERRIDE.match(text)
    if match is None:
        raise ConfigError(f"malformed override {text!r}: expected group=entry or a.b=value")
    key, raw = match.groups()
    if "." not in key:
        if key not in GROUPS:
            raise ConfigError(f"override {text!r}: {key!r} is not a config group ({', '.join(GROUPS)})")
        if not _ENTRY.match(raw):
            raise ConfigError(f"override {text!r}: {raw!r} is not a valid entry name")
        return Override("group", key, raw, text)
    if key.split(".", 1)[0] not in SECTIONS:
        raise ConfigError(
            f"override {text!r}: unknown section {key.split('.', 1)[0]!r} ({', '.join(SECTIONS)})"
        )
    try:
        value = yaml.load(raw, Loader=_VALUE_LOADER)  # safe, alias-free, bounded (bounded_yaml)
    except YamlTooComplex as err:
        raise ConfigError(f"override {_shown(text)}: value is not valid YAML here: {err}") from None
    except (ConfigInvalid, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"override {_shown(text)}: value is not valid YAML: {first[:200]}") from None
    except (RecursionError, ValueError) as err:
        raise ConfigError(
            f"override {_shown(text)}: value is not valid YAML ({type(err).__name__})"
        ) from None
    return Override("set", key, value, text)


def dotted_key(key: object) -> str:
    """`key` if it is a dotted path into a config section (`trainer.lr`), else ConfigError."""
    if not isinstance(key, str) or "." not in key or not _OVERRIDE.match(f"{key}="):
        raise ConfigError(f"override key {key!r} must be a dotted key like trainer.lr")
    if key.split(".", 1)[0] not in SECTIONS:
        raise ConfigError(f"override key {key!r}: unknown section ({', '.join(SECTIONS)})")
    return key


def parse_overrides(texts: list[str]) -> list[Override]:
    return [parse_override(text) for text in texts]

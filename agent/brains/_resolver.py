"""The values a proposal actually ran with: its overrides over the experiment's composed defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sentinel.agent.brains._view import Scalar
from sentinel.agent.configs import compose
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import CHOICE_GROUPS
from sentinel.contract.registry import GENERATED_TARGET, TARGETS

__all__ = ["Resolver"]


class Resolver:
    """The values a proposal ran with: its overrides over the experiment's composed defaults.

    Composed configs are cached per set of group picks within one call only, so a config file
    edited between two calls is read fresh (no hidden state across calls).
    """

    def __init__(self, experiment: str, configs_dir: Path, generated_root: Path | None = None) -> None:
        self.experiment, self.configs_dir = experiment, Path(configs_dir)
        self.generated_root = generated_root
        self._configs: dict[tuple[tuple[str, str], ...], dict[str, Any] | None] = {}
        self.defaults = self._default_entries()

    def _default_entries(self) -> dict[str, str]:
        path = self.configs_dir / "experiments" / f"{self.experiment}.yaml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return {}
        defaults = raw.get("defaults") if isinstance(raw, dict) else None
        return {k: v for k, v in (defaults or {}).items() if isinstance(k, str) and isinstance(v, str)}

    def picks(self, overrides: Mapping[str, Scalar]) -> dict[str, str]:
        """Group -> entry name the proposal used, for the groups a search can pick."""
        out = {g: e for g, e in self.defaults.items() if g in CHOICE_GROUPS}
        out.update({g: str(v) for g, v in overrides.items() if g in CHOICE_GROUPS})
        return out

    def config(self, overrides: Mapping[str, Scalar]) -> dict[str, Any] | None:
        picks = tuple(sorted(self.picks(overrides).items()))
        if picks not in self._configs:
            try:
                texts = [f"{g}={e}" for g, e in picks]
                resolved = compose(self.experiment, texts, self.configs_dir, self.generated_root)
                self._configs[picks] = resolved.config
            except BadInput:
                self._configs[picks] = None  # e.g. a generated entry removed since: use overrides only
        return self._configs[picks]

    def value(self, key: str, overrides: Mapping[str, Scalar]) -> Scalar | None:
        """What `key` was for this proposal, or None when it does not apply (a CNN has no `hidden`)."""
        if key in CHOICE_GROUPS:
            return self.picks(overrides).get(key)
        config = self.config(overrides)
        section, _, name = key.partition(".")
        if config is not None and not self.applies(config, section, name):
            return None
        if key in overrides:
            return overrides[key]
        value = config[section].get(name) if config is not None else None
        return value if isinstance(value, str | int | float) else None

    @staticmethod
    def applies(config: Mapping[str, Any], section: str, name: str) -> bool:
        entry = config.get(section) or {}
        target = str(entry.get("_target_"))
        if target in TARGETS:
            return name in TARGETS[target].params
        return bool(GENERATED_TARGET.match(target)) and name in entry

"""A run's config composed once and each generated model file validated once, passed along.

The campaign loop checks a proposal here when it validates it, and hands the result to the
approval hook (the review bundle shows these reports and this config), to the check right
before the run, and to `launch_run`, which bakes `resolved.files`, the very bytes that were
validated and digested. Nothing on a run's path composes or validates again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.configs.compose import ResolvedConfig, compose
from sentinel.contract.registry import GENERATED_TARGET

if TYPE_CHECKING:
    from sentinel.validator import Report

__all__ = ["CheckedConfig", "check_config"]


@dataclass(frozen=True, slots=True)
class CheckedConfig:
    """`resolved` plus the validator's report on each of its generated model files, in order."""

    resolved: ResolvedConfig
    reports: tuple[tuple[str, Report], ...] = ()  # (file name, report)

    @property
    def sha256(self) -> str:
        return self.resolved.sha256

    def rejection(self) -> str | None:
        """Sentinel's reason to refuse the config (a generated file the validator rejected), or None."""
        for name, report in self.reports:
            if not report.accepted:
                return f"generated model {name} rejected by the validator"
        return None


def check_config(
    experiment: str, overrides: Sequence[str], configs_dir: Path, generated_root: Path | None = None
) -> CheckedConfig:
    """Compose `experiment` with `overrides` and validate each generated model file it needs
    (pinned to the class the config names). ConfigError (exit 2) when it does not compose."""
    resolved = compose(experiment, list(overrides), configs_dir, generated_root)
    return CheckedConfig(resolved, validate_files(resolved))


def validate_files(resolved: ResolvedConfig) -> tuple[tuple[str, Report], ...]:
    from sentinel.validator import validate_source  # libcst: loaded only when there is code to judge

    match = GENERATED_TARGET.match(str(resolved.config["model"].get("_target_")))
    class_name = match.group(2) if match else None
    reports = []
    for name in resolved.files:
        try:
            source = resolved.source(name)
        except UnicodeDecodeError:
            source = resolved.files[name].decode("utf-8", "replace")  # the validator rejects it
        reports.append((name, validate_source(source, class_name=class_name, filename=name)))
    return tuple(reports)

"""Every monitor threshold in one frozen record, parsed strictly from a run config's `monitor:`.

The dataclass defaults are the source of truth; `configs/monitor/default.yaml` repeats them with
the reason for each value and a unit test keeps the two equal. Parsing rejects unknown keys by
name, because a misspelt threshold that silently falls back to its default is a run whose
monitor behaves differently from what its author believes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MonitorConfig"]


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    """Thresholds are ratios, z-scores or step counts: never absolute loss or gradient levels."""

    enabled: bool = True
    # signals and windows
    window: int = 256
    ref_window: int = 64
    refresh_every: int = 32
    refresh_idle: int = 128
    trend_every: int = 32
    warmup_steps: int = 24
    start_steps: int = 8
    ewma_alpha: float = 0.05
    mad_floor_rel: float = 0.02
    # detectors
    spike_z: float = 8.0
    spike_min_rel: float = 1.0
    spike_log_z: float = 6.0
    spike_min_start_rel: float = 0.05
    explosion_z: float = 6.0
    explosion_min_ratio: float = 10.0
    divergence_window: int = 24
    divergence_ratio: float = 1.5
    divergence_z: float = 6.0
    divergence_lost: float = 0.2
    divergence_start_ratio: float = 5.0
    oscillation_window: int = 96
    oscillation_block: int = 8
    oscillation_ratio: float = 8.0
    oscillation_sign_changes: float = 0.5
    oscillation_cv: float = 0.1
    oscillation_anticorr: float = 0.5
    plateau_patience: int = 48
    plateau_elevated: float = 0.9
    plateau_min_gain: float = 0.02
    plateau_update_ratio_low: float = 5e-4
    plateau_update_ratio_high: float = 0.05
    plateau_collapse_elevated: float = 0.5
    plateau_collapse_grad: float = 0.1
    plateau_lr_rising: float = 1.02
    # policy and actions
    clip_factor: float = 2.0
    clip_factor_adaptive: float = 1.0
    contain_limit: int = 48
    contain_bursts: int = 4
    spike_streak: int = 6
    lr_cut_factor: float = 0.3
    lr_jump_ratio: float = 3.0
    lr_restart_max_factor: float = 10000.0
    update_ratio_target: float = 2e-2
    lr_restart_limit: int = 3
    blow_up_retries: int = 3
    cooldown_steps: int = 48
    recovery_steps: int = 96
    snapshot_every: int = 64
    snapshot_gap: int = 256
    snapshots_kept: int = 3
    outcome_horizon: int = 96
    recovery_tolerance: float = 0.25
    warmup_extreme_ratio: float = 100.0
    momentum_horizon_cut: float = 4.0
    mediocre_stall: int = 3
    mediocre_regress: float = 1.3
    max_events: int = 512

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.type == "bool":
                continue
            if field.type == "int" and value < 1:
                raise ValueError(f"monitor.{field.name} must be >= 1, got {value}")
            if field.type == "float" and not (math.isfinite(value) and value > 0):
                raise ValueError(f"monitor.{field.name} must be a finite number > 0, got {value}")
        for name in (
            "ewma_alpha",
            "lr_cut_factor",
            "plateau_elevated",
            "plateau_collapse_elevated",
            "plateau_collapse_grad",
            "oscillation_anticorr",
        ):
            if getattr(self, name) >= 1:
                raise ValueError(f"monitor.{name} must be < 1, got {getattr(self, name)}")
        if self.plateau_lr_rising < 1:
            raise ValueError(f"monitor.plateau_lr_rising must be >= 1, got {self.plateau_lr_rising}")
        if self.oscillation_sign_changes > 1:
            value = self.oscillation_sign_changes
            raise ValueError(f"monitor.oscillation_sign_changes must be <= 1, got {value}")
        if self.refresh_idle < self.refresh_every:
            raise ValueError(
                f"monitor.refresh_idle ({self.refresh_idle}) must be >= refresh_every ({self.refresh_every})"
            )
        if self.ref_window > self.window or self.divergence_window * 2 > self.window:
            raise ValueError(f"monitor.window ({self.window}) is too small for the detector windows")
        if self.oscillation_window > self.window or self.plateau_patience > self.window:
            raise ValueError(f"monitor.window ({self.window}) is too small for the detector windows")
        if self.oscillation_window < 4 * self.oscillation_block or self.oscillation_block < 2:
            raise ValueError(
                f"monitor.oscillation_window must be >= 4 * oscillation_block, got {self.oscillation_window}"
            )

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> MonitorConfig:
        """Parse the run config's `monitor:` mapping; unknown keys and wrong types raise ValueError."""
        if params is None:
            return cls()
        if not isinstance(params, Mapping):
            raise ValueError(f"monitor params must be a mapping, got {type(params).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in params.items():
            if key not in fields:
                raise ValueError(f"unknown monitor key {key!r}")
            values[key] = _coerce(key, fields[key].type, value)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _coerce(key: str, kind: Any, value: Any) -> Any:
    """YAML gives ints where floats are meant (`ratio: 2`); accept that, reject everything else."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"monitor.{key} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"monitor.{key} must be a number, got {value!r}")
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"monitor.{key} must be an integer, got {value!r}")
        return int(value)
    return float(value)

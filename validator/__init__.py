"""Sentinel's static gate for agent-written code (tier 3) and configs (tier 2).

Host-side only: it parses, it never imports or executes what it judges. The policy is an
allowlist (see `rules/__init__.py` for the rule list, `api_allowlist.json` for the library
surface); the container is the second, independent layer.
"""

from __future__ import annotations

from sentinel.validator.config_policy import ConfigVariant, validate_config_variant
from sentinel.validator.errors import (
    ConfigRejected,
    InvalidName,
    InvalidParams,
    ModelRejected,
    UnreadableSource,
    ValidatorError,
)
from sentinel.validator.gate import validate_path, validate_source
from sentinel.validator.registration import Registration, register_generated_model
from sentinel.validator.report import Report, Violation

__all__ = [
    "ConfigRejected",
    "ConfigVariant",
    "InvalidName",
    "InvalidParams",
    "ModelRejected",
    "Registration",
    "Report",
    "UnreadableSource",
    "ValidatorError",
    "Violation",
    "register_generated_model",
    "validate_config_variant",
    "validate_path",
    "validate_source",
]

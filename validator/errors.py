"""Validator error tree: each class states its DESIGN.md exit code; the CLI maps them once.

A rejection is not an exception inside the validator (`validate_source` returns a report);
these errors are raised by the callers that must stop: registration refuses rejected code,
`validate_path` refuses input it cannot read, tier-2 refuses a variant that breaks policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from sentinel.validator.report import Report

__all__ = [
    "ConfigRejected",
    "InvalidName",
    "InvalidParams",
    "ModelRejected",
    "UnreadableSource",
    "ValidatorError",
]


class ValidatorError(Exception):
    """Root of the validator's errors."""

    exit_code: ClassVar[int] = 1  # the work ran and failed: code or config rejected


class ModelRejected(ValidatorError):
    """Tier-3 code failed the policy; `report` carries every finding, nothing was written."""

    exit_code = 1

    def __init__(self, report: Report) -> None:
        first = report.violations[0] if report.violations else None
        where = f": {first.code} line {first.line}: {first.message}" if first else ""
        super().__init__(f"model rejected with {len(report.violations)} finding(s){where}")
        self.report = report


class ConfigRejected(ValidatorError):
    """A tier-2 config variant broke policy; `reasons` lists every problem found."""

    exit_code = 1

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("config variant rejected: " + "; ".join(reasons))
        self.reasons = tuple(reasons)


class UnreadableSource(ValidatorError):
    """The input could not be read at all (missing, not a regular file, permission)."""

    exit_code = 2

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot read {path}: {reason}")
        self.path, self.reason = path, reason


class InvalidName(ValidatorError):
    """A registration name, class name or param key is not a safe identifier."""

    exit_code = 2

    def __init__(self, what: str, value: object, rule: str) -> None:
        super().__init__(f"invalid {what} {value!r}: {rule}")
        self.what, self.value, self.rule = what, value, rule


class InvalidParams(ValidatorError):
    """Registration params are not plain, bounded data the constructor accepts."""

    exit_code = 2

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("invalid params: " + "; ".join(reasons))
        self.reasons = tuple(reasons)

"""Host-side error tree: each class states its DESIGN.md exit code; the CLI maps them once."""

from __future__ import annotations

from typing import ClassVar


class AgentError(Exception):
    exit_code: ClassVar[int] = 1  # the work ran and failed


class BadInput(AgentError):
    """The user's input (experiment, override, goal, path) is wrong; nothing was written."""

    exit_code = 2


class ConfigError(BadInput):
    """A config cannot be composed or does not fit the registry."""


class EnvironmentProblem(AgentError):
    """The input was fine but the machine refused (a full disk): exit 3, the message says what."""

    exit_code = 3

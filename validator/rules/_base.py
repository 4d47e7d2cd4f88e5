"""The contract every rule follows (one rule per module, listed in `rules/__init__.py`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation

__all__ = ["Rule"]


class Rule(ABC):
    """A pure judgement over one module: same source, same findings, in any order of rules.

    `check` yields *every* violation it sees (reviewers and the generator want the full list,
    as smolagents' tool_validation collects all errors before raising), never raises on
    hostile input, and never imports or executes anything from the source.
    """

    code: ClassVar[str]
    summary: ClassVar[str]
    # A fatal finding means later rules cannot trust the input (no tree, or a tree too deep
    # for them to walk), so the pipeline stops after this rule.
    fatal: ClassVar[bool] = False
    # Tree rules run only when the module parsed and passed the size and depth limits.
    needs_tree: ClassVar[bool] = True

    @abstractmethod
    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        """Yield every violation of this rule in `ctx`."""

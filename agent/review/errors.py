"""Review errors: a reviewer's request that cannot be honoured is bad input (exit 2).

They sit under BadInput so the CLI's one mapping prints one line on stderr and exits 2, and
nothing is written when one is raised.
"""

from __future__ import annotations

from pathlib import Path

from sentinel.agent.errors import BadInput

__all__ = ["AlreadyDecided", "BundleChanged", "BundleInvalid", "ReviewError", "UnknownReview"]


class ReviewError(BadInput):
    """Root of the review errors."""


class UnknownReview(ReviewError):
    def __init__(self, ref: str, root: Path) -> None:
        super().__init__(f"no review bundle {ref!r} under {root} (see `sentinel review list`)")
        self.ref, self.root = ref, root


class BundleInvalid(ReviewError):
    """The folder holds something a bundle never does (a link, a subfolder, a huge file) or lost
    its seal, so no digest of it can be trusted."""

    def __init__(self, folder: Path, detail: str) -> None:
        super().__init__(f"review bundle {folder}: {detail}")
        self.folder, self.detail = folder, detail


class BundleChanged(ReviewError):
    """The bundle's files differ from the digest that was sealed or approved."""

    def __init__(self, folder: Path, expected: str, actual: str, what: str) -> None:
        super().__init__(
            f"review bundle {folder} changed since {what} (was {expected[:12]}, now {actual[:12]})"
        )
        self.folder, self.expected, self.actual = folder, expected, actual


class AlreadyDecided(ReviewError):
    def __init__(self, folder: Path, detail: str) -> None:
        super().__init__(f"review bundle {folder}: {detail}")
        self.folder = folder

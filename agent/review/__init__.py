"""Offline review: bundles of evidence per proposal, their digests, and the reviewer's decisions.

The offline approval hook (sentinel.agent.campaign.approval) writes a bundle and pauses the
campaign; `sentinel review` shows and decides it; `campaign resume` records the decision. See
docs/approval.md for the whole flow.
"""

from sentinel.agent.errors import (
    AlreadyDecided,
    BundleChanged,
    BundleInvalid,
    ReviewError,
    UnknownReview,
)
from sentinel.agent.review._text import printable
from sentinel.agent.review.bundle import (
    DECISION_FILE,
    SEAL_FILE,
    Bundle,
    digest,
    folder_digest,
    read_files,
    read_seal,
    write_bundle,
)
from sentinel.agent.review.changes import apply_changes, checked_overrides
from sentinel.agent.review.content import build_bundle, closest_model
from sentinel.agent.review.decision import REVIEWER, ReviewDecision, read_decision, record_decision
from sentinel.agent.review.folders import BundleStatus, bundle_folder, find_bundle, inspect, list_bundles

__all__ = [
    "DECISION_FILE",
    "REVIEWER",
    "SEAL_FILE",
    "AlreadyDecided",
    "Bundle",
    "BundleChanged",
    "BundleInvalid",
    "BundleStatus",
    "ReviewDecision",
    "ReviewError",
    "UnknownReview",
    "apply_changes",
    "build_bundle",
    "bundle_folder",
    "checked_overrides",
    "closest_model",
    "digest",
    "find_bundle",
    "folder_digest",
    "inspect",
    "list_bundles",
    "printable",
    "read_decision",
    "read_files",
    "read_seal",
    "record_decision",
    "write_bundle",
]

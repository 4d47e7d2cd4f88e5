"""Where bundles live (`<reviews>/<campaign>/<proposal id>/`), finding one by id, and its state.

The `review` commands work on these folders alone, without the FeedbackStore: a reviewer can
look at bundles on another machine (a copy of the folder) and the campaign process picks the
decisions up on `campaign resume`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel.agent.errors import BundleInvalid, ReviewError, UnknownReview
from sentinel.agent.review.bundle import folder_digest, read_seal
from sentinel.agent.review.decision import ReviewDecision, read_decision
from sentinel.contract.config import ConfigInvalid, load_yaml
from sentinel.contract.patterns import CAMPAIGN_ID

__all__ = ["BundleStatus", "bundle_folder", "find_bundle", "inspect", "list_bundles"]

PROPOSAL_ID = re.compile(r"[1-9][0-9]{0,17}")
MAX_PROPOSAL_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class BundleStatus:
    """A bundle as it stands: `intact` means its files still hash to the digest Sentinel sealed;
    `state` is pending, approved, rejected or modified; `problem` says why it cannot be trusted."""

    folder: Path
    campaign: str
    proposal_id: int
    proposal: Mapping[str, Any] = field(default_factory=dict)
    sealed: str | None = None
    current: str | None = None
    decision: ReviewDecision | None = None
    problem: str = ""

    @property
    def ref(self) -> str:
        return f"{self.campaign}/{self.proposal_id}"

    @property
    def state(self) -> str:
        return self.decision.decision if self.decision else "pending"

    @property
    def intact(self) -> bool:
        return not self.problem and self.current is not None and self.current == self.sealed

    @property
    def changed_after_decision(self) -> bool:
        return self.decision is not None and self.decision.bundle_sha256 != self.current

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.proposal_id,
            "ref": self.ref,
            "campaign": self.campaign,
            "folder": str(self.folder),
            "state": self.state,
            "intact": self.intact,
            "sealed_sha256": self.sealed,
            "current_sha256": self.current,
            "problem": self.problem,
            "decision": self.decision.to_json() if self.decision else None,
            "seq": self.proposal.get("seq"),
            "tier": self.proposal.get("tier"),
            "overrides": self.proposal.get("override_args", []),
        }


def bundle_folder(root: Path, campaign_id: str, proposal_id: int) -> Path:
    if not CAMPAIGN_ID.fullmatch(campaign_id) or not PROPOSAL_ID.fullmatch(str(proposal_id)):
        raise ReviewError(f"no bundle folder for campaign {campaign_id!r} proposal {proposal_id!r}")
    return Path(root) / campaign_id / str(proposal_id)


def find_bundle(root: Path, ref: str) -> Path:
    """`ID` or `CAMPAIGN/ID` -> the bundle's folder; UnknownReview (exit 2) when there is none."""
    root = Path(root)
    campaign, _, number = ref.strip().rpartition("/")
    if not PROPOSAL_ID.fullmatch(number) or (campaign and not CAMPAIGN_ID.fullmatch(campaign)):
        raise ReviewError(f"review id {ref!r:.80} is not ID or CAMPAIGN/ID (see `sentinel review list`)")
    if campaign:
        found = [root / campaign / number]
    else:
        found = sorted(root.glob(f"*/{number}")) if root.is_dir() else []
    found = [f for f in found if f.is_dir() and not f.is_symlink() and CAMPAIGN_ID.fullmatch(f.parent.name)]
    if not found:
        raise UnknownReview(ref, root)
    if len(found) > 1:
        names = ", ".join(f"{f.parent.name}/{number}" for f in found)
        raise ReviewError(f"review id {number} is ambiguous ({names}); use CAMPAIGN/ID")
    return found[0]


def inspect(folder: Path) -> BundleStatus:
    """Read everything about one bundle without raising on a damaged one (see `problem`)."""
    folder = Path(folder)
    status: dict[str, Any] = {"folder": folder, "campaign": folder.parent.name}
    status["proposal_id"] = int(folder.name)
    problems: list[str] = []
    try:
        status["current"] = folder_digest(folder)
    except BundleInvalid as err:
        problems.append(err.detail)
    status["sealed"] = read_seal(folder)
    if status["sealed"] is None:
        problems.append("it has no seal (bundle.sha256)")
    try:
        status["decision"] = read_decision(folder)
    except BundleInvalid as err:
        problems.append(err.detail)
    status["proposal"] = _proposal(folder, problems)
    return BundleStatus(**status, problem="; ".join(problems))


def list_bundles(root: Path, campaign: str | None = None) -> list[BundleStatus]:
    """Every bundle under `root` (optionally one campaign's), oldest proposal first."""
    root = Path(root)
    if campaign is not None and not CAMPAIGN_ID.fullmatch(campaign):
        raise ReviewError(f"campaign id {campaign!r:.80} is not valid")
    if not root.is_dir():
        return []
    found = []
    for camp in sorted(root.iterdir()):
        if camp.is_symlink() or not camp.is_dir() or not CAMPAIGN_ID.fullmatch(camp.name):
            continue
        if campaign is not None and camp.name != campaign:
            continue
        for folder in camp.iterdir():
            if PROPOSAL_ID.fullmatch(folder.name) and folder.is_dir() and not folder.is_symlink():
                found.append(inspect(folder))
    return sorted(found, key=lambda s: (s.campaign, s.proposal_id))


def _proposal(folder: Path, problems: list[str]) -> Mapping[str, Any]:
    path = folder / "proposal.yaml"
    try:
        if path.is_symlink() or path.stat().st_size > MAX_PROPOSAL_BYTES:
            raise ValueError("not a small regular file")
        doc = load_yaml(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a mapping")
    except (OSError, UnicodeDecodeError, ValueError, ConfigInvalid) as err:
        problems.append(f"proposal.yaml is unreadable ({type(err).__name__})")
        return {}
    return doc

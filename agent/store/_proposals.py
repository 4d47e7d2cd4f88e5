"""Proposals: what a brain wants to run, and its way through the validator and the reviewer.

proposed -> validated | rejected_by_validator -> approved | rejected_by_reviewer -> running ->
finished (running -> approved again when a run is requeued after a crash). A rejection also
writes a finished run row with the matching status, so `history` shows every proposal that
reached an end, and a brain is told about rejected proposals like any other result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from sentinel.agent.errors import BadRecord, StateConflict
from sentinel.agent.store._base import StoreBase
from sentinel.agent.store._records import ApprovalRecord, ProposalRecord
from sentinel.agent.store._values import Scalar, check, clean_text, scalars_json

__all__ = ["MAX_RATIONALE", "ProposalsMixin"]

MAX_RATIONALE = 4000
MAX_REASON = 500
OPEN_CAMPAIGN = ("running", "paused")


class ProposalsMixin(StoreBase):
    def add_proposal(
        self,
        campaign_id: str,
        *,
        tier: int,
        brain: str,
        overrides: Mapping[str, Scalar],
        rationale: str,
        experiment: str | None = None,
        model_ref: str | None = None,
        parent_id: int | None = None,
        lineage: str | None = None,
        now: float | None = None,
    ) -> ProposalRecord:
        """Append a `proposed` proposal with the next seq of the campaign.

        `experiment` defaults to the goal's; `lineage` defaults to the parent's, and a proposal
        without a parent starts its own (`p<seq>`), so drift is judged only between runs that
        descend from one another. `tier` may not exceed the campaign's current tier: escalate
        first. `rationale` is Sentinel's (or the brain's) wording, never artifact text.
        """
        check("name", "brain", brain)
        rationale = clean_text(rationale, MAX_RATIONALE, multiline=True)
        overrides_json = scalars_json("overrides", overrides)
        if model_ref is not None:
            check("model_ref", "model_ref", model_ref)
        if lineage is not None:
            check("lineage", "lineage", lineage)
        at = self._now(now)
        with self._db.write() as conn:
            campaign = self._campaign_row(conn, campaign_id)
            if campaign["state"] not in OPEN_CAMPAIGN:
                raise StateConflict("campaign", campaign_id, campaign["state"], "a new proposal")
            if isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= campaign["tier"]:
                raise BadRecord(
                    "tier", f"must be in 1..{campaign['tier']} (the campaign's tier), got {tier!r}"
                )
            experiment = experiment or json.loads(campaign["goal_json"])["experiment"]
            check("experiment", "experiment", experiment)
            if parent_id is not None:
                parent = self._proposal_row(conn, parent_id)
                if parent["campaign_id"] != campaign_id:
                    raise BadRecord("parent_id", f"proposal {parent_id} belongs to another campaign")
                lineage = lineage or parent["lineage"]
            seq = (
                1
                + conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM proposals WHERE campaign_id = ?", (campaign_id,)
                ).fetchone()[0]
            )
            cur = conn.execute(
                "INSERT INTO proposals (campaign_id, seq, tier, brain, experiment, overrides_json, model_ref,"
                " rationale, parent_id, lineage, state, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?)",
                (
                    campaign_id,
                    seq,
                    tier,
                    brain,
                    experiment,
                    overrides_json,
                    model_ref,
                    rationale,
                    parent_id,
                    lineage or f"p{seq}",
                    at,
                    at,
                ),
            )
            return ProposalRecord.from_row(self._proposal_row(conn, cur.lastrowid or 0))

    def get_proposal(self, proposal_id: int) -> ProposalRecord:
        with self._db.read() as conn:
            return ProposalRecord.from_row(self._proposal_row(conn, proposal_id))

    def proposals(self, campaign_id: str, states: tuple[str, ...] | None = None) -> list[ProposalRecord]:
        """The campaign's proposals in seq order, optionally only those in `states`."""
        with self._db.read() as conn:
            self._campaign_row(conn, campaign_id)
            rows = conn.execute("SELECT * FROM proposals WHERE campaign_id = ? ORDER BY seq", (campaign_id,))
            return [ProposalRecord.from_row(r) for r in rows if states is None or r["state"] in states]

    def cancel_pending(self, campaign_id: str, reason: str, now: float | None = None) -> int:
        """Every proposed/validated/approved proposal becomes `cancelled` (the campaign ended
        before running it), in one transaction; returns how many. Running ones are not touched."""
        reason, at = clean_text(reason, MAX_REASON), self._now(now)
        with self._db.write() as conn:
            self._campaign_row(conn, campaign_id)
            cur = conn.execute(
                "UPDATE proposals SET state = 'cancelled', state_reason = ?, updated_at = ?"
                " WHERE campaign_id = ? AND state IN ('proposed', 'validated', 'approved')",
                (reason, at, campaign_id),
            )
            return cur.rowcount

    def record_validation(
        self,
        proposal_id: int,
        accepted: bool,
        *,
        config_sha256: str | None = None,
        reason: str = "",
        now: float | None = None,
    ) -> ProposalRecord:
        """proposed -> validated (with the composed config's sha256) or rejected_by_validator.

        Repeating the same outcome is a no-op, so a loop resumed between validation and approval
        can simply validate again.
        """
        target = "validated" if accepted else "rejected_by_validator"
        reason = clean_text(reason, MAX_REASON)
        if config_sha256 is not None:
            check("sha256", "config_sha256", config_sha256)
        at = self._now(now)
        with self._db.write() as conn:
            row = self._proposal_row(conn, proposal_id)
            if row["state"] != target:
                self._move_proposal(conn, row, target, at, reason, allowed=("proposed",))
                if config_sha256 is not None:
                    conn.execute(
                        "UPDATE proposals SET config_sha256 = ? WHERE id = ?", (config_sha256, proposal_id)
                    )
                if not accepted:
                    self._insert_run(conn, row, "rejected_by_validator", at, reason=reason)
            return ProposalRecord.from_row(self._proposal_row(conn, proposal_id))

    def record_approval(
        self,
        proposal_id: int,
        decision: str,
        reviewer: str,
        *,
        bundle_sha256: str | None = None,
        now: float | None = None,
    ) -> ApprovalRecord:
        """validated -> approved | rejected_by_reviewer, with who decided and on which bundle.

        `decision` is "approved" or "rejected"; `reviewer` is "auto", a policy name or a person;
        `bundle_sha256` is the offline review bundle's digest (None when there was none). Whether
        a bundle changed after approval is the approval module's check, against this digest.
        """
        if decision not in {"approved", "rejected"}:
            raise BadRecord("decision", f"must be approved or rejected, got {decision!r}")
        check("reviewer", "reviewer", reviewer)
        if bundle_sha256 is not None:
            check("sha256", "bundle_sha256", bundle_sha256)
        at = self._now(now)
        target = "approved" if decision == "approved" else "rejected_by_reviewer"
        with self._db.write() as conn:
            row = self._proposal_row(conn, proposal_id)
            self._move_proposal(conn, row, target, at, allowed=("validated",))
            cur = conn.execute(
                "INSERT INTO approvals (proposal_id, decision, reviewer, bundle_sha256, decided_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (proposal_id, decision, reviewer, bundle_sha256, at),
            )
            if decision == "rejected":
                self._insert_run(
                    conn, row, "rejected_by_reviewer", at, reason=f"rejected by reviewer {reviewer}"
                )
            return ApprovalRecord(cur.lastrowid or 0, proposal_id, decision, reviewer, bundle_sha256, at)

    def approvals(self, proposal_id: int) -> list[ApprovalRecord]:
        """Every decision on the proposal, oldest first."""
        with self._db.read() as conn:
            self._proposal_row(conn, proposal_id)
            rows = conn.execute("SELECT * FROM approvals WHERE proposal_id = ? ORDER BY id", (proposal_id,))
            return [
                ApprovalRecord(
                    r["id"],
                    r["proposal_id"],
                    r["decision"],
                    r["reviewer"],
                    r["bundle_sha256"],
                    r["decided_at"],
                )
                for r in rows
            ]

"""Campaigns: creation with a goal snapshot, state, ownership by one live process, tiers."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Mapping

from sentinel.agent.errors import BadRecord, CampaignBusy, StateConflict
from sentinel.agent.store._base import StoreBase
from sentinel.agent.store._records import CampaignRecord, EscalationRecord, GoalSnapshot, frozen_json
from sentinel.agent.store._values import (
    CAMPAIGN_STATES,
    CAMPAIGN_TRANSITIONS,
    check,
    clean_text,
    numbers_json,
)
from sentinel.sandbox.process import Owner, is_alive, this_process

__all__ = ["DEFAULT_STALE_S", "MAX_REASON", "CampaignsMixin"]

DEFAULT_STALE_S = 180.0  # a heartbeat older than this means nobody is looking after it
MAX_CHARGE_S = 60.0  # one heartbeat gap charged at most this much (a suspended machine is not work)
MAX_REASON = 500


def _owner(row: sqlite3.Row) -> Owner | None:
    if row["owner_pid"] is None:
        return None
    return Owner(row["owner_pid"], row["owner_host"] or "", row["owner_start"])


class CampaignsMixin(StoreBase):
    def create_campaign(
        self,
        goal: GoalSnapshot,
        *,
        seed: int,
        brain: str = "strategist",
        approval: str = "auto",
        campaign_id: str | None = None,
        now: float | None = None,
    ) -> CampaignRecord:
        """A new `running` campaign at tier 1, owned by this process, with the goal snapshotted.

        The id (default `<goal name>-<UTC time>-<hex>`) names the runs folder and prefixes run ids.
        """
        at = self._now(now)
        if campaign_id is None:
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(at))
            campaign_id = f"{goal.name[:20]}-{stamp}-{secrets.token_hex(2)}"
        check("campaign_id", "campaign_id", campaign_id)
        check("name", "brain", brain)
        check("name", "approval", approval)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise BadRecord("seed", f"must be an integer in 0..2**63-1, got {seed!r}")
        snapshot = json.dumps(goal.to_dict(), allow_nan=False)  # key order kept: it is the search order
        me = this_process()
        with self._db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO campaigns (id, goal_address, goal_json, seed, brain, approval, state, tier,"
                    " created_at, updated_at, owner_pid, owner_host, owner_start, heartbeat_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'running', 1, ?, ?, ?, ?, ?, ?)",
                    (
                        campaign_id,
                        goal.address,
                        snapshot,
                        seed,
                        brain,
                        approval,
                        at,
                        at,
                        me.pid,
                        me.host,
                        me.start,
                        at,
                    ),
                )
            except sqlite3.IntegrityError:
                raise BadRecord("campaign_id", f"{campaign_id!r} already exists") from None
            return self._campaign(self._campaign_row(conn, campaign_id))

    def get_campaign(self, campaign_id: str) -> CampaignRecord:
        with self._db.read() as conn:
            return self._campaign(self._campaign_row(conn, campaign_id))

    def list_campaigns(self, states: tuple[str, ...] | None = None) -> list[CampaignRecord]:
        """Newest first; `states` filters (e.g. ("running", "paused") for `campaign resume`)."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM campaigns ORDER BY created_at DESC, id").fetchall()
        return [self._campaign(r) for r in rows if states is None or r["state"] in states]

    def set_campaign_state(
        self, campaign_id: str, state: str, reason: str = "", now: float | None = None
    ) -> CampaignRecord:
        """Move along running <-> paused -> finished | failed (failed -> running for resume).

        Setting the state it already has is a no-op, so a loop that crashed right after this
        call can repeat it.
        """
        if state not in CAMPAIGN_STATES:
            raise BadRecord("state", f"{state!r} is not one of {sorted(CAMPAIGN_STATES)}")
        reason = clean_text(reason, MAX_REASON)
        with self._db.write() as conn:
            row = self._campaign_row(conn, campaign_id)
            if row["state"] != state:
                if state not in CAMPAIGN_TRANSITIONS[row["state"]]:
                    raise StateConflict("campaign", campaign_id, row["state"], state)
                conn.execute(
                    "UPDATE campaigns SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?",
                    (state, reason, self._now(now), campaign_id),
                )
            return self._campaign(self._campaign_row(conn, campaign_id))

    def attach_campaign(
        self, campaign_id: str, *, now: float | None = None, stale_after_s: float = DEFAULT_STALE_S
    ) -> CampaignRecord:
        """Make this process the campaign's owner (`campaign resume`), unless a live one holds it.

        The previous owner is taken over when its process is dead (pid check, start time against
        pid reuse) or, when it ran on another host, its heartbeat is older than `stale_after_s`.
        Raises CampaignBusy otherwise: two loops on one campaign would run proposals twice.
        """
        at, me = self._now(now), this_process()
        with self._db.write() as conn:
            row = self._campaign_row(conn, campaign_id)
            owner = _owner(row)
            if owner is not None and owner != me:
                alive = is_alive(owner)
                fresh = row["heartbeat_at"] is not None and at - row["heartbeat_at"] < stale_after_s
                if alive or (alive is None and fresh):
                    raise CampaignBusy(campaign_id, owner.pid, owner.host)
            conn.execute(
                "UPDATE campaigns SET owner_pid = ?, owner_host = ?, owner_start = ?, heartbeat_at = ?,"
                " updated_at = ? WHERE id = ?",
                (me.pid, me.host, me.start, at, at, campaign_id),
            )
            return self._campaign(self._campaign_row(conn, campaign_id))

    def heartbeat_campaign(self, campaign_id: str, now: float | None = None) -> bool:
        """Refresh the owner's heartbeat and charge the time since the last one to `active_s`.

        False means another process took the campaign over (stop). Only a live owner's own
        heartbeats add time, so the wall budget never counts the time a killed host was dead:
        `attach_campaign` restarts the clock at the resume.
        """
        me, at = this_process(), self._now(now)
        with self._db.write() as conn:
            cur = conn.execute(
                "UPDATE campaigns SET active_s = active_s + MIN(?, MAX(0.0, ? - COALESCE(heartbeat_at, ?))),"
                " heartbeat_at = ? WHERE id = ? AND owner_pid = ? AND owner_host = ?",
                (MAX_CHARGE_S, at, at, at, campaign_id, me.pid, me.host),
            )
            if cur.rowcount == 0:
                self._campaign_row(conn, campaign_id)  # UnknownRecord if the id is wrong
            return cur.rowcount == 1

    def active_seconds(self, campaign_id: str, now: float | None = None) -> float:
        """Seconds charged to the campaign, plus the running stretch when this process owns it."""
        campaign = self.get_campaign(campaign_id)
        extra = 0.0
        me = this_process()
        if (campaign.owner_pid, campaign.owner_host) == (me.pid, me.host) and campaign.heartbeat_at:
            extra = min(MAX_CHARGE_S, max(0.0, self._now(now) - campaign.heartbeat_at))
        return campaign.active_s + extra

    def release_campaign(self, campaign_id: str, now: float | None = None) -> None:
        """Let go on a clean exit (charging the last stretch), so the next `resume` needs no pid check."""
        me, at = this_process(), self._now(now)
        with self._db.write() as conn:
            conn.execute(
                "UPDATE campaigns SET active_s = active_s + MIN(?, MAX(0.0, ? - COALESCE(heartbeat_at, ?))),"
                " owner_pid = NULL, owner_host = NULL, owner_start = NULL, heartbeat_at = ?, updated_at = ?"
                " WHERE id = ? AND owner_pid = ? AND owner_host = ?",
                (MAX_CHARGE_S, at, at, at, at, campaign_id, me.pid, me.host),
            )

    def release_dead_owner(self, campaign_id: str) -> bool:
        """Clear an owner whose process is gone (a kill right after the campaign ended); True if cleared."""
        with self._db.write() as conn:
            row = self._campaign_row(conn, campaign_id)
            owner = _owner(row)
            if owner is None or is_alive(owner) is not False:
                return False
            conn.execute(
                "UPDATE campaigns SET owner_pid = NULL, owner_host = NULL, owner_start = NULL WHERE id = ?",
                (campaign_id,),
            )
            return True

    def record_escalation(
        self,
        campaign_id: str,
        to_tier: int,
        reason: str,
        evidence: Mapping[str, float | int | None],
        *,
        from_tier: int | None = None,
        now: float | None = None,
    ) -> EscalationRecord:
        """Raise the campaign's tier and record why, in one transaction.

        `from_tier`, when given, must equal the current tier (a stale view is refused, not
        applied twice); `to_tier` must be above it and within the goal's max_tier.
        """
        reason = clean_text(reason, MAX_REASON)
        evidence_json = numbers_json("evidence", evidence)
        at = self._now(now)
        with self._db.write() as conn:
            row = self._campaign_row(conn, campaign_id)
            current = row["tier"]
            if from_tier is not None and from_tier != current:
                raise StateConflict(
                    "campaign", campaign_id, f"at tier {current}", f"tier {to_tier} from {from_tier}"
                )
            max_tier = json.loads(row["goal_json"]).get("max_tier", 3)
            if isinstance(to_tier, bool) or not isinstance(to_tier, int) or not current < to_tier <= max_tier:
                raise BadRecord("to_tier", f"must be above {current} and at most {max_tier}, got {to_tier!r}")
            cur = conn.execute(
                "INSERT INTO escalations (campaign_id, from_tier, to_tier, reason, evidence_json, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (campaign_id, current, to_tier, reason, evidence_json, at),
            )
            conn.execute(
                "UPDATE campaigns SET tier = ?, updated_at = ? WHERE id = ?", (to_tier, at, campaign_id)
            )
            return EscalationRecord(
                cur.lastrowid or 0, campaign_id, current, to_tier, reason, frozen_json(evidence_json), at
            )

    def escalations(self, campaign_id: str) -> list[EscalationRecord]:
        with self._db.read() as conn:
            self._campaign_row(conn, campaign_id)
            rows = conn.execute("SELECT * FROM escalations WHERE campaign_id = ? ORDER BY id", (campaign_id,))
            return [
                EscalationRecord(
                    r["id"],
                    r["campaign_id"],
                    r["from_tier"],
                    r["to_tier"],
                    r["reason"],
                    frozen_json(r["evidence_json"]),
                    r["created_at"],
                )
                for r in rows
            ]

"""State and helpers shared by the store's mixins: the database, the clock, row -> record."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from sentinel.agent.errors import BadRecord, StateConflict, UnknownRecord
from sentinel.agent.store._db import Database
from sentinel.agent.store._records import CampaignRecord, ProposalRecord, RunRecord
from sentinel.agent.store._values import check
from sentinel.sandbox.process import this_process

__all__ = ["StoreBase"]

_PROPOSAL_COLUMNS = (
    "id",
    "campaign_id",
    "seq",
    "tier",
    "brain",
    "experiment",
    "overrides_json",
    "model_ref",
    "rationale",
    "parent_id",
    "lineage",
    "config_sha256",
    "state",
    "state_reason",
    "created_at",
    "updated_at",
)
_RUN_FIELDS = (
    "id",
    "run_id",
    "attempt",
    "status",
    "reason",
    "isolation",
    "image",
    "out_dir",
    "started_at",
    "heartbeat_at",
    "finished_at",
    "duration_s",
    "exit_code",
    "epochs",
    "steps",
    "summary_reason",
    "metric_lines",
    "nonfinite_lines",
    "initial_lr",
    "rejected_file",
)
_RUN_SELECT = (
    ", ".join(f"r.{c}" for c in _RUN_FIELDS)
    + ", (SELECT COUNT(*) FROM monitor_events e WHERE e.run_pk = r.id) AS event_count, "
    + ", ".join(f"p.{c} AS p_{c}" for c in _PROPOSAL_COLUMNS)
)


class StoreBase:
    """Holds the one Database; mixins add the tables' operations on top."""

    _db: Database

    @staticmethod
    def _now(now: float | None) -> float:
        return time.time() if now is None else float(now)

    @staticmethod
    def _campaign_row(conn: sqlite3.Connection, campaign_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        if row is None:
            raise UnknownRecord("campaign", campaign_id)
        return row

    @staticmethod
    def _proposal_row(conn: sqlite3.Connection, proposal_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        if row is None:
            raise UnknownRecord("proposal", proposal_id)
        return row

    @staticmethod
    def _move_proposal(
        conn: sqlite3.Connection,
        row: sqlite3.Row,
        wanted: str,
        now: float,
        reason: str = "",
        allowed: Sequence[str] = (),
    ) -> None:
        """Compare-and-set on the proposal's state; refuses transitions outside `allowed`."""
        if row["state"] not in allowed:
            raise StateConflict("proposal", row["id"], row["state"], wanted)
        cur = conn.execute(
            "UPDATE proposals SET state = ?, state_reason = ?, updated_at = ? WHERE id = ? AND state = ?",
            (wanted, reason, now, row["id"], row["state"]),
        )
        if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; kept as a tripwire
            raise StateConflict("proposal", row["id"], "changed concurrently", wanted)

    @staticmethod
    def _insert_run(
        conn: sqlite3.Connection,
        proposal: sqlite3.Row,
        status: str,
        now: float,
        *,
        run_id: str | None = None,
        reason: str = "",
        isolation: str | None = None,
        image: str = "",
        out_dir: str = "",
    ) -> str:
        """A run row for `proposal`'s next attempt; the default id is `<campaign>-p<seq>-a<attempt>`."""
        attempt = (
            1
            + conn.execute("SELECT COUNT(*) FROM runs WHERE proposal_id = ?", (proposal["id"],)).fetchone()[0]
        )
        run_id = run_id or f"{proposal['campaign_id']}-p{proposal['seq']:04d}-a{attempt}"
        check("run_id", "run_id", run_id)
        me = this_process()
        finished = None if status == "running" else now
        try:
            conn.execute(
                "INSERT INTO runs (run_id, proposal_id, campaign_id, attempt, status, reason, isolation,"
                " image, out_dir, started_at, heartbeat_at, finished_at, duration_s, owner_pid, owner_host,"
                " owner_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    proposal["id"],
                    proposal["campaign_id"],
                    attempt,
                    status,
                    reason,
                    isolation,
                    image,
                    out_dir,
                    now,
                    now,
                    finished,
                    None if finished is None else 0.0,
                    me.pid,
                    me.host,
                    me.start,
                ),
            )
        except sqlite3.IntegrityError:
            raise BadRecord("run_id", f"{run_id!r} already exists") from None
        return run_id

    @staticmethod
    def _campaign(row: sqlite3.Row) -> CampaignRecord:
        return CampaignRecord.from_row(row)

    def _runs(
        self,
        conn: sqlite3.Connection,
        where: str,
        params: Sequence[Any],
        order: str = "p.seq, r.attempt",
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Run records (with proposal, metrics and event count) matching an SQL condition."""
        base = f"FROM runs r JOIN proposals p ON p.id = r.proposal_id WHERE {where}"
        sql = f"SELECT {_RUN_SELECT} {base} ORDER BY {order}"
        rows = conn.execute(sql + ("" if limit is None else f" LIMIT {int(limit)}"), tuple(params)).fetchall()
        metrics: dict[int, dict[str, dict[str, float | None]]] = {
            row["id"]: {"best": {}, "final": {}, "trusted": {}} for row in rows
        }
        best_step: dict[int, int] = {}
        sub = f"SELECT run_pk, which, key, value, step FROM run_metrics WHERE run_pk IN (SELECT r.id {base})"
        for m in conn.execute(sub, tuple(params)):
            if m["run_pk"] in metrics:
                metrics[m["run_pk"]][m["which"]][m["key"]] = m["value"]
                if m["which"] == "best":
                    best_step[m["run_pk"]] = m["step"]
        return [self._run_record(row, metrics[row["id"]], best_step.get(row["id"])) for row in rows]

    @staticmethod
    def _run_record(
        row: sqlite3.Row, metrics: dict[str, dict[str, float | None]], best_step: int | None
    ) -> RunRecord:
        proposal = ProposalRecord.from_row({c: row[f"p_{c}"] for c in _PROPOSAL_COLUMNS})
        values = {c: row[c] for c in _RUN_FIELDS}
        return RunRecord(
            proposal=proposal,
            best=MappingProxyType(metrics["best"]),
            final=MappingProxyType(metrics["final"]),
            trusted=MappingProxyType(metrics["trusted"]),
            best_step=best_step,
            event_count=row["event_count"],
            **values,
        )

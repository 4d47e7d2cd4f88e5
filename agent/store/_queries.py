"""Read-side helpers the brains, drift checks, `campaign status` and the dashboard call."""

from __future__ import annotations

import sqlite3

from sentinel.agent.errors import BadRecord, UnknownRecord
from sentinel.agent.store._base import StoreBase
from sentinel.agent.store._records import MonitorEventRecord, RunRecord, frozen_json, ranked_key
from sentinel.agent.store._values import RUN_STATUSES, check

__all__ = ["QueriesMixin"]

# The last attempt of its proposal: earlier attempts were requeued and say nothing about the config.
_LATEST = "r.attempt = (SELECT MAX(r2.attempt) FROM runs r2 WHERE r2.proposal_id = r.proposal_id)"


def _statuses(statuses: tuple[str, ...] | None) -> tuple[str, tuple[str, ...]]:
    if statuses is None:
        return "1", ()
    unknown = set(statuses) - RUN_STATUSES
    if unknown or not statuses:
        raise BadRecord("statuses", f"unknown or empty: {sorted(unknown)}")
    return f"r.status IN ({', '.join('?' * len(statuses))})", tuple(statuses)


class QueriesMixin(StoreBase):
    def get_run(self, run_id: str) -> RunRecord:
        with self._db.read() as conn:
            found = self._runs(conn, "r.run_id = ?", (run_id,))
        if not found:
            raise UnknownRecord("run", run_id)
        return found[0]

    def runs(self, campaign_id: str, statuses: tuple[str, ...] | None = None) -> list[RunRecord]:
        """Every run row of the campaign (all attempts), in proposal order."""
        cond, params = _statuses(statuses)
        with self._db.read() as conn:
            self._campaign_row(conn, campaign_id)
            return self._runs(conn, f"r.campaign_id = ? AND {cond}", (campaign_id, *params))

    def history(self, campaign_id: str, include_running: bool = False) -> list[RunRecord]:
        """One entry per proposal that reached an end (its last attempt), in proposal order.

        This is what a brain learns from and what drift is judged on: rejected proposals are
        included (status rejected_by_*), requeued attempts are not.
        """
        running = "" if include_running else " AND r.status != 'running'"
        with self._db.read() as conn:
            self._campaign_row(conn, campaign_id)
            return self._runs(conn, f"r.campaign_id = ? AND {_LATEST}{running}", (campaign_id,))

    def lineage_runs(self, campaign_id: str, lineage: str) -> list[RunRecord]:
        """`history` restricted to one lineage: the runs drift compares with each other."""
        check("lineage", "lineage", lineage)
        with self._db.read() as conn:
            self._campaign_row(conn, campaign_id)
            where = f"r.campaign_id = ? AND p.lineage = ? AND {_LATEST} AND r.status != 'running'"
            return self._runs(conn, where, (campaign_id, lineage))

    def best_runs(
        self,
        metric: str,
        mode: str,
        *,
        campaign_id: str | None = None,
        k: int = 5,
        which: str = "ranked",
        statuses: tuple[str, ...] = ("completed",),
    ) -> list[RunRecord]:
        """The k runs with the best finite `metric` ("val/mae") in `which`, best first.

        `which` is `ranked` (default: the host's trusted test-split number for that metric,
        `ranked_key`, the only number a campaign ranks and promotes), or `best`/`final` (the
        runs' own claims, for display). `mode` is min or max. By default only `completed` runs
        count (never `integrity_mismatch`); pass e.g. ("completed", "diverged") to include the
        best checkpoint of a run that later diverged.
        """
        check("metric", "metric", metric)
        if mode not in {"min", "max"} or which not in {"best", "final", "ranked"}:
            raise BadRecord(
                "mode/which", f"mode must be min|max and which ranked|best|final, got {mode!r}/{which!r}"
            )
        if which == "ranked":
            which, metric = "trusted", ranked_key(metric)
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 1000:
            raise BadRecord("k", f"must be an integer in 1..1000, got {k!r}")
        cond, params = _statuses(statuses)
        where = (
            f"{cond} AND EXISTS (SELECT 1 FROM run_metrics m WHERE m.run_pk = r.id AND m.which = ?"
            " AND m.key = ? AND m.value IS NOT NULL)"
        )
        params = (*params, which, metric)
        if campaign_id is not None:
            where, params = f"{where} AND r.campaign_id = ?", (*params, campaign_id)
        # `which` and `metric` are checked against closed patterns above, so inlining them is safe
        value = (
            "(SELECT m.value FROM run_metrics m"
            f" WHERE m.run_pk = r.id AND m.which = '{which}' AND m.key = '{metric}')"
        )
        order = f"{value} {'ASC' if mode == 'min' else 'DESC'}, r.id"
        with self._db.read() as conn:
            return self._runs(conn, where, params, order=order, limit=k)

    def count_runs(self, campaign_id: str, statuses: tuple[str, ...] | None = None) -> int:
        """Run rows of the campaign (every attempt) with one of `statuses` (all when None)."""
        cond, params = _statuses(statuses)
        with self._db.read() as conn:
            self._campaign_row(conn, campaign_id)
            sql = f"SELECT COUNT(*) FROM runs r WHERE r.campaign_id = ? AND {cond}"
            return int(conn.execute(sql, (campaign_id, *params)).fetchone()[0])

    def latest_experiences(self, n: int, campaign_id: str | None = None) -> list[MonitorEventRecord]:
        """The `n` newest monitor experience records over every run (or one campaign's), oldest
        first: what the in-loop monitor tried, and how it turned out, across campaigns; with the
        run-quality reports (action "none": a collapse, a mediocre run), which have no outcome."""
        where, args = ("AND r.campaign_id = ?", (campaign_id,)) if campaign_id is not None else ("", ())
        sql = (
            "SELECT e.*, r.run_id FROM monitor_events e JOIN runs r ON r.id = e.run_pk "
            f"WHERE (e.kind = 'experience' OR e.action = 'none') {where} "
            "ORDER BY r.id DESC, e.seq DESC LIMIT ?"
        )
        with self._db.read() as conn:
            if campaign_id is not None:
                self._campaign_row(conn, campaign_id)
            rows = conn.execute(sql, (*args, max(0, int(n)))).fetchall()
        return [_event_record(e["run_id"], e) for e in reversed(rows)]

    def events(self, run_id: str) -> list[MonitorEventRecord]:
        """The run's monitor events in file order (numbers and enumerated names only)."""
        with self._db.read() as conn:
            row = conn.execute("SELECT id FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise UnknownRecord("run", run_id)
            rows = conn.execute("SELECT * FROM monitor_events WHERE run_pk = ? ORDER BY seq", (row["id"],))
            return [_event_record(run_id, e) for e in rows]


def _event_record(run_id: str, e: sqlite3.Row) -> MonitorEventRecord:
    return MonitorEventRecord(
        run_id,
        e["seq"],
        e["step"],
        e["kind"],
        e["anomaly"],
        e["action"],
        frozen_json(e["evidence_json"]),
        frozen_json(e["params_json"]),
    )

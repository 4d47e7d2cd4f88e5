"""Runs: atomic claim, heartbeat, idempotent recording from typed artifacts, stale recovery.

Crash model: the loop claims a proposal (approved -> running, plus a `running` run row) in one
transaction before it starts a container, heartbeats while it waits, and records the result in
one transaction afterwards. A kill -9 anywhere leaves either an `approved` proposal (claimed
again on resume) or a `running` run whose owner is dead, which `recover_stale` requeues or
fails. Recording is idempotent: a run is recorded once, later attempts return False.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sentinel.agent.errors import BadRecord, CampaignBusy, StateConflict, UnknownRecord
from sentinel.agent.store._base import StoreBase
from sentinel.agent.store._campaigns import DEFAULT_STALE_S
from sentinel.agent.store._records import Claim, ProposalRecord, StaleRun
from sentinel.agent.store._values import (
    FINISHED_STATUSES,
    ISOLATIONS,
    check,
    clean_text,
    finite,
    numbers_json,
)
from sentinel.contract import vocabulary as vocab
from sentinel.sandbox.process import Owner, is_alive, this_process

if TYPE_CHECKING:
    from sentinel.contract.records import RunArtifacts, RunResult

__all__ = ["RunsMixin"]

MAX_REASON = 500
REQUEUE_REASON = "requeued: the process running it died before recording a result"


def clean_reason(text: str) -> str:
    """A run's reason, made safe to store: a result is never lost over its wording."""
    return clean_text(text, MAX_REASON)


def _artifact_rows(artifacts: RunArtifacts | None) -> tuple[dict, list[tuple], list[tuple]]:
    """(run columns, metric rows, event rows): numbers and enumerated strings only."""
    cols: dict = {"metric_lines": 0, "nonfinite_lines": 0}
    metrics: list[tuple] = []
    events: list[tuple] = []
    if artifacts is None:
        return cols, metrics, events
    if not artifacts.accepted:
        name = artifacts.rejected_file
        cols["rejected_file"] = name if name and vocab.FILE_NAME.fullmatch(name) else None
        return cols, metrics, events
    cols["metric_lines"] = len(artifacts.metrics)
    cols["nonfinite_lines"] = sum(1 for m in artifacts.metrics if m.nonfinite)
    first_train = next((m for m in artifacts.metrics if m.split == "train" and m.lr is not None), None)
    cols["initial_lr"] = finite(first_train.lr) if first_train is not None else None
    summary = artifacts.summary
    if summary is not None:
        cols["epochs"], cols["steps"] = int(summary.epochs), int(summary.steps)
        cols["summary_reason"] = summary.reason if summary.reason in vocab.SUMMARY_REASONS else None
        for which, point in (("best", summary.best), ("final", summary.final)):
            for key, value in point.values.items() if point is not None else ():
                check("metric", f"summary.{which} key", key)
                metrics.append((which, key, finite(value), int(point.epoch), int(point.step)))  # type: ignore[union-attr]
    for seq, event in enumerate(artifacts.events):
        if (
            event.anomaly not in vocab.ANOMALIES
            or event.action not in vocab.ACTIONS
            or event.kind not in vocab.EVENT_KINDS
        ):
            raise BadRecord("monitor event", f"line {seq + 1} has a name outside the artifact vocabulary")
        events.append(
            (
                seq,
                int(event.step),
                event.kind,
                event.anomaly,
                event.action,
                numbers_json("evidence", event.evidence),
                numbers_json("params", event.params),
            )
        )
    return cols, metrics, events


def _trusted_rows(trusted: Mapping[str, float | None] | None, metrics: list[tuple]) -> list[tuple]:
    """Rows for the host's own numbers, placed at the epoch/step of the run's best point."""
    if not trusted:
        return []
    epoch, step = next(((m[3], m[4]) for m in metrics if m[0] == "best"), (0, 0))
    rows = []
    for key, value in sorted(trusted.items()):
        check("metric", "trusted key", key)
        rows.append(("trusted", key, finite(value), epoch, step))
    return rows


class RunsMixin(StoreBase):
    def claim_next(
        self,
        campaign_id: str,
        *,
        isolation: str = "runc",
        image: str = "",
        out_dir: str = "",
        run_id: str | None = None,
        now: float | None = None,
    ) -> Claim | None:
        """Atomically take the oldest `approved` proposal: it becomes `running` with a new run row.

        Two loops (or threads) claiming at once get different proposals, or None when nothing is
        approved. Only the campaign's owner may claim (CampaignBusy otherwise), and only while
        the campaign is `running`. Pass the returned run id to LaunchRequest(run_id=...).
        """
        if isolation not in ISOLATIONS:
            raise BadRecord("isolation", f"must be one of {sorted(ISOLATIONS)}, got {isolation!r}")
        at, me = self._now(now), this_process()
        with self._db.write() as conn:
            campaign = self._campaign_row(conn, campaign_id)
            if campaign["state"] != "running":
                raise StateConflict("campaign", campaign_id, campaign["state"], "claiming a proposal")
            if campaign["owner_pid"] is not None and (campaign["owner_pid"], campaign["owner_host"]) != (
                me.pid,
                me.host,
            ):
                raise CampaignBusy(campaign_id, campaign["owner_pid"], campaign["owner_host"] or "")
            row = conn.execute(
                "SELECT * FROM proposals WHERE campaign_id = ? AND state = 'approved' ORDER BY seq LIMIT 1",
                (campaign_id,),
            ).fetchone()
            if row is None:
                return None
            self._move_proposal(conn, row, "running", at, allowed=("approved",))
            new_id = self._insert_run(
                conn, row, "running", at, run_id=run_id, isolation=isolation, image=image, out_dir=out_dir
            )
            proposal = ProposalRecord.from_row(self._proposal_row(conn, row["id"]))
            return Claim(proposal, self._runs(conn, "r.run_id = ?", (new_id,))[0])

    def heartbeat_run(self, run_id: str, now: float | None = None) -> bool:
        """Refresh a running run's heartbeat; False when it is no longer `running` (requeued or
        recorded elsewhere): the caller should then stop its container and not record it."""
        with self._db.write() as conn:
            cur = conn.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND status = 'running'",
                (self._now(now), run_id),
            )
            if (
                cur.rowcount == 0
                and conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None
            ):
                raise UnknownRecord("run", run_id)
            return cur.rowcount == 1

    def record_run(
        self,
        run_id: str,
        status: str,
        *,
        reason: str = "",
        artifacts: RunArtifacts | None = None,
        exit_code: int | None = None,
        duration_s: float | None = None,
        image: str | None = None,
        isolation: str | None = None,
        out_dir: str | None = None,
        trusted: Mapping[str, float | None] | None = None,
        container_started: bool | None = None,
        now: float | None = None,
    ) -> bool:
        """Record a claimed run's end from the host's status and the reader's typed records.

        `trusted` holds the metrics the host computed itself from the run's predictions
        ("test/mae", "val/mae", ...), stored as which = 'trusted' at the best point's step.

        Idempotent: True when this call recorded it, False when the run was already finished
        (recorded before, or requeued/failed by recovery), in which case nothing changes. Only
        numbers and enumerated strings are taken from `artifacts`; `status` and `reason` are
        the host's own (RunResult), never the run's claim.
        """
        if status not in FINISHED_STATUSES:
            raise BadRecord("status", f"{status!r} is not a final run status")
        if isolation is not None and isolation not in ISOLATIONS:
            raise BadRecord("isolation", f"must be one of {sorted(ISOLATIONS)}, got {isolation!r}")
        cols, metrics, events = _artifact_rows(artifacts)
        metrics += _trusted_rows(trusted, metrics)
        cols.update(
            status=status,
            reason=clean_reason(reason),
            exit_code=exit_code if isinstance(exit_code, int) else None,
        )
        if container_started is not None:
            cols["container_started"] = int(bool(container_started))
        at = self._now(now)
        with self._db.write() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise UnknownRecord("run", run_id)
            if row["status"] != "running":
                return False
            seconds = finite(duration_s)
            cols.update(
                finished_at=at,
                heartbeat_at=at,
                duration_s=seconds
                if seconds is not None and seconds >= 0
                else max(0.0, at - row["started_at"]),
            )
            for key, value in (("image", image), ("isolation", isolation), ("out_dir", out_dir)):
                if value:
                    cols[key] = str(value)
            conn.execute(
                f"UPDATE runs SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                (*cols.values(), row["id"]),
            )
            conn.executemany(
                "INSERT INTO run_metrics (run_pk, which, key, value, epoch, step) VALUES (?, ?, ?, ?, ?, ?)",
                [(row["id"], *m) for m in metrics],
            )
            conn.executemany(
                "INSERT INTO monitor_events (run_pk, seq, step, kind, anomaly, action, evidence_json,"
                " params_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(row["id"], *e) for e in events],
            )
            proposal = self._proposal_row(conn, row["proposal_id"])
            if proposal["state"] == "running":
                self._move_proposal(conn, proposal, "finished", at, allowed=("running",))
            return True

    def record_result(self, result: RunResult, now: float | None = None) -> bool:
        """record_run from the host's typed `RunResult` of a container that ran (its run_id must
        be the claimed one): the status and reason are the host's, the numbers the reader's."""
        return self.record_run(
            result.run_id,
            result.status,
            reason=result.reason,
            artifacts=result.artifacts,
            exit_code=result.exit_code,
            duration_s=result.seconds,
            image=result.image,
            isolation=result.isolation,
            out_dir=str(result.out_dir),
            trusted=result.trusted.values if result.trusted is not None else None,
            container_started=True,
            now=now,
        )

    def mark_container_started(self, run_id: str, started: bool = True) -> None:
        """Note that the run's container started (or, on recovery, that it never did): only
        started attempts count towards giving up on a proposal after repeated host deaths."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE runs SET container_started = ? WHERE run_id = ? AND container_started IS NOT 1",
                (int(bool(started)), run_id),
            )

    def stale_runs(
        self, now: float | None = None, max_age_s: float = DEFAULT_STALE_S, campaign_id: str | None = None
    ) -> list[StaleRun]:
        """`running` runs whose owner process is dead, or whose heartbeat is older than max_age_s."""
        with self._db.read() as conn:
            return self._stale(conn, self._now(now), max_age_s, campaign_id)

    def _stale(
        self, conn: sqlite3.Connection, at: float, max_age_s: float, campaign_id: str | None
    ) -> list[StaleRun]:
        sql = "SELECT * FROM runs WHERE status = 'running'" + (" AND campaign_id = ?" if campaign_id else "")
        found = []
        for row in conn.execute(sql + " ORDER BY id", (campaign_id,) if campaign_id else ()):
            alive = is_alive(Owner(row["owner_pid"], row["owner_host"], row["owner_start"]))
            age = max(0.0, at - row["heartbeat_at"])
            if alive is False or age > max_age_s:
                cause = "owner_dead" if alive is False else "heartbeat"
                found.append(
                    StaleRun(
                        row["run_id"],
                        row["proposal_id"],
                        row["campaign_id"],
                        cause,
                        age,
                        row["owner_pid"],
                        row["attempt"],
                        alive,
                    )
                )
        return found

    def requeue_run(self, run_id: str, reason: str = REQUEUE_REASON, now: float | None = None) -> bool:
        """A lost run: mark it `killed` and put its proposal back to `approved` for another attempt."""
        return self._end_lost(run_id, "killed", "approved", reason, self._now(now))

    def lose_run(self, run_id: str, reason: str, max_attempts: int = 2, now: float | None = None) -> bool:
        """A run whose machine went away mid-run: mark it `lost`; its proposal goes back to
        `approved` for another attempt while it has had fewer than `max_attempts`, else finishes."""
        with self._db.write() as conn:
            row = conn.execute("SELECT attempt FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise UnknownRecord("run", run_id)
            again = row["attempt"] < max_attempts
            why = f"lost: {reason}" + ("" if again else f"; not retried after {row['attempt']} attempts")
            return self._end_lost(
                run_id, "lost", "approved" if again else "finished", why, self._now(now), conn
            )

    def fail_run(self, run_id: str, reason: str, now: float | None = None) -> bool:
        """A lost run not worth retrying: mark it `failed` and finish its proposal."""
        return self._end_lost(run_id, "failed", "finished", reason, self._now(now))

    def _end_lost(
        self,
        run_id: str,
        status: str,
        proposal_state: str,
        reason: str,
        at: float,
        conn: sqlite3.Connection | None = None,
    ) -> bool:
        if conn is None:
            with self._db.write() as tx:
                return self._end_lost(run_id, status, proposal_state, reason, at, tx)
        row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRecord("run", run_id)
        if row["status"] != "running":
            return False
        conn.execute(
            "UPDATE runs SET status = ?, reason = ?, finished_at = ?, duration_s = ? WHERE id = ?",
            # The host was alive until its last heartbeat at most: the rest was no one's work.
            (status, clean_reason(reason), at, max(0.0, row["heartbeat_at"] - row["started_at"]), row["id"]),
        )
        proposal = self._proposal_row(conn, row["proposal_id"])
        self._move_proposal(conn, proposal, proposal_state, at, clean_reason(reason), allowed=("running",))
        return True

    def recover_stale(
        self,
        now: float | None = None,
        max_age_s: float = DEFAULT_STALE_S,
        max_attempts: int = 5,
        campaign_id: str | None = None,
        started: Mapping[str, bool] | None = None,
    ) -> list[tuple[StaleRun, str]]:
        """Requeue (or, after `max_attempts` started attempts, give up on) every stale run.

        A run whose owner is alive on this host is left alone even with an old heartbeat: its
        container may still be training, and requeueing it would run the proposal twice. Call
        `sandbox.run.reap_orphans` first so containers of dead owners are gone, and pass what it
        saw in `started` (run id -> whether its container ever started). Only attempts whose
        container started count: a host killed twice before its container came up has not
        tried the proposal at all. A lost run is `killed` (the host died), never `failed` (which
        means the run itself failed). Returns each stale run with the action taken:
        "requeued", "given_up" or "left" (owner alive).
        """
        at = self._now(now)
        seen = dict(started or {})
        done: list[tuple[StaleRun, str]] = []
        with self._db.write() as conn:
            for stale in self._stale(conn, at, max_age_s, campaign_id):
                if stale.owner_alive:
                    done.append((stale, "left"))
                    continue
                if stale.run_id in seen:
                    conn.execute(
                        "UPDATE runs SET container_started = ? WHERE run_id = ?"
                        " AND container_started IS NOT 1",
                        (int(seen[stale.run_id]), stale.run_id),
                    )
                why = (
                    "the process running it died before recording a result"
                    if stale.cause == "owner_dead"
                    else f"no heartbeat for {stale.heartbeat_age_s:.0f} s from a process on another host"
                )
                tries = conn.execute(
                    "SELECT COUNT(*) FROM runs WHERE proposal_id = ? AND container_started = 1",
                    (stale.proposal_id,),
                ).fetchone()[0]
                if tries < max_attempts:
                    self._end_lost(stale.run_id, "killed", "approved", f"requeued: {why}", at, conn)
                    done.append((stale, "requeued"))
                else:
                    reason = f"given up after {tries} started attempts: each time {why}"
                    self._end_lost(stale.run_id, "killed", "finished", reason, at, conn)
                    done.append((stale, "given_up"))
        return done

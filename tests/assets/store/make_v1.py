"""Rebuilds v1.db, the version-1 FeedbackStore that test_store_schema.py upgrades.

Run once, with the code at schema version 1, and commit the result; never regenerate it after
a migration exists (the point is to keep a database written by the old code). It holds one of
everything: a campaign with an escalation, a finished run with metrics and monitor events, a
validator rejection, an approval, and a run left `running` by a process that is gone.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import MappingProxyType

from sentinel.agent.goals import load_goal
from sentinel.agent.store import SCHEMA_VERSION, FeedbackStore
from sentinel.contract.records import MetricRecord, MonitorEvent, RunArtifacts, RunSummary, SummaryPoint


def build(path: Path) -> None:
    assert SCHEMA_VERSION == 1, "v1.db must be written by schema version 1"
    path.unlink(missing_ok=True)
    with FeedbackStore(path) as store:
        store.create_campaign(load_goal("ppg:hr_optimize"), seed=3, campaign_id="v1-campaign", now=1.0e9)
        done = store.add_proposal(
            "v1-campaign",
            tier=1,
            brain="strategist",
            overrides={"trainer.lr": 0.001, "model": "cnn1d"},
            rationale="baseline",
            now=1.0e9 + 1,
        )
        store.record_validation(done.id, True, config_sha256="0" * 64, now=1.0e9 + 2)
        store.record_approval(done.id, "approved", "auto", now=1.0e9 + 3)
        claim = store.claim_next("v1-campaign", now=1.0e9 + 4)
        assert claim is not None
        values = MappingProxyType({"val/loss": 0.25, "val/mae": 4.5})
        artifacts = RunArtifacts(
            metrics=(MetricRecord(1, 0, "train", 0.5, grad_norm=1.0, lr=0.001),),
            summary=RunSummary(
                "completed", 2, 40, SummaryPoint(1, 30, values), SummaryPoint(1, 40, values), "completed"
            ),
            events=(
                MonitorEvent(
                    12,
                    "loss_spike",
                    "lr_cut",
                    MappingProxyType({"ratio": 6.0}),
                    MappingProxyType({"factor": 0.5}),
                ),
            ),
        )
        store.record_run(
            claim.run.run_id,
            "completed",
            reason="the run exited with code 0",
            artifacts=artifacts,
            exit_code=0,
            duration_s=61.5,
            image="sentinel-run:v1",
            now=1.0e9 + 70,
        )
        rejected = store.add_proposal(
            "v1-campaign",
            tier=1,
            brain="strategist",
            overrides={},
            rationale="bad",
            parent_id=done.id,
            now=1.0e9 + 71,
        )
        store.record_validation(rejected.id, False, reason="the validator rejected it", now=1.0e9 + 72)
        store.record_escalation("v1-campaign", 2, "stagnation", {"gain": 0.0, "window": 3}, now=1.0e9 + 73)
        lost = store.add_proposal(
            "v1-campaign",
            tier=2,
            brain="strategist",
            overrides={"model": "resnet1d"},
            rationale="tier 2 variant",
            now=1.0e9 + 74,
        )
        store.record_validation(lost.id, True, now=1.0e9 + 75)
        store.record_approval(lost.id, "approved", "alice", bundle_sha256="1" * 64, now=1.0e9 + 76)
        claim = store.claim_next("v1-campaign", now=1.0e9 + 77)
        assert claim is not None
        store._db.conn.execute("UPDATE runs SET owner_pid = 2147483646 WHERE run_id = ?", (claim.run.run_id,))
        store._db.conn.execute("UPDATE campaigns SET owner_pid = 2147483646")
        store._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("v1.db"))

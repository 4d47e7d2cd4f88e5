"""FeedbackStore round trips on real SQLite files in tmp_path: WAL, state machines, recording
from typed artifacts (numbers and enumerated strings only), idempotence and the query helpers."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from types import MappingProxyType

import pytest
from _support import honest_trusted

from sentinel.agent.goals import load_goal
from sentinel.agent.store import (
    BadRecord,
    CampaignRecord,
    FeedbackStore,
    StateConflict,
    StoreError,
    UnknownRecord,
    open_store,
)
from sentinel.contract.records import MetricRecord, MonitorEvent, RunArtifacts, RunSummary, SummaryPoint

SHA = "ab" * 32


def mp(**values: float) -> MappingProxyType:
    return MappingProxyType(dict(values))


def artifacts(mae: float = 5.0, final_mae: float = float("nan")) -> RunArtifacts:
    return RunArtifacts(
        metrics=(
            MetricRecord(1, 0, "train", 0.9, grad_norm=2.0, lr=0.003),
            MetricRecord(2, 0, "train", float("nan"), grad_norm=float("nan"), lr=0.003, nonfinite=("loss",)),
            MetricRecord(3, 0, "val", 0.5, values=MappingProxyType({"mae": mae})),
        ),
        summary=RunSummary(
            "completed",
            1,
            3,
            best=SummaryPoint(0, 3, MappingProxyType({"val/loss": 0.5, "val/mae": mae})),
            final=SummaryPoint(0, 3, MappingProxyType({"val/loss": 0.5, "val/mae": final_mae})),
            reason="completed",
        ),
        events=(
            MonitorEvent(2, "nan", "rollback", mp(loss=float("nan"), z=9.5), mp(to_step=1.0)),
            MonitorEvent(3, "loss_spike", "lr_cut", mp(ratio=4.0), mp(factor=0.5), kind="experience"),
        ),
    )


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    with FeedbackStore(tmp_path / "feedback.db") as opened:
        yield opened


@pytest.fixture
def campaign(store: FeedbackStore) -> CampaignRecord:
    return store.create_campaign(load_goal("ppg:hr_optimize"), seed=7, campaign_id="camp-1", now=1000.0)


def approved(store: FeedbackStore, campaign_id: str, lr: float = 1e-3, **kw: object) -> int:
    """A proposal walked through validation and approval; returns its id."""
    p = store.add_proposal(
        campaign_id,
        tier=1,
        brain="strategist",
        overrides={"trainer.lr": lr, "model": "cnn1d"},
        rationale="test",
        **kw,
    )  # type: ignore[arg-type]
    store.record_validation(p.id, True, config_sha256=SHA)
    store.record_approval(p.id, "approved", "auto")
    return p.id


def finished_run(
    store: FeedbackStore,
    campaign_id: str,
    mae: float,
    lr: float = 1e-3,
    status: str = "completed",
    **kw: object,
) -> str:
    approved(store, campaign_id, lr, **kw)
    claim = store.claim_next(campaign_id)
    assert claim is not None
    arts = artifacts(mae)
    store.record_run(
        claim.run.run_id,
        status,
        reason="the run exited with code 0",
        artifacts=arts,
        trusted=honest_trusted(arts),
    )
    return claim.run.run_id


def test_file_is_in_wal_mode_with_full_sync_and_foreign_keys(store: FeedbackStore) -> None:
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    other = sqlite3.connect(store.path)  # WAL is a property of the file, not of our connection
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_open_store_is_one_connection_per_process_and_file(tmp_path: Path) -> None:
    a = open_store(tmp_path / "x.db")
    assert open_store(str(tmp_path / "x.db")) is a
    assert open_store(tmp_path / "y.db") is not a
    a.close()
    b = open_store(tmp_path / "x.db")  # a closed store is not handed out again
    assert b is not a and b.schema_version == a.schema_version
    b.close()


def test_campaign_round_trip_keeps_the_goal_snapshot(store: FeedbackStore, campaign: CampaignRecord) -> None:
    from sentinel.agent.goals import parse_goal

    again = store.get_campaign("camp-1")
    assert again == campaign
    assert (again.state, again.tier, again.seed, again.brain, again.approval) == (
        "running",
        1,
        7,
        "strategist",
        "auto",
    )
    assert parse_goal(dict(again.goal), "snapshot", again.goal_address) == load_goal("ppg:hr_optimize")
    assert again.owner_pid is not None and again.heartbeat_at == 1000.0
    assert [c.id for c in store.list_campaigns()] == ["camp-1"]
    assert store.list_campaigns(states=("finished",)) == []


def test_generated_campaign_id_fits_run_ids(store: FeedbackStore) -> None:
    goal = load_goal("ecg:rhythm_baseline")
    created = store.create_campaign(goal, seed=0, now=0.0)
    assert created.id.startswith("rhythm_baseline-19700101-000000-")
    pid = approved(store, created.id)
    claim = store.claim_next(created.id)
    assert claim is not None and claim.proposal.id == pid
    assert claim.run.run_id == f"{created.id}-p0001-a1" and len(claim.run.run_id) <= 64


def test_campaign_refusals(store: FeedbackStore, campaign: CampaignRecord) -> None:
    goal = load_goal("ppg:hr_optimize")
    with pytest.raises(BadRecord, match="already exists"):
        store.create_campaign(goal, seed=1, campaign_id="camp-1")
    for kwargs in ({"campaign_id": "Bad Id"}, {"seed": -1}, {"brain": "Brain!"}, {"approval": ""}):
        with pytest.raises(BadRecord) as err:
            store.create_campaign(goal, **{"seed": 1, "campaign_id": "camp-2", **kwargs})  # type: ignore[arg-type]
        assert err.value.exit_code == 2 and isinstance(err.value, StoreError)
    with pytest.raises(UnknownRecord, match="no campaign 'nope'"):
        store.get_campaign("nope")


def test_campaign_state_machine(store: FeedbackStore, campaign: CampaignRecord) -> None:
    assert (
        store.set_campaign_state("camp-1", "paused", "waiting for review").state_reason
        == "waiting for review"
    )
    assert store.set_campaign_state("camp-1", "paused").state == "paused"  # repeating is a no-op
    store.set_campaign_state("camp-1", "running")
    store.set_campaign_state("camp-1", "failed", "crashed")
    store.set_campaign_state("camp-1", "running")
    store.set_campaign_state("camp-1", "finished", "budget spent")
    with pytest.raises(StateConflict, match="is finished; cannot move it to running"):
        store.set_campaign_state("camp-1", "running")
    with pytest.raises(BadRecord):
        store.set_campaign_state("camp-1", "done")


def test_proposal_lineage_and_overrides(store: FeedbackStore, campaign: CampaignRecord) -> None:
    root = store.add_proposal(
        "camp-1",
        tier=1,
        brain="strategist",
        rationale="baseline\nat defaults",
        overrides={"trainer.lr": 1e-5, "model": "cnn1d", "trainer.deterministic": True},
    )
    child = store.add_proposal(
        "camp-1", tier=1, brain="strategist", overrides={}, rationale="r", parent_id=root.id
    )
    other = store.add_proposal("camp-1", tier=1, brain="llm", overrides={}, rationale="r", lineage="explore")
    assert (root.seq, child.seq, other.seq) == (1, 2, 3)
    assert (root.lineage, child.lineage, other.lineage) == ("p1", "p1", "explore")
    assert root.experiment == "ppg_hr" and root.state == "proposed"
    assert root.override_args() == ("model=cnn1d", "trainer.deterministic=true", "trainer.lr=1e-05")
    assert store.get_proposal(root.id) == root
    assert [p.seq for p in store.proposals("camp-1", states=("proposed",))] == [1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"tier": 2}, "tier"),  # above the campaign's tier: escalate first
        ({"tier": 0}, "tier"),
        ({"overrides": {"trainer.lr": float("nan")}}, "finite"),
        ({"overrides": {"Trainer LR": 0.1}}, "override"),
        ({"overrides": {"model": ["a"]}}, "string, bool, int"),
        ({"model_ref": "a b"}, "model ref"),
        ({"parent_id": 999}, "no proposal"),
        ({"brain": "LLM"}, "name"),
    ],
)
def test_proposal_refusals(store: FeedbackStore, campaign: CampaignRecord, kwargs: dict, words: str) -> None:
    args = {"tier": 1, "brain": "strategist", "overrides": {}, "rationale": "r", **kwargs}
    with pytest.raises((BadRecord, UnknownRecord), match=words):
        store.add_proposal("camp-1", **args)
    assert store.proposals("camp-1") == []  # nothing written


def test_validation_and_approval_transitions(store: FeedbackStore, campaign: CampaignRecord) -> None:
    p = store.add_proposal("camp-1", tier=1, brain="strategist", overrides={}, rationale="r")
    with pytest.raises(StateConflict):
        store.record_approval(p.id, "approved", "auto")  # not validated yet
    assert store.record_validation(p.id, True, config_sha256=SHA).state == "validated"
    assert store.record_validation(p.id, True).config_sha256 == SHA  # repeat: no-op
    approval = store.record_approval(p.id, "approved", "alice@example.org", bundle_sha256=SHA)
    assert store.approvals(p.id) == [approval]
    assert store.get_proposal(p.id).state == "approved"
    with pytest.raises(StateConflict):
        store.record_approval(p.id, "rejected", "bob")
    with pytest.raises(BadRecord):
        store.record_approval(p.id, "maybe", "bob")


def test_rejections_leave_a_finished_run_row(store: FeedbackStore, campaign: CampaignRecord) -> None:
    a = store.add_proposal("camp-1", tier=1, brain="strategist", overrides={}, rationale="r")
    b = store.add_proposal("camp-1", tier=1, brain="strategist", overrides={}, rationale="r")
    store.record_validation(a.id, False, reason="SV103: builtin 'eval' is not allowed")
    store.record_validation(b.id, True)
    store.record_approval(b.id, "rejected", "alice")
    statuses = [(r.proposal.seq, r.status, r.proposal.state) for r in store.history("camp-1")]
    assert statuses == [
        (1, "rejected_by_validator", "rejected_by_validator"),
        (2, "rejected_by_reviewer", "rejected_by_reviewer"),
    ]
    assert store.claim_next("camp-1") is None


def test_record_from_artifacts_stores_numbers_and_enumerations(
    store: FeedbackStore, campaign: CampaignRecord
) -> None:
    run_id = finished_run(store, "camp-1", mae=4.5)
    run = store.get_run(run_id)
    assert run.status == "completed" and run.proposal.state == "finished"
    assert dict(run.best) == {"val/loss": 0.5, "val/mae": 4.5}
    assert dict(run.final) == {"val/loss": 0.5, "val/mae": None}  # NaN is stored as NULL
    assert (run.epochs, run.steps, run.summary_reason, run.best_step) == (1, 3, "completed", 3)
    assert (run.metric_lines, run.nonfinite_lines, run.initial_lr, run.event_count) == (3, 1, 0.003, 2)
    assert (
        run.metric("val/mae") == 4.5
        and run.metric("val/mae", "final") is None
        and run.metric("val/x") is None
    )
    events = store.events(run_id)
    assert [(e.step, e.kind, e.anomaly, e.action) for e in events] == [
        (2, "intervention", "nan", "rollback"),
        (3, "experience", "loss_spike", "lr_cut"),
    ]
    assert dict(events[0].evidence) == {"loss": None, "z": 9.5} and dict(events[0].params) == {"to_step": 1.0}
    texts = store._db.conn.execute("SELECT evidence_json, params_json FROM monitor_events").fetchall()
    assert all(json.loads(t) is not None for row in texts for t in row)  # strict JSON, no NaN token


def test_recording_is_idempotent(store: FeedbackStore, campaign: CampaignRecord) -> None:
    approved(store, "camp-1")
    claim = store.claim_next("camp-1")
    assert claim is not None
    assert store.record_run(
        claim.run.run_id, "completed", artifacts=artifacts(4.0), duration_s=3.0, now=2000.0
    )
    before = store.get_run(claim.run.run_id)
    assert not store.record_run(claim.run.run_id, "failed", reason="again", artifacts=artifacts(1.0))
    assert store.get_run(claim.run.run_id) == before
    assert store._db.conn.execute("SELECT COUNT(*) FROM run_metrics").fetchone()[0] == 4
    assert before.duration_s == 3.0 and before.finished_at == 2000.0


def test_record_result_from_a_typed_run_result(
    store: FeedbackStore, campaign: CampaignRecord, tmp_path: Path
) -> None:
    from sentinel.contract.records import RunResult

    approved(store, "camp-1")
    claim = store.claim_next("camp-1", isolation="gvisor")
    assert claim is not None
    result = RunResult(
        claim.run.run_id,
        "diverged",
        "the run exited with code 3",
        3,
        False,
        False,
        "gvisor",
        "sentinel-run:abc",
        42.0,
        tmp_path,
        "log",
        artifacts(9.0),
    )
    assert store.record_result(result)
    assert not store.record_result(result)
    run = store.get_run(claim.run.run_id)
    assert (run.status, run.exit_code, run.duration_s, run.isolation, run.image) == (
        "diverged",
        3,
        42.0,
        "gvisor",
        "sentinel-run:abc",
    )
    assert run.out_dir == str(tmp_path)


def test_rejected_artifacts_keep_only_the_file_name(store: FeedbackStore, campaign: CampaignRecord) -> None:
    approved(store, "camp-1")
    claim = store.claim_next("camp-1")
    assert claim is not None
    rejected = RunArtifacts(rejection="metrics.jsonl line 3 is not valid JSON", rejected_file="metrics.jsonl")
    store.record_run(
        claim.run.run_id, "artifact_rejected", reason=rejected.rejection or "", artifacts=rejected
    )
    run = store.get_run(claim.run.run_id)
    assert (run.status, run.rejected_file, dict(run.best), run.metric_lines) == (
        "artifact_rejected",
        "metrics.jsonl",
        {},
        0,
    )


def test_record_refuses_unknown_status_and_run(store: FeedbackStore, campaign: CampaignRecord) -> None:
    with pytest.raises(BadRecord, match="final run status"):
        store.record_run("whatever", "running")
    with pytest.raises(UnknownRecord):
        store.record_run("no-such-run", "completed")


def test_wording_is_made_safe_not_refused(store: FeedbackStore, campaign: CampaignRecord) -> None:
    p = store.add_proposal(
        "camp-1", tier=1, brain="strategist", overrides={}, rationale="a\nb\x1b[2J" + "x" * 5000
    )
    assert p.rationale.startswith("a\nb [2J") and len(p.rationale) == 4000
    rejected = store.record_validation(p.id, False, reason="bad\nconfig")
    assert rejected.state_reason == "bad config"
    assert store.set_campaign_state("camp-1", "paused", "why\x00not").state_reason == "why not"


def test_run_reason_is_made_safe_not_refused(store: FeedbackStore, campaign: CampaignRecord) -> None:
    approved(store, "camp-1")
    claim = store.claim_next("camp-1")
    assert claim is not None
    store.record_run(claim.run.run_id, "failed", reason="line\nbreak\x1b[31m" + "x" * 900)
    reason = store.get_run(claim.run.run_id).reason
    assert len(reason) == 500 and reason.isprintable()


def test_best_runs_for_min_and_max(store: FeedbackStore, campaign: CampaignRecord) -> None:
    ids = [finished_run(store, "camp-1", mae) for mae in (5.0, 3.0, 4.0)]
    finished_run(store, "camp-1", 1.0, status="diverged")
    assert [r.run_id for r in store.best_runs("val/mae", "min")] == [ids[1], ids[2], ids[0]]
    assert [r.run_id for r in store.best_runs("val/mae", "max", k=1)] == [ids[0]]
    assert store.best_runs("val/mae", "min", statuses=("completed", "diverged"))[0].metric("val/mae") == 1.0
    assert store.best_runs("val/mae", "min", which="final") == []  # final values were NaN
    assert store.best_runs("val/acc", "max") == []
    with pytest.raises(BadRecord):
        store.best_runs("val/mae; DROP TABLE runs", "min")


def test_only_trusted_numbers_rank_and_a_mismatch_never_does(
    store: FeedbackStore, campaign: CampaignRecord
) -> None:
    honest = finished_run(store, "camp-1", 4.0)
    approved(store, "camp-1")
    claim = store.claim_next("camp-1")
    assert claim is not None
    forged = claim.run.run_id  # claims 0.1, its predictions earn 9.0
    trusted = {"val/mae": 9.0, "test/mae": 9.0}
    store.record_run(
        forged, "integrity_mismatch", reason="claimed val/mae 0.1", artifacts=artifacts(0.1), trusted=trusted
    )
    approved(store, "camp-1")
    claim = store.claim_next("camp-1")
    assert claim is not None
    unscored = claim.run.run_id  # completed, but no trusted evaluation: never ranked
    store.record_run(unscored, "completed", artifacts=artifacts(0.05))
    assert [r.run_id for r in store.best_runs("val/mae", "min")] == [honest]
    assert next(r.run_id for r in store.best_runs("val/mae", "min", which="best")) == unscored  # claims
    record = store.get_run(forged)
    assert record.status == "integrity_mismatch" and record.metric("val/mae") == 9.0
    assert record.metric("val/mae", "best") == 0.1 and record.trusted == {"val/mae": 9.0, "test/mae": 9.0}
    assert store.get_run(unscored).metric("val/mae") is None
    with pytest.raises(BadRecord):
        approved(store, "camp-1")
        run = store.claim_next("camp-1")
        store.record_run(run.run.run_id, "completed", trusted={"val/mae; DROP": 1.0})  # type: ignore[union-attr]


def test_history_and_lineage(store: FeedbackStore, campaign: CampaignRecord) -> None:
    first = finished_run(store, "camp-1", 5.0)
    root = store.get_run(first).proposal
    child = finished_run(store, "camp-1", 4.0, parent_id=root.id)
    other = finished_run(store, "camp-1", 9.0, lineage="explore")
    approved(store, "camp-1")
    store.claim_next("camp-1")  # still running: not in history
    assert [r.run_id for r in store.history("camp-1")] == [first, child, other]
    assert len(store.history("camp-1", include_running=True)) == 4
    assert [r.run_id for r in store.lineage_runs("camp-1", "p1")] == [first, child]
    assert store.count_runs("camp-1") == 4 and store.count_runs("camp-1", ("running",)) == 1


def test_escalation_raises_the_tier_within_max_tier(store: FeedbackStore, campaign: CampaignRecord) -> None:
    esc = store.record_escalation(
        "camp-1", 2, "stagnation over 3 runs", {"gain": 0.01, "window": 3}, from_tier=1
    )
    assert (esc.from_tier, esc.to_tier, dict(esc.evidence)) == (1, 2, {"gain": 0.01, "window": 3})
    assert store.get_campaign("camp-1").tier == 2 and store.escalations("camp-1") == [esc]
    with pytest.raises(StateConflict):
        store.record_escalation("camp-1", 3, "r", {}, from_tier=1)  # stale view: not applied twice
    with pytest.raises(BadRecord):
        store.record_escalation("camp-1", 2, "r", {})  # not above the current tier
    with pytest.raises(BadRecord):
        store.record_escalation("camp-1", 3, "r", {"note": "text"})  # evidence is numbers only
    store.record_escalation("camp-1", 3, "r", {})
    digits = store.create_campaign(load_goal("digits:quick"), seed=0, campaign_id="camp-2")
    with pytest.raises(BadRecord, match="at most 1"):
        store.record_escalation(digits.id, 2, "r", {})  # max_tier of digits:quick is 1


def test_threads_share_the_connection_safely(store: FeedbackStore, campaign: CampaignRecord) -> None:
    for _ in range(20):
        approved(store, "camp-1")
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while (claim := store.claim_next("camp-1")) is not None:
            with lock:
                claimed.append(claim.run.run_id)
            store.record_run(claim.run.run_id, "completed", artifacts=artifacts())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 20
    assert store.count_runs("camp-1", ("completed",)) == 20

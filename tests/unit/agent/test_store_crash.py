"""Crash safety for real: other processes claim, die, get SIGKILLed mid-write; the store keeps
everything committed, never hands one proposal out twice, and finds runs nobody looks after."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sentinel.agent.goals import load_goal
from sentinel.agent.store import CampaignBusy, FeedbackStore, StateConflict
from sentinel.sandbox.process import Owner, is_alive, start_marker, this_process

PRELUDE = """
import sys
from sentinel.agent.store import FeedbackStore
store = FeedbackStore(sys.argv[1])
"""


def python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "feedback.db"


@pytest.fixture
def store(db: Path) -> FeedbackStore:
    with FeedbackStore(db) as opened:
        opened.create_campaign(load_goal("digits:quick"), seed=0, campaign_id="camp", now=1000.0)
        yield opened


def approve(store: FeedbackStore, n: int) -> list[int]:
    ids = []
    for i in range(n):
        p = store.add_proposal(
            "camp", tier=1, brain="strategist", overrides={"trainer.lr": 1e-3 * (i + 1)}, rationale="r"
        )
        store.record_validation(p.id, True)
        store.record_approval(p.id, "approved", "auto")
        ids.append(p.id)
    return ids


def test_two_connections_never_claim_the_same_proposal(store: FeedbackStore, db: Path) -> None:
    approve(store, 30)
    other = FeedbackStore(db)
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claim_all(name: str, conn: FeedbackStore) -> None:
        while (claim := conn.claim_next("camp")) is not None:
            claimed[name].append(claim.proposal.id)

    threads = [threading.Thread(target=claim_all, args=p) for p in (("a", store), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    both = claimed["a"] + claimed["b"]
    assert sorted(both) == sorted(set(both)) and len(both) == 30


def test_processes_racing_to_claim_split_the_work(store: FeedbackStore, db: Path) -> None:
    approve(store, 40)
    store.release_campaign("camp")  # no owner: any process may claim
    code = """
    while (claim := store.claim_next("camp")) is not None:
        print(claim.proposal.id, flush=True)
    """
    procs = [python(code, str(db)) for _ in range(3)]
    outputs = [finish(p) for p in procs]
    ids = [int(line) for out in outputs for line in out.split()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 40
    assert store.count_runs("camp", ("running",)) == 40


def test_only_the_owner_claims(store: FeedbackStore, db: Path) -> None:
    approve(store, 1)
    out = python(
        """
    from sentinel.agent.store import CampaignBusy
    try:
        store.claim_next("camp")
    except CampaignBusy as err:
        print("busy", err.exit_code)
    """,
        str(db),
    )
    assert finish(out).split() == ["busy", "2"]
    store.set_campaign_state("camp", "paused")
    with pytest.raises(StateConflict):
        store.claim_next("camp")  # a paused campaign starts nothing


def test_heartbeat_age_makes_a_run_stale(store: FeedbackStore) -> None:
    approve(store, 1)
    claim = store.claim_next("camp", now=1000.0)
    assert claim is not None
    assert store.stale_runs(now=1100.0, max_age_s=180) == []
    assert store.heartbeat_run(claim.run.run_id, now=1150.0)
    assert store.stale_runs(now=1300.0, max_age_s=180) == []
    [stale] = store.stale_runs(now=1400.0, max_age_s=180)
    assert (stale.run_id, stale.cause, stale.heartbeat_age_s, stale.owner_alive) == (
        claim.run.run_id,
        "heartbeat",
        250.0,
        True,
    )
    # Its owner (this process) is alive: requeueing could run the proposal twice, so it is left.
    assert [action for _, action in store.recover_stale(now=1400.0)] == ["left"]
    assert store.get_run(claim.run.run_id).status == "running"


def test_dead_owner_is_found_and_its_run_requeued_then_failed(store: FeedbackStore, db: Path) -> None:
    approve(store, 1)
    store.release_campaign("camp")
    claimer = python(
        """
    store.attach_campaign("camp")
    print(store.claim_next("camp").run.run_id)
    """,
        str(db),
    )
    run_id = finish(claimer).strip()  # the claiming process has exited: its pid is dead
    [stale] = store.stale_runs(max_age_s=1e9)
    assert (stale.run_id, stale.cause, stale.owner_alive, stale.owner_pid) == (
        run_id,
        "owner_dead",
        False,
        claimer.pid,
    )
    store.attach_campaign("camp")  # the dead owner does not block a resume
    [(_, action)] = store.recover_stale(max_attempts=2, started={run_id: True})
    assert action == "requeued"
    lost = store.get_run(run_id)
    assert lost.status == "killed" and lost.reason.startswith("requeued:")
    assert not store.heartbeat_run(run_id)  # the old attempt must not go on
    assert not store.record_run(run_id, "completed")  # nor be recorded
    retry = store.claim_next("camp")
    assert retry is not None and retry.run.attempt == 2 and retry.run.run_id.endswith("-a2")
    assert [r.attempt for r in store.history("camp", include_running=True)] == [2]
    # The second attempt's process dies too: at max_attempts the proposal is given up.
    store._db.conn.execute("UPDATE runs SET owner_pid = ? WHERE run_id = ?", (claimer.pid, retry.run.run_id))
    [(_, action)] = store.recover_stale(max_attempts=2, started={retry.run.run_id: True})
    assert action == "given_up"
    gave_up = store.get_run(retry.run.run_id)
    # The host died, the run did not fail: `killed`, never `failed`.
    assert gave_up.status == "killed" and "after 2 started attempts" in gave_up.reason
    assert gave_up.proposal.state == "finished"
    assert store.recover_stale() == []


def test_attempts_whose_container_never_started_do_not_count(store: FeedbackStore) -> None:
    """Two kills within a second (the run, then its resume) before any container came up
    must not give the proposal up: nothing was tried."""
    approve(store, 1)
    for attempt in range(1, 5):
        claim = store.claim_next("camp", now=1000.0 + attempt)
        assert claim is not None and claim.run.attempt == attempt
        store._db.conn.execute("UPDATE runs SET owner_pid = 0 WHERE run_id = ?", (claim.run.run_id,))
        [(_, action)] = store.recover_stale(max_attempts=2, started={claim.run.run_id: False})
        assert action == "requeued"
        assert store.get_run(claim.run.run_id).status == "killed"


def test_owner_on_another_host_is_judged_by_heartbeat_only(store: FeedbackStore) -> None:
    approve(store, 1)
    claim = store.claim_next("camp", now=1000.0)
    assert claim is not None
    store._db.conn.execute("UPDATE runs SET owner_host = 'elsewhere' WHERE run_id = ?", (claim.run.run_id,))
    assert store.stale_runs(now=1100.0) == []
    [(stale, action)] = store.recover_stale(now=5000.0)
    assert (stale.cause, stale.owner_alive, action) == ("heartbeat", None, "requeued")
    assert "no heartbeat" in store.get_run(claim.run.run_id).reason


def test_is_alive_sees_exited_zombie_and_reused_pids() -> None:
    me = this_process()
    assert is_alive(me) is True
    assert is_alive(Owner(me.pid, me.host, "0")) is False  # same pid, other start time: reused
    assert is_alive(Owner(me.pid, "another-host", me.start)) is None
    assert is_alive(Owner(0, me.host, None)) is False
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = Owner(proc.pid, socket.gethostname(), start_marker(proc.pid))
    deadline = time.monotonic() + 30
    while Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert is_alive(owner) is False  # exited but not reaped yet: a zombie never heartbeats
    proc.wait()
    assert is_alive(owner) is False  # reaped: the pid is gone


def test_attach_refuses_a_live_owner_and_takes_over_a_dead_one(store: FeedbackStore, db: Path) -> None:
    store.release_campaign("camp")
    holder = python(
        """
        import time
        store.attach_campaign("camp")
        print("attached", flush=True)
        time.sleep(60)
        """,
        str(db),
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "attached"
    try:
        with pytest.raises(CampaignBusy, match=f"process {holder.pid}") as err:
            store.attach_campaign("camp")
        assert err.value.exit_code == 2
        assert not store.heartbeat_campaign("camp")  # not ours
    finally:
        holder.kill()
        holder.wait()
    record = store.attach_campaign("camp")
    assert record.owner_pid == os.getpid()
    assert store.heartbeat_campaign("camp")


WRITER = """
import itertools
from sentinel.agent.goals import load_goal
from sentinel.contract.records import RunArtifacts
store.attach_campaign("camp")
for i in itertools.count():
    p = store.add_proposal("camp", tier=1, brain="strategist", overrides={"trainer.lr": 0.001}, rationale="r")
    print("proposed", p.id, flush=True)
    store.record_validation(p.id, True)
    store.record_approval(p.id, "approved", "auto")
    print("approved", p.id, flush=True)
    claim = store.claim_next("camp")
    print("claimed", claim.run.run_id, flush=True)
    store.record_run(claim.run.run_id, "completed", reason="ok", artifacts=RunArtifacts())
    print("recorded", claim.run.run_id, flush=True)
"""


@pytest.mark.parametrize("lines_before_kill", [1, 7, 30, 101])
def test_kill_9_mid_campaign_loses_nothing_committed(
    store: FeedbackStore, db: Path, lines_before_kill: int
) -> None:
    store.release_campaign("camp")
    proc = python(WRITER, str(db))
    assert proc.stdout is not None
    seen = [proc.stdout.readline().split() for _ in range(lines_before_kill)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with FeedbackStore(db) as after:
        assert after._db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for event, key in seen:  # everything reported after its commit is there, in that state or later
            if event in {"proposed", "approved"}:
                state = after.get_proposal(int(key)).state
                assert state in {"proposed", "validated", "approved", "running", "finished"}
                assert event == "proposed" or state in {"approved", "running", "finished"}
            else:
                status = after.get_run(key).status  # claimed: the run row exists (UnknownRecord otherwise)
                assert status == "completed" if event == "recorded" else status in {"running", "completed"}
        # Resume: the dead writer's run is requeued, every proposal is finished exactly once.
        after.attach_campaign("camp")
        after.recover_stale()
        for p in after.proposals("camp", states=("proposed",)):
            after.record_validation(p.id, True)
        for p in after.proposals("camp", states=("validated",)):
            after.record_approval(p.id, "approved", "auto")
        while (claim := after.claim_next("camp")) is not None:
            after.record_run(claim.run.run_id, "completed", reason="ok")
        proposals = after.proposals("camp")
        assert proposals and all(p.state == "finished" for p in proposals)
        completed = after.runs("camp", ("completed",))
        assert sorted(r.proposal.id for r in completed) == [p.id for p in proposals]

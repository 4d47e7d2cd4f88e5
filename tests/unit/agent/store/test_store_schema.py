"""Schema versions: a new file gets the current version, an old one (a committed asset written
by the version-1 code) is upgraded with its data intact, and a newer or foreign one is refused."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel.agent.store import (
    SCHEMA_VERSION,
    FeedbackStore,
    NotAStore,
    SchemaTooNew,
    StoreUnavailable,
    load_migrations,
)

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "store"


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    ).fetchall()
    conn.close()
    # ALTER TABLE ... RENAME (a migration's table rebuild) stores the new name quoted.
    unquote = {f'CREATE TABLE "{name}"': f"CREATE TABLE {name}" for _, name, _ in rows}
    return [(kind, name, _unquoted(" ".join(sql.split()), unquote)) for kind, name, sql in rows]


def _unquoted(sql: str, names: dict[str, str]) -> str:
    for quoted, plain in names.items():
        sql = sql.replace(quoted, plain)
    return sql


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    copy = tmp_path / "v1.db"
    shutil.copy(ASSETS / "v1.db", copy)
    return copy


def test_new_store_records_the_current_version(tmp_path: Path) -> None:
    with FeedbackStore(tmp_path / "new.db") as store:
        assert store.schema_version == SCHEMA_VERSION == 1 + len(load_migrations())
        row = store._db.conn.execute("SELECT id, version FROM schema_version").fetchall()
        assert [tuple(r) for r in row] == [(1, SCHEMA_VERSION)]
    names = {name for _, name, _ in schema_of(tmp_path / "new.db")}
    assert {
        "campaigns",
        "proposals",
        "runs",
        "run_metrics",
        "monitor_events",
        "approvals",
        "escalations",
    } <= names


def test_a_newer_store_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    FeedbackStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew) as err:
        FeedbackStore(path)
    assert err.value.exit_code == 3
    assert (
        f"schema version {SCHEMA_VERSION + 1} is newer than this Sentinel supports ({SCHEMA_VERSION})"
        in str(err.value)
    )
    assert str(path) in str(err.value) and "upgrade Sentinel" in str(err.value)
    assert path.read_bytes() == before


def test_foreign_files_are_not_stores(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAStore, match="no schema_version") as err:
        FeedbackStore(other)
    assert err.value.exit_code == 2
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not an SQLite database at all, just some bytes" * 100)
    with pytest.raises(NotAStore, match="SQLite cannot read it"):
        FeedbackStore(junk)


def test_the_version_1_asset_opens_with_its_data(v1: Path) -> None:
    with FeedbackStore(v1) as store:
        assert store.schema_version == SCHEMA_VERSION
        campaign = store.get_campaign("v1-campaign")
        assert (campaign.seed, campaign.tier, campaign.goal["experiment"]) == (3, 2, "ppg_hr")
        history = store.history("v1-campaign")
        assert [(r.status, r.lineage) for r in history] == [
            ("completed", "p1"),
            ("rejected_by_validator", "p1"),
        ]
        best = history[0]
        # Runs recorded before trusted evaluation keep their claims but are never ranked.
        assert best.metric("val/mae") is None and best.trusted == {}
        assert (best.metric("val/mae", "best"), best.best_step, best.duration_s, best.event_count) == (
            4.5,
            30,
            61.5,
            1,
        )
        assert [(e.anomaly, e.action, dict(e.params)) for e in store.events(best.run_id)] == [
            ("loss_spike", "lr_cut", {"factor": 0.5})
        ]
        assert [a.reviewer for a in store.approvals(3)] == ["alice"]
        assert [(e.from_tier, e.to_tier) for e in store.escalations("v1-campaign")] == [(1, 2)]
        # The old process is long gone: its running run is stale and can be requeued.
        [(stale, action)] = store.recover_stale()
        assert (stale.run_id, action) == ("v1-campaign-p0003-a1", "requeued")


def test_upgrading_the_asset_gives_the_same_schema_as_a_new_store(v1: Path, tmp_path: Path) -> None:
    """schema.sql must always equal version 1 plus every migration."""
    FeedbackStore(v1).close()
    FeedbackStore(tmp_path / "fresh.db").close()
    assert schema_of(v1) == schema_of(tmp_path / "fresh.db")


def _next_migrations(tmp_path: Path) -> tuple[Path, int]:
    """A folder holding the package's real migrations, and the number of the next one."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for migration in load_migrations():
        (folder / migration.name).write_text(migration.sql)
    return folder, SCHEMA_VERSION + 1


def test_a_migration_upgrades_in_one_transaction_and_keeps_data(v1: Path, tmp_path: Path) -> None:
    folder, n = _next_migrations(tmp_path)
    (folder / f"{n:04d}_campaign_note.sql").write_text(
        "-- a note per campaign; ';' inside a string must not split the statement\n"
        "ALTER TABLE campaigns ADD COLUMN note TEXT NOT NULL DEFAULT 'a; b';\n"
        "CREATE INDEX campaigns_by_note ON campaigns (note);\n"
    )
    migrations = load_migrations(folder)
    with FeedbackStore(v1, migrations=migrations) as store:
        assert store.schema_version == n
        assert store._db.conn.execute("SELECT version FROM schema_version").fetchone()[0] == n
        assert store._db.conn.execute("SELECT note FROM campaigns").fetchone()[0] == "a; b"
        assert store.get_campaign("v1-campaign").seed == 3
    with FeedbackStore(v1, migrations=migrations) as again:  # already at n: nothing to do
        assert again.schema_version == n
    with pytest.raises(SchemaTooNew):
        FeedbackStore(v1)  # the code without that migration must not touch it now


def test_a_failing_migration_changes_nothing(v1: Path, tmp_path: Path) -> None:
    folder, n = _next_migrations(tmp_path)
    (folder / f"{n:04d}_half.sql").write_text(
        "ALTER TABLE campaigns ADD COLUMN note TEXT;\nALTER TABLE no_such_table ADD COLUMN x TEXT;\n"
    )
    before = schema_of(v1)
    with pytest.raises(StoreUnavailable, match="no such table: no_such_table"):
        FeedbackStore(v1, migrations=load_migrations(folder))
    assert schema_of(v1) == before
    with FeedbackStore(v1) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_a_store_that_cannot_be_opened_is_an_environment_problem(tmp_path: Path) -> None:
    (tmp_path / "a-folder.db").mkdir()
    with pytest.raises(StoreUnavailable) as err:
        FeedbackStore(tmp_path / "a-folder.db")
    assert err.value.exit_code == 3 and "a-folder.db" in str(err.value)


def test_migrations_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0003_skipped_two.sql").write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("ignored")
    with pytest.raises(RuntimeError, match="out of sequence: expected 0002"):
        load_migrations(tmp_path)


def test_processes_creating_one_new_file_at_once_agree(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    code = (
        "import sys\nfrom sentinel.agent.store import FeedbackStore\n"
        "print(FeedbackStore(sys.argv[1]).schema_version)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs == [str(SCHEMA_VERSION)] * 4
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    conn.close()


def test_the_version_2_asset_upgrades_to_the_current_schema(tmp_path: Path) -> None:
    """v2.db (written by schema version 2, before 0003) upgrades in place and keeps its rows."""
    copy = tmp_path / "v2.db"
    shutil.copy(ASSETS / "v2.db", copy)
    with FeedbackStore(copy) as store:
        assert store.schema_version == SCHEMA_VERSION
        campaign = store.get_campaign("v1-campaign")
        assert campaign.seed == 3 and campaign.active_s == 0.0
        assert len(store.proposals("v1-campaign")) >= 3
        row = store._db.conn.execute("SELECT COUNT(*), COUNT(container_started) FROM runs").fetchone()
        assert row[0] >= 1 and row[1] == 0  # not known for runs recorded before 0003
    FeedbackStore(tmp_path / "fresh.db").close()
    assert schema_of(copy) == schema_of(tmp_path / "fresh.db")


def test_the_version_3_asset_upgrades_to_the_current_schema(tmp_path: Path) -> None:
    """v3.db (schema version 3, before 0004's `lost` status) upgrades in place and keeps its rows."""
    copy = tmp_path / "v3.db"
    shutil.copy(ASSETS / "v3.db", copy)
    with FeedbackStore(copy) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get_campaign("v1-campaign").seed == 3
        assert store._db.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] >= 1
    FeedbackStore(tmp_path / "fresh.db").close()
    assert schema_of(copy) == schema_of(tmp_path / "fresh.db")

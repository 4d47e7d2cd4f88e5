"""The SQLite connection: WAL, full sync, foreign keys, explicit transactions, schema versions.

Crash safety rests on three rules kept here. Every write runs inside `BEGIN IMMEDIATE ... COMMIT`
and returns only after COMMIT, so a `kill -9` at any instant leaves each transaction either
fully there or not there at all. WAL with `synchronous=FULL` makes a committed transaction
survive even a power cut. IMMEDIATE takes the write lock up front, so two processes that read
then write (claiming the next proposal) are serialised instead of racing.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sentinel.agent.errors import NotAStore, SchemaTooNew, StoreUnavailable

__all__ = ["SCHEMA_VERSION", "Database", "Migration", "load_migrations"]

BUSY_TIMEOUT_MS = 30_000
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
FOREIGN_KEYS_OFF = "-- sentinel: foreign_keys=off"


@dataclass(frozen=True, slots=True)
class Migration:
    """One upgrade step, `migrations/NNNN_<what>.sql`: it turns version NNNN-1 into NNNN."""

    version: int
    name: str
    sql: str

    @property
    def needs_foreign_keys_off(self) -> bool:
        """A table rebuild (SQLite cannot widen a CHECK in place) runs with foreign keys off;
        the migration says so on its first line, and the runner checks them before COMMIT."""
        return self.sql.startswith(FOREIGN_KEYS_OFF)


def load_migrations(folder: Path | None = None) -> tuple[Migration, ...]:
    """The migrations in `folder` (default: the package's own), ordered and without gaps."""
    if folder is None:
        entries = [(e.name, e) for e in resources.files("sentinel.agent.store.migrations").iterdir()]
    else:
        entries = [(p.name, p) for p in folder.iterdir()]
    found = []
    for name, entry in sorted(entries):
        match = MIGRATION_NAME.match(name)
        if match:
            found.append(Migration(int(match.group(1)), name, entry.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=2):
        if migration.version != expected:
            raise RuntimeError(f"migration {migration.name} out of sequence: expected {expected:04d}")
    return tuple(found)


def _schema_sql() -> str:
    return resources.files("sentinel.agent.store").joinpath("schema.sql").read_text(encoding="utf-8")


SCHEMA_VERSION = 1 + len(load_migrations())


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (sqlite3's own completeness test, so quoted ';' is safe).

    `executescript` would COMMIT the open transaction first; running statements one by one keeps
    schema creation and each migration inside a single transaction.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement.strip(";").strip() and not _only_comments(statement):
                yield statement
    if buffer.strip() and not _only_comments(buffer):
        raise ValueError(f"incomplete SQL statement at the end of the script: {buffer.strip()[:60]!r}")


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


class Database:
    """One connection, shared by the threads of one process under a lock."""

    def __init__(self, path: Path, migrations: tuple[Migration, ...] | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._migrations = load_migrations() if migrations is None else migrations
        self.latest = 1 + len(self._migrations)
        if self.path.is_symlink() and not self.path.exists():
            # SQLite would create a new, empty store wherever the dangling link points.
            raise NotAStore(self.path, "it is a symbolic link to a file that does not exist")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as err:
            raise StoreUnavailable(self.path, f"cannot open ({err})") from None
        self.conn.row_factory = sqlite3.Row
        try:
            self._configure()
            self.version = self._upgrade()
        except sqlite3.Error as err:  # read-only file, full disk, a broken migration...
            self.conn.close()
            raise StoreUnavailable(
                self.path, f"cannot open or upgrade it ({type(err).__name__}: {err})"
            ) from err
        except BaseException:
            self.conn.close()
            raise

    def _configure(self) -> None:
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as err:
            raise NotAStore(self.path, f"SQLite cannot read it ({err})") from None
        if str(mode).lower() != "wal":
            raise StoreUnavailable(self.path, f"the file system does not support WAL (journal mode {mode})")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several SELECTs see one consistent snapshot."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def _version(self) -> int | None:
        """The stored version; None for an empty file; NotAStore for someone else's database."""
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return None
        if "schema_version" not in tables:
            raise NotAStore(
                self.path, f"it has tables ({', '.join(sorted(tables)[:5])}) but no schema_version"
            )
        row = self.conn.execute("SELECT version FROM schema_version WHERE id = 1").fetchone()
        if row is None or not isinstance(row[0], int) or row[0] < 1:
            raise NotAStore(self.path, "its schema_version row is missing or invalid")
        return row[0]

    def _upgrade(self) -> int:
        """Create or migrate under the write lock, so two processes opening one file agree.

        `PRAGMA foreign_keys` cannot change inside a transaction, so when any migration rebuilds
        a table they are switched off for the whole upgrade, checked before COMMIT, and back on
        after it (SQLite's documented procedure for schema changes ALTER TABLE cannot make)."""
        keys_off = any(m.needs_foreign_keys_off for m in self._migrations)
        if keys_off:
            self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            return self._upgrade_locked(check_keys=keys_off)
        finally:
            if keys_off:
                self.conn.execute("PRAGMA foreign_keys = ON")

    def _upgrade_locked(self, check_keys: bool) -> int:
        with self.write() as conn:
            try:
                version = self._version()
            except sqlite3.DatabaseError as err:
                raise NotAStore(self.path, f"SQLite cannot read it ({err})") from None
            if version is None:
                for statement in _statements(_schema_sql()):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (id, version, updated_at) VALUES (1, ?, ?)",
                    (self.latest, time.time()),
                )
                return self.latest
            if version > self.latest:
                raise SchemaTooNew(self.path, version, self.latest)
            for migration in self._migrations[version - 1 :]:
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "UPDATE schema_version SET version = ?, updated_at = ? WHERE id = 1",
                    (migration.version, time.time()),
                )
            if check_keys and conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise sqlite3.IntegrityError("a migration left rows whose foreign keys point nowhere")
            return self.latest

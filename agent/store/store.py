"""FeedbackStore: the campaign's memory in one SQLite file (WAL), safe against kill -9.

    store = open_store(runs_dir / "feedback.db")        # one connection per process
    campaign = store.create_campaign(goal, seed=0)
    p = store.add_proposal(campaign.id, tier=1, brain="strategist", overrides={"trainer.lr": 1e-3},
                           rationale="baseline at the experiment's defaults")
    store.record_validation(p.id, True, config_sha256=sha)
    store.record_approval(p.id, "approved", "auto")
    claim = store.claim_next(campaign.id)                # approved -> running, plus a run row
    result = ...  # the RunResult of the run's container (sentinel.sandbox.run)
    store.record_result(result)                          # idempotent
    store.recover_stale()                                # on resume: requeue runs of dead owners

Every method that writes commits before it returns; every record it returns is frozen.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sentinel.agent.store._campaigns import CampaignsMixin
from sentinel.agent.store._db import Database, Migration
from sentinel.agent.store._proposals import ProposalsMixin
from sentinel.agent.store._queries import QueriesMixin
from sentinel.agent.store._runs import RunsMixin

__all__ = ["FeedbackStore", "open_store"]


class FeedbackStore(CampaignsMixin, ProposalsMixin, RunsMixin, QueriesMixin):
    """One SQLite connection with the campaign tables; safe to share between this process's threads.

    Opening creates the file at the current schema, upgrades an older one through the numbered
    migrations, and refuses a newer one (SchemaTooNew) or a foreign database (NotAStore). Prefer
    `open_store`, which keeps one instance per process and file; constructing a second instance
    is for tests that need two independent connections.
    """

    def __init__(self, path: Path | str, *, migrations: tuple[Migration, ...] | None = None) -> None:
        self._db = Database(Path(path), migrations)

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def schema_version(self) -> int:
        return self._db.version

    def close(self) -> None:
        with _OPEN_LOCK:
            for key in [k for k, v in _OPEN.items() if v is self]:
                del _OPEN[key]
        self._db.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_OPEN: dict[tuple[int, Path], FeedbackStore] = {}
_OPEN_LOCK = threading.Lock()


def open_store(path: Path | str) -> FeedbackStore:
    """The process's FeedbackStore for `path`: one connection per process and file.

    Keyed by pid as well, so a forked child opens its own connection instead of sharing the
    parent's (SQLite connections must not cross a fork).
    """
    if Path(path).is_symlink() and not Path(path).exists():  # resolving would hide the dangling link
        from sentinel.agent.errors import NotAStore

        raise NotAStore(Path(path), "it is a symbolic link to a file that does not exist")
    key = (os.getpid(), Path(path).resolve())
    with _OPEN_LOCK:
        store = _OPEN.get(key)
        if store is None:
            store = _OPEN[key] = FeedbackStore(key[1])
        return store

-- sentinel: foreign_keys=off
-- 0002 trusted results: a run may end `integrity_mismatch` (its self-reported metric disagrees with
-- the one the host computed from its predictions), and run_metrics holds the host's own numbers
-- as which = 'trusted'. SQLite cannot widen a CHECK in place: both tables are rebuilt, with
-- foreign keys off for the step (the runner checks them before COMMIT), as SQLite's ALTER
-- TABLE documentation prescribes.

CREATE TABLE runs_new (
    id              INTEGER PRIMARY KEY,
    run_id          TEXT    NOT NULL UNIQUE,
    proposal_id     INTEGER NOT NULL REFERENCES proposals (id),
    campaign_id     TEXT    NOT NULL REFERENCES campaigns (id),
    attempt         INTEGER NOT NULL,         -- 1 + earlier runs of the same proposal (requeues)
    status          TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'diverged', 'failed',
                                                       'timeout', 'oom', 'killed', 'artifact_rejected',
                                                       'rejected_by_validator', 'rejected_by_reviewer',
                                                       'integrity_mismatch')),
    reason          TEXT    NOT NULL DEFAULT '',
    isolation       TEXT    CHECK (isolation IN ('runc', 'gvisor')),
    image           TEXT    NOT NULL DEFAULT '',
    out_dir         TEXT    NOT NULL DEFAULT '',
    started_at      REAL    NOT NULL,
    heartbeat_at    REAL    NOT NULL,
    finished_at     REAL,
    duration_s      REAL,
    exit_code       INTEGER,
    owner_pid       INTEGER NOT NULL,         -- the process that claimed the run
    owner_host      TEXT    NOT NULL,
    owner_start     TEXT,
    epochs          INTEGER,                  -- from summary.json, as the run claims them
    steps           INTEGER,
    summary_reason  TEXT,                     -- vocabulary.SUMMARY_REASONS or NULL
    metric_lines    INTEGER NOT NULL DEFAULT 0,
    nonfinite_lines INTEGER NOT NULL DEFAULT 0,
    initial_lr      REAL,                     -- lr of the first train line
    rejected_file   TEXT                      -- vocabulary.FILE_NAME or NULL
);
INSERT INTO runs_new SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_campaign ON runs (campaign_id, status);
CREATE INDEX runs_by_proposal ON runs (proposal_id);

CREATE TABLE run_metrics_new (
    run_pk  INTEGER NOT NULL REFERENCES runs (id),
    which   TEXT    NOT NULL CHECK (which IN ('best', 'final', 'trusted')),
    key     TEXT    NOT NULL,                 -- "<split>/<metric>", e.g. "val/mae"; trusted: "test/mae"
    value   REAL,                             -- NULL where the run had no finite number
    epoch   INTEGER NOT NULL,
    step    INTEGER NOT NULL,
    PRIMARY KEY (run_pk, which, key)
);
INSERT INTO run_metrics_new SELECT * FROM run_metrics;
DROP TABLE run_metrics;
ALTER TABLE run_metrics_new RENAME TO run_metrics;
CREATE INDEX run_metrics_by_key ON run_metrics (key, which, value);

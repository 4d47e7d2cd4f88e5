-- sentinel: foreign_keys=off
-- 0004 lost runs: a run whose machine went away mid-run (a Ray node that died, --executor ray)
-- ends `lost`; its proposal gets one more attempt elsewhere. SQLite cannot widen a CHECK in
-- place: the runs table is rebuilt with foreign keys off for the step (the runner checks them
-- before COMMIT), as in 0002.

CREATE TABLE runs_new (
    id              INTEGER PRIMARY KEY,
    run_id          TEXT    NOT NULL UNIQUE,
    proposal_id     INTEGER NOT NULL REFERENCES proposals (id),
    campaign_id     TEXT    NOT NULL REFERENCES campaigns (id),
    attempt         INTEGER NOT NULL,         -- 1 + earlier runs of the same proposal (requeues)
    status          TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'diverged', 'failed',
                                                       'timeout', 'oom', 'killed', 'artifact_rejected',
                                                       'rejected_by_validator', 'rejected_by_reviewer',
                                                       'integrity_mismatch', 'lost')),
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
    rejected_file   TEXT,                     -- vocabulary.FILE_NAME or NULL
    container_started INTEGER                 -- 1 its container started, 0 never, NULL not known yet
);
INSERT INTO runs_new SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_campaign ON runs (campaign_id, status);
CREATE INDEX runs_by_proposal ON runs (proposal_id);

-- FeedbackStore schema: the CURRENT version, used to create a new store in one transaction.
-- Never edit a released version in place: add migrations/NNNN_<what>.sql that upgrades the
-- previous version, make this file equal to "previous + migration", and commit a database of
-- the previous version under tests/assets/store/ (test_store_schema.py upgrades it).
--
-- Conventions: times are UNIX seconds (REAL, wall clock, so processes can compare them);
-- *_json columns hold JSON written by the store itself (numbers, enumerated strings, dotted
-- keys); every free-text column (reason, rationale) holds Sentinel's own wording, never text
-- read from a run's artifacts. Enumerations are CHECKed here as well as in Python.

CREATE TABLE schema_version (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    updated_at REAL    NOT NULL
);

CREATE TABLE campaigns (
    id            TEXT    PRIMARY KEY,
    goal_address  TEXT    NOT NULL,
    goal_json     TEXT    NOT NULL,           -- CampaignGoal.to_dict(): resume reads this, not the file
    seed          INTEGER NOT NULL,
    brain         TEXT    NOT NULL,
    approval      TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('running', 'paused', 'finished', 'failed')),
    state_reason  TEXT    NOT NULL DEFAULT '',
    tier          INTEGER NOT NULL DEFAULT 1 CHECK (tier BETWEEN 1 AND 3),
    created_at    REAL    NOT NULL,
    updated_at    REAL    NOT NULL,
    owner_pid     INTEGER,                    -- the campaign process; NULL once it let go
    owner_host    TEXT,
    owner_start   TEXT,                       -- its start time marker, against pid reuse
    heartbeat_at  REAL,
    active_s      REAL    NOT NULL DEFAULT 0  -- seconds a live owner worked on it (the wall budget)
);

CREATE TABLE proposals (
    id             INTEGER PRIMARY KEY,
    campaign_id    TEXT    NOT NULL REFERENCES campaigns (id),
    seq            INTEGER NOT NULL,          -- 1, 2, ... within the campaign
    tier           INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
    brain          TEXT    NOT NULL,
    experiment     TEXT    NOT NULL,
    overrides_json TEXT    NOT NULL,          -- {"trainer.lr": 0.001, "model": "cnn1d"}
    model_ref      TEXT,                      -- tier 3: generated.<module>.<Class>
    rationale      TEXT    NOT NULL,
    parent_id      INTEGER REFERENCES proposals (id),
    lineage        TEXT    NOT NULL,          -- inherited from the parent; a root starts its own
    config_sha256  TEXT,
    state          TEXT    NOT NULL CHECK (state IN ('proposed', 'validated', 'rejected_by_validator',
                                                     'approved', 'rejected_by_reviewer', 'running',
                                                     'finished', 'cancelled')),
    state_reason   TEXT    NOT NULL DEFAULT '',
    created_at     REAL    NOT NULL,
    updated_at     REAL    NOT NULL,
    UNIQUE (campaign_id, seq)
);
CREATE INDEX proposals_by_state ON proposals (campaign_id, state, seq);
CREATE INDEX proposals_by_lineage ON proposals (campaign_id, lineage, seq);

CREATE TABLE runs (
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
CREATE INDEX runs_by_campaign ON runs (campaign_id, status);
CREATE INDEX runs_by_proposal ON runs (proposal_id);

CREATE TABLE run_metrics (
    run_pk  INTEGER NOT NULL REFERENCES runs (id),
    which   TEXT    NOT NULL CHECK (which IN ('best', 'final', 'trusted')),
    key     TEXT    NOT NULL,                 -- "<split>/<metric>", e.g. "val/mae"; trusted: "test/mae"
    value   REAL,                             -- NULL where the run had no finite number
    epoch   INTEGER NOT NULL,
    step    INTEGER NOT NULL,
    PRIMARY KEY (run_pk, which, key)
);
CREATE INDEX run_metrics_by_key ON run_metrics (key, which, value);

CREATE TABLE monitor_events (
    run_pk        INTEGER NOT NULL REFERENCES runs (id),
    seq           INTEGER NOT NULL,           -- line order in monitor_events.jsonl
    step          INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    anomaly       TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    evidence_json TEXT    NOT NULL,
    params_json   TEXT    NOT NULL,
    PRIMARY KEY (run_pk, seq)
);

CREATE TABLE approvals (
    id            INTEGER PRIMARY KEY,
    proposal_id   INTEGER NOT NULL REFERENCES proposals (id),
    decision      TEXT    NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reviewer      TEXT    NOT NULL,
    bundle_sha256 TEXT,                       -- NULL when no review bundle was involved (auto)
    decided_at    REAL    NOT NULL
);
CREATE INDEX approvals_by_proposal ON approvals (proposal_id);

CREATE TABLE escalations (
    id            INTEGER PRIMARY KEY,
    campaign_id   TEXT    NOT NULL REFERENCES campaigns (id),
    from_tier     INTEGER NOT NULL CHECK (from_tier BETWEEN 1 AND 3),
    to_tier       INTEGER NOT NULL CHECK (to_tier BETWEEN 1 AND 3 AND to_tier > from_tier),
    reason        TEXT    NOT NULL,
    evidence_json TEXT    NOT NULL,
    created_at    REAL    NOT NULL
);

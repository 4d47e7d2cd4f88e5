-- sentinel: foreign_keys=off
-- 0003 reliability: a proposal the campaign ended before running is `cancelled` (never left
-- pending), a run records whether its container ever started (only started attempts count
-- towards giving up on a proposal), and a campaign accumulates the seconds a live owner
-- worked on it (the wall budget; time the host was dead is never charged). SQLite cannot
-- widen a CHECK in place, so the three tables are rebuilt as in 0002.

CREATE TABLE campaigns_new (
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
INSERT INTO campaigns_new (id, goal_address, goal_json, seed, brain, approval, state, state_reason, tier, created_at, updated_at, owner_pid, owner_host, owner_start, heartbeat_at)
    SELECT id, goal_address, goal_json, seed, brain, approval, state, state_reason, tier, created_at, updated_at, owner_pid, owner_host, owner_start, heartbeat_at FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_new RENAME TO campaigns;

CREATE TABLE proposals_new (
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
INSERT INTO proposals_new (id, campaign_id, seq, tier, brain, experiment, overrides_json, model_ref, rationale, parent_id, lineage, config_sha256, state, state_reason, created_at, updated_at)
    SELECT id, campaign_id, seq, tier, brain, experiment, overrides_json, model_ref, rationale, parent_id, lineage, config_sha256, state, state_reason, created_at, updated_at FROM proposals;
DROP TABLE proposals;
ALTER TABLE proposals_new RENAME TO proposals;
CREATE INDEX proposals_by_state ON proposals (campaign_id, state, seq);
CREATE INDEX proposals_by_lineage ON proposals (campaign_id, lineage, seq);

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
    rejected_file   TEXT,                     -- vocabulary.FILE_NAME or NULL
    container_started INTEGER                 -- 1 its container started, 0 never, NULL not known yet
);
INSERT INTO runs_new (id, run_id, proposal_id, campaign_id, attempt, status, reason, isolation, image, out_dir, started_at, heartbeat_at, finished_at, duration_s, exit_code, owner_pid, owner_host, owner_start, epochs, steps, summary_reason, metric_lines, nonfinite_lines, initial_lr, rejected_file)
    SELECT id, run_id, proposal_id, campaign_id, attempt, status, reason, isolation, image, out_dir, started_at, heartbeat_at, finished_at, duration_s, exit_code, owner_pid, owner_host, owner_start, epochs, steps, summary_reason, metric_lines, nonfinite_lines, initial_lr, rejected_file FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_campaign ON runs (campaign_id, status);
CREATE INDEX runs_by_proposal ON runs (proposal_id);

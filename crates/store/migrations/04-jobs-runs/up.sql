-- Schema version 4: jobs (a source, its destinations, a schedule), the history of their
-- runs, the catalog of backups known to be stored, and what retention deleted.

CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY NOT NULL,   -- UUID v4, also written into every manifest
    name                 TEXT NOT NULL UNIQUE COLLATE NOCASE,
    source_id            TEXT NOT NULL REFERENCES sources(id) ON DELETE RESTRICT,
    config               TEXT NOT NULL CHECK (json_valid(config)), -- schedule, compression, encryption, notifications
    enabled              INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    schedule_checked_at  TEXT,     -- every scheduled time up to here has been run, caught up or skipped
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;

CREATE TABLE job_destinations (
    job_id          TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    destination_id  TEXT NOT NULL REFERENCES destinations(id) ON DELETE RESTRICT,
    position        INTEGER NOT NULL,
    retention       TEXT NOT NULL CHECK (json_valid(retention)),
    PRIMARY KEY (job_id, destination_id)
) STRICT;

CREATE TABLE runs (
    id                TEXT PRIMARY KEY NOT NULL,
    job_id            TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    job_name          TEXT NOT NULL,             -- as it was when the run started
    trigger           TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'catch_up', 'cli')),
    status            TEXT NOT NULL CHECK (status IN
                        ('running', 'success', 'partial', 'failed', 'cancelled', 'skipped', 'interrupted')),
    started_at        TEXT NOT NULL,             -- RFC 3339, UTC
    finished_at       TEXT,
    bytes_in          INTEGER NOT NULL DEFAULT 0,
    bytes_out         INTEGER NOT NULL DEFAULT 0,
    outcome           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(outcome)), -- per destination, objects
    error_code        TEXT,
    error_message     TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1))
) STRICT;
-- A job never runs twice at once, whichever process (app, daemon, CLI) starts it.
CREATE UNIQUE INDEX runs_one_running_per_job ON runs(job_id) WHERE status = 'running';
CREATE INDEX runs_by_start ON runs(started_at DESC, id DESC);
CREATE INDEX runs_by_job ON runs(job_id, started_at DESC);

CREATE TABLE backups (
    destination_id  TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    object          TEXT NOT NULL,               -- key relative to the destination's root
    job_id          TEXT,                        -- no foreign key: a deleted job's backups stay
    job_name        TEXT,
    run_id          TEXT,
    created_at      TEXT NOT NULL,
    stored_size     INTEGER NOT NULL,
    locked          INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    manifest        TEXT NOT NULL CHECK (json_valid(manifest)),
    seen_at         TEXT NOT NULL,               -- when a run or rescan last saw it
    PRIMARY KEY (destination_id, object)
) STRICT;
CREATE INDEX backups_by_job ON backups(job_id, created_at DESC);

CREATE TABLE deletions (
    run_id          TEXT,                        -- NULL when applied on demand
    destination_id  TEXT NOT NULL,
    object          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    deleted_at      TEXT NOT NULL
) STRICT;

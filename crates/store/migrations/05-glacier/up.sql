-- Storage classes of stored backups, and restores from S3 Glacier that were asked for.

-- The class the destination last reported (a lifecycle rule can move a backup to Glacier
-- after it was stored); NULL for folders and for rows from before this migration.
ALTER TABLE backups ADD COLUMN storage_class TEXT;

CREATE TABLE glacier_restores (
    destination_id  TEXT NOT NULL,
    object          TEXT NOT NULL,
    tier            TEXT NOT NULL,               -- Expedited, Standard or Bulk
    days            INTEGER NOT NULL CHECK (days > 0),
    requested_at    TEXT NOT NULL,
    ready_until     TEXT,                        -- set when S3 reported the restored copy
    ready_at        TEXT,                        -- when DBackup saw it ready (and notified)
    PRIMARY KEY (destination_id, object),
    FOREIGN KEY (destination_id, object) REFERENCES backups (destination_id, object) ON DELETE CASCADE
) STRICT;

-- The last integrity check (verify) of each stored backup: every chunk authenticated and
-- compared with the manifest. Only checks that reached a verdict are kept; one that could
-- not run (network down, cancelled) says nothing about the backup.

CREATE TABLE backup_checks (
    destination_id  TEXT NOT NULL,
    object          TEXT NOT NULL,
    checked_at      TEXT NOT NULL,               -- RFC 3339, UTC
    problem         TEXT,                        -- NULL: intact; else what is wrong
    PRIMARY KEY (destination_id, object),
    FOREIGN KEY (destination_id, object) REFERENCES backups (destination_id, object) ON DELETE CASCADE
) STRICT;

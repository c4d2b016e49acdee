-- Schema version 2: encryption key profiles. The keys themselves live only in the
-- OS keyring (account key-profile/<id>); this table holds what identifies them.

CREATE TABLE key_profiles (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    key_id       TEXT NOT NULL UNIQUE,       -- first 8 hex chars of SHA-256(key)
    created_at   TEXT NOT NULL,
    exported_at  TEXT                        -- when a recovery kit was last exported
) STRICT;

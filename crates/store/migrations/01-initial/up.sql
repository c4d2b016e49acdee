-- Schema version 1. Secrets (S3 secret keys, database passwords, encryption keys) are
-- never stored here: rows hold only what is needed to find them in the OS keyring.

CREATE TABLE destinations (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID v4, also the keyring account suffix
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind        TEXT NOT NULL CHECK (kind IN ('local', 's3')),
    config      TEXT NOT NULL CHECK (json_valid(config)), -- kind-specific settings, no secrets
    created_at  TEXT NOT NULL,                      -- RFC 3339, UTC
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE settings (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL CHECK (json_valid(value))
) STRICT;

-- Schema version 3: what DBackup backs up. Database passwords live in the OS keyring
-- (account source/<id>/password), never here.

CREATE TABLE sources (
    id          TEXT PRIMARY KEY NOT NULL,          -- UUID v4, also the keyring account suffix
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind        TEXT NOT NULL CHECK (kind IN ('postgres', 'mysql', 'sqlite', 'folder')),
    config      TEXT NOT NULL CHECK (json_valid(config)), -- kind-specific settings, no secrets
    created_at  TEXT NOT NULL,                      -- RFC 3339, UTC
    updated_at  TEXT NOT NULL
) STRICT;

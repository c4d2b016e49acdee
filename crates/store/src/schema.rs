use std::path::Path;
use std::sync::LazyLock;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::StoreError;

/// Every migration, oldest first. Never edit a released one: add a new file.
const MIGRATION_SQL: &[&str] = &[
    include_str!("../migrations/01-initial/up.sql"),
    include_str!("../migrations/02-key-profiles/up.sql"),
    include_str!("../migrations/03-sources/up.sql"),
    include_str!("../migrations/04-jobs-runs/up.sql"),
    include_str!("../migrations/05-glacier/up.sql"),
    include_str!("../migrations/06-backup-checks/up.sql"),
];

/// The newest schema this build knows: one version per migration.
pub const SCHEMA_VERSION: u32 = MIGRATION_SQL.len() as u32;

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(MIGRATION_SQL.iter().map(|sql| M::up(sql)).collect()));

pub(crate) fn user_version(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get::<_, u32>(0))
        .map_err(|source| StoreError::from_sqlite(path, "read the schema version of", source))
}

pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    MIGRATIONS
        .to_latest(conn)
        .map_err(|source| StoreError::Migration {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }
}

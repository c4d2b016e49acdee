//! DBackup's local state in one SQLite file: destinations, sources, key profiles, jobs,
//! the history of their runs and the catalog of stored backups.
//!
//! The file is opened in WAL mode with foreign keys on, and migrated forward with
//! embedded, versioned migrations (`PRAGMA user_version`). A file written by a newer
//! DBackup is refused rather than touched, so a downgrade never corrupts state.

mod catalog;
mod destinations;
mod error;
mod jobs;
mod key_profiles;
mod records;
mod runs;
mod schema;
mod sources;

pub use catalog::{BackupCheckRecord, BackupRecord, GlacierRestoreRecord};
pub use destinations::{DestinationKind, DestinationRecord, NewDestination};
pub use error::StoreError;
pub use jobs::{JobDestination, JobRecord, NewJob};
pub use key_profiles::KeyProfileRecord;
pub use records::{NewRecord, Record, RecordKind};
pub use runs::{RunEnd, RunQuery, RunRecord};
pub use schema::SCHEMA_VERSION;
pub use sources::{NewSource, SourceKind, SourceRecord};

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// An open, migrated state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the state database at `path`, creating it (and its parent folder) if it
    /// does not exist, and migrates it to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::from_open(path, source))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.prepare()?;
        Ok(store)
    }

    /// An in-memory store, for tests of the crates above this one.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            action: "open an in-memory database",
            source,
        })?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.prepare()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the file is at (after migration, always [`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::user_version(&self.conn, &self.path)
    }

    fn prepare(&mut self) -> Result<(), StoreError> {
        // Reading user_version is the first real read of the file: a file that is not
        // SQLite fails here, before anything is written to it.
        let found = schema::user_version(&self.conn, &self.path)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let pragmas = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                       PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        self.conn
            .execute_batch(pragmas)
            .map_err(|source| StoreError::from_sqlite(&self.path, "configure", source))?;
        schema::migrate(&mut self.conn, &self.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

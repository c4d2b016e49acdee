//! What DBackup backs up. Each kind turns a live database (or folder) into a stream
//! the archive pipeline consumes, and restores a stream back into a database.
//! So far: SQLite, through SQLite's online backup API.

pub mod folder;
pub mod sqlite;

use serde::{Deserialize, Serialize};

/// The kinds of source, as recorded in archive metadata and manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Postgres,
    Mysql,
    Sqlite,
    Folder,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path} is not an SQLite database it can read ({detail}); check the path")]
    SqliteUnreadable {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("the SQLite database {path} stayed busy (another program holds a write lock); try again when it is idle")]
    SqliteBusy { path: std::path::PathBuf },
    #[error(
        "{target} already exists; restoring over it needs an explicit confirmation (overwrite)"
    )]
    TargetExists { target: std::path::PathBuf },
    #[error("copying the SQLite database {path} failed: {detail}")]
    SqliteCopy {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("{action} {path} failed: {source}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// What can go wrong with the state database. Messages say what failed, why, and
/// what to do; none of them can contain a secret since the store holds none.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data folder {path}: {source}. Check that you may write there, or point DBACKUP_DATA_DIR elsewhere")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make {path} private to this user: {source}. Check its owner and permissions (it should belong to you), or point DBACKUP_DATA_DIR elsewhere")]
    MakePrivate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a DBackup state database (it is damaged or not an SQLite file). It was left untouched: move it aside to start with an empty state, or restore it from a copy")]
    NotADatabase { path: PathBuf },
    #[error("{path} was written by a newer DBackup (schema version {found}; this version understands up to {supported}). It was left untouched: install the newer DBackup again to use it")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path} is read-only or its folder is not writable, so DBackup cannot record anything. Fix the permissions and try again")]
    ReadOnly { path: PathBuf },
    #[error("the state database {path} is locked by another program for too long. Close other DBackup windows or commands and try again")]
    Busy { path: PathBuf },
    #[error(
        "cannot upgrade the state database {path}: {source}. It was left at its previous version"
    )]
    Migration {
        path: PathBuf,
        #[source]
        source: rusqlite_migration::Error,
    },
    #[error("a {what} named {name:?} already exists; choose another name")]
    DuplicateName { what: &'static str, name: String },
    #[error("this key is already stored as the key profile {existing:?}; use that profile")]
    DuplicateKey { existing: String },
    #[error("the {what} {name:?} is used by the job(s) {jobs}; remove it from them first")]
    InUse {
        what: &'static str,
        name: String,
        jobs: String,
    },
    #[error("the job {job:?} is already running; wait for it to finish or cancel it")]
    JobRunning { job: String },
    #[error("no {what} with id {id}; it may have been removed, reload the list")]
    NotFound { what: &'static str, id: String },
    #[error("the stored {what} with id {id} is unreadable ({reason}); remove and add it again")]
    Corrupt {
        what: &'static str,
        id: String,
        reason: String,
    },
    #[error("cannot {action}: {source}")]
    Sqlite {
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    pub(crate) fn from_open(path: &Path, source: rusqlite::Error) -> Self {
        Self::from_sqlite(path, "open", source)
    }

    /// Turns SQLite's generic codes into the conditions users can act on.
    pub(crate) fn from_sqlite(path: &Path, action: &'static str, source: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
                Self::NotADatabase { path }
            }
            Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) => Self::ReadOnly { path },
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Self::Busy { path },
            _ => Self::Sqlite { action, source },
        }
    }
}

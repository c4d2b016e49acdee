//! What DBackup backs up. Each kind turns a live database (or folder) into a stream
//! the archive pipeline consumes, and restores a stream back into a database.
//! Databases are read through their own dump tools (pg_dump, mariadb-dump), whose
//! output streams straight into the archive; SQLite through its online backup API;
//! folders as a tar stream.

pub mod folder;
pub mod mysql;
pub mod postgres;
pub mod process;
pub mod roles_script;
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

/// A server as the checks found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// e.g. "PostgreSQL" or "MariaDB".
    pub engine: String,
    pub version: String,
    /// What would be backed up: the configured database, or every one.
    pub databases: Vec<String>,
    /// The dump tool and its version, e.g. "pg_dump (PostgreSQL) 15.18".
    pub dump_tool: String,
    /// Things that work but deserve attention.
    pub warnings: Vec<String>,
}

/// How a restore treats the target database.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// Drop the objects the backup contains before recreating them.
    pub clean: bool,
    /// The user confirmed restoring into a database that already holds tables.
    pub overwrite: bool,
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
    #[error("{tool} was not found in {searched}; install it ({install}) or set this source's tools directory")]
    ToolNotFound {
        tool: String,
        searched: String,
        install: String,
    },
    #[error("could not start {tool} ({path}): {source}")]
    ToolStart {
        tool: String,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{tool} failed ({status}): {stderr}")]
    ToolFailed {
        tool: String,
        status: String,
        stderr: String,
    },
    #[error("{tool} {tool_version} cannot dump a server running {server_version}; install {install}, or set this source's tools directory to newer client tools")]
    ToolTooOld {
        tool: String,
        tool_version: String,
        server_version: String,
        install: String,
    },
    #[error("cannot reach the database server at {server}: {detail}; check the host and port, that the server runs and accepts TCP connections, and any firewall in between")]
    Unreachable { server: String, detail: String },
    #[error(
        "the server at {server} rejected user {user}: {detail}; check the user name and password"
    )]
    AuthFailed {
        server: String,
        user: String,
        detail: String,
    },
    #[error(
        "database {database} does not exist on {server}; check its name (names are case-sensitive)"
    )]
    MissingDatabase { server: String, database: String },
    #[error("user {user} may not read everything a backup needs: {detail}; grant it read access (SELECT) or use a user that has it")]
    PermissionDenied { user: String, detail: String },
    #[error("{target} is not empty; restoring into it needs an explicit confirmation (overwrite), or restore into a new database")]
    TargetNotEmpty { target: String },
    #[error("reading the backup failed during the restore ({detail}); the restored database is incomplete, restore again into a fresh one")]
    RestoreInput { detail: String },
    #[error("the roles script in this backup holds {what} at line {line}, which pg_dumpall --globals-only never writes, so it was not run: the backup was altered or not made by DBackup. Restore the databases without the roles, and check who can write to the destination")]
    UnsafeScript { line: usize, what: String },
    #[error("the roles script in this backup is larger than {limit} MiB, which no server's roles need, so it was not run: the backup was altered or not made by DBackup")]
    ScriptTooLarge { limit: u64 },
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("{action} {path} failed: {source}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

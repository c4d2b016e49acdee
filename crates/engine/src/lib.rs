//! The engine is DBackup's one API surface: the desktop shell and the `dbackup` CLI
//! both call it, and neither holds logic of its own. It owns the state database, the
//! OS keyring, jobs, runs, schedules and retention.

pub mod alerts;
pub mod app_settings;
pub mod backup;
pub mod catalog;
pub mod config_file;
mod destinations;
mod error;
pub mod glacier;
pub mod inspect;
pub mod installation;
pub mod jobs;
pub mod keys;
pub mod manifest;
pub mod operations;
mod paths;
pub mod restore;
pub mod retention;
pub mod runs;
pub mod s3_destination;
pub mod schedule;
pub mod scheduler;
pub mod secrets;
pub mod source_run;
pub mod sources;
pub mod status;
pub mod transfer;

#[cfg(test)]
mod test_bench;

pub use destinations::{DestinationKind, DestinationView, NewLocalDestination};
pub use error::{EngineError, ErrorCode};
pub use paths::{create_private_dir, AppPaths};
pub use secrets::{Keyring, Secret};
pub use sources::{NewSource, OpenSource, SourceKind, SourceSettings, SourceView};

use std::sync::{Mutex, MutexGuard};

use dbackup_store::Store;
use jiff::tz::TimeZone;
use serde::Serialize;

/// What the first screen (and `dbackup status`) shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppOverview {
    pub version: String,
    pub data_dir: String,
    pub log_dir: String,
    pub database_path: String,
    pub destinations: Vec<DestinationView>,
}

pub struct Engine {
    // rusqlite connections are not Sync; commands are short, so one lock is enough.
    store: Mutex<Store>,
    paths: AppPaths,
    keyring: Keyring,
    /// Schedules and retention periods are in this zone: the user's own.
    time_zone: TimeZone,
    /// Recorded in every manifest: whose backups retention may judge.
    installation_id: String,
    /// The unit tests' installation manifest key, instead of a keyring entry per bench.
    #[cfg(test)]
    test_manifest_key: Option<manifest::auth::ManifestKey>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("paths", &self.paths)
            .finish()
    }
}

impl Engine {
    /// Opens (creating and migrating if needed) the state database under `paths`.
    pub fn open(paths: AppPaths, keyring: Keyring) -> Result<Self, EngineError> {
        let private = |path: &std::path::Path, source: std::io::Error| {
            EngineError::Store(dbackup_store::StoreError::MakePrivate {
                path: path.to_path_buf(),
                source,
            })
        };
        paths::create_private_dir(paths.data_dir()).map_err(|e| private(paths.data_dir(), e))?;
        let store = Store::open(&paths.database())?;
        // SQLite creates its -wal and -shm files with the database's own mode.
        paths::make_private(&paths.database()).map_err(|e| private(&paths.database(), e))?;
        let installation_id = installation::load_or_create(&store)?;
        Ok(Self {
            installation_id,
            #[cfg(test)]
            test_manifest_key: None,
            store: Mutex::new(store),
            paths,
            keyring,
            time_zone: TimeZone::system(),
        })
    }

    /// Uses `time_zone` instead of the system's, for tests and for users who set one.
    pub fn with_time_zone(mut self, time_zone: TimeZone) -> Self {
        self.time_zone = time_zone;
        self
    }

    /// A fixed installation id, so the engine's tests can name the objects they expect.
    #[cfg(test)]
    pub(crate) fn with_installation_id(mut self, id: &str) -> Self {
        self.installation_id = id.to_owned();
        self.test_manifest_key = Some(manifest::auth::ManifestKey([7; 32]));
        self
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// This installation's id (see `installation`).
    pub fn installation_id(&self) -> &str {
        &self.installation_id
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn overview(&self) -> Result<AppOverview, EngineError> {
        Ok(AppOverview {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: self.paths.data_dir().display().to_string(),
            log_dir: self.paths.log_dir().display().to_string(),
            database_path: self.paths.database().display().to_string(),
            destinations: self.list_destinations()?,
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite inconsistent (each call is
        // one statement or one transaction), so a poisoned lock is safe to reuse.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

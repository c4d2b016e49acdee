use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use crate::EngineError;

/// Where DBackup keeps its state and logs: the OS convention (XDG on Linux:
/// `~/.local/share/dbackup`, logs in `~/.local/state/dbackup/logs`), or the folders
/// named by `DBACKUP_DATA_DIR` / `DBACKUP_LOG_DIR`, which tests and portable installs use.
#[derive(Debug, Clone)]
pub struct AppPaths {
    data_dir: PathBuf,
    log_dir: PathBuf,
}

pub const DATABASE_FILE: &str = "dbackup.sqlite";

impl AppPaths {
    pub fn new(data_dir: PathBuf, log_dir: PathBuf) -> Self {
        Self { data_dir, log_dir }
    }

    /// The paths from the environment overrides, else the OS convention.
    pub fn from_env() -> Result<Self, EngineError> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dirs = ProjectDirs::from("", "", "dbackup");
        let data_dir = match var("DBACKUP_DATA_DIR") {
            Some(dir) => dir,
            None => dirs
                .as_ref()
                .map(|d| d.data_dir().to_path_buf())
                .ok_or(EngineError::NoHomeDir)?,
        };
        let log_dir = match var("DBACKUP_LOG_DIR") {
            Some(dir) => dir,
            None => match dirs.as_ref().and_then(|d| d.state_dir()) {
                Some(state) => state.join("logs"),
                None => data_dir.join("logs"),
            },
        };
        Ok(Self::new(data_dir, log_dir))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }
}

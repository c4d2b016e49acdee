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

/// Creates `dir` (and its parents) if missing, and makes it private to this user:
/// the state database, run locks and logs name databases, buckets and schedules.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}

/// Makes an existing file readable and writable by this user alone.
pub fn make_private(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use crate::{AppPaths, Engine, Keyring};

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_state_is_private_to_this_user_even_in_a_folder_that_was_not() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let paths = AppPaths::new(data.clone(), dir.path().join("logs"));
        let engine = Engine::open(paths.clone(), Keyring::new("dbackup-paths-tests")).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&paths.database()), 0o600);
        drop(engine);
        let fresh = dir.path().join("new/deeper");
        super::create_private_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
    }
}

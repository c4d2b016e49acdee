//! Files a restore or download writes: first under a random name beside the target,
//! created exclusively (never an existing file, never through a planted link) and
//! readable by this user alone; then published under the target's name only when
//! whole and checked, replacing an existing file only when the user asked to.

use std::io;
use std::path::{Path, PathBuf};

use crate::EngineError;

/// A new, private, exclusively created file beside `target`, and its path.
pub fn create_partial(target: &Path) -> Result<(std::fs::File, PathBuf), EngineError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "restore".into());
    let partial = target.with_file_name(format!(
        ".{name}.dbackup-partial-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut options = std::fs::OpenOptions::new();
    // O_EXCL: fails on any existing name, a symlink included.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&partial)
        .map_err(|e| EngineError::RestoreTarget {
            kind: e.kind(),
            detail: format!("cannot create {}: {e}", partial.display()),
        })?;
    Ok((file, partial))
}

/// Gives the finished `partial` the target's name. Without `overwrite`, an existing
/// target (even one that appeared meanwhile) is never replaced.
pub fn publish(partial: &Path, target: &Path, overwrite: bool) -> Result<(), EngineError> {
    let failed = |e: io::Error| EngineError::RestoreTarget {
        kind: e.kind(),
        detail: format!("cannot move the finished file to {}: {e}", target.display()),
    };
    if overwrite {
        return std::fs::rename(partial, target).map_err(failed);
    }
    // A hard link fails when the name is taken, where a rename would replace it.
    match std::fs::hard_link(partial, target) {
        Ok(()) => {
            let _ = std::fs::remove_file(partial);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists(target)),
        // Filesystems without hard links (FAT, some network shares): the check below
        // is the best they allow.
        Err(_) if target.symlink_metadata().is_ok() => Err(exists(target)),
        Err(_) => std::fs::rename(partial, target).map_err(failed),
    }
}

fn exists(target: &Path) -> EngineError {
    EngineError::invalid(
        "target",
        format!(
            "{} already exists (it appeared while restoring); choose another path or confirm overwriting it",
            target.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_partial_file_is_new_private_and_never_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("shop.sql");
        let (_, one) = create_partial(&target).unwrap();
        let (_, two) = create_partial(&target).unwrap();
        assert_ne!(one, two, "the name cannot be guessed in advance");
        assert_eq!(
            std::fs::metadata(&one).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(one
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".shop.sql.dbackup-partial-"));
    }

    #[test]
    fn publishing_never_replaces_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("shop.sql");
        std::fs::write(&target, b"the user's file").unwrap();
        let (_, partial) = create_partial(&target).unwrap();
        std::fs::write(&partial, b"restored").unwrap();
        let err = publish(&partial, &target, false).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"the user's file");
        publish(&partial, &target, true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"restored");
        assert!(!partial.exists());

        let fresh = dir.path().join("new.sql");
        let (_, partial) = create_partial(&fresh).unwrap();
        publish(&partial, &fresh, false).unwrap();
        assert!(fresh.exists() && !partial.exists());
    }
}

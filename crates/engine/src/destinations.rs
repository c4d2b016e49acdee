use std::path::{Component, Path, PathBuf};

use dbackup_store::{DestinationRecord, NewDestination};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Engine, EngineError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    Local,
    S3,
}

/// A destination as the UI and CLI show it. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DestinationView {
    pub id: String,
    pub name: String,
    pub kind: DestinationKind,
    /// A folder path, or `s3://bucket/prefix` with its endpoint.
    pub location: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Its secret access key is not in the keyring (imported from another computer,
    /// or removed outside DBackup): it must be typed again before it works.
    pub secret_missing: bool,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewLocalDestination {
    pub name: String,
    pub path: String,
}

/// What the store keeps for a local-folder destination.
#[derive(Debug, Serialize, Deserialize)]
struct LocalConfig {
    path: PathBuf,
}

const MAX_NAME_CHARS: usize = 64;

pub(crate) fn validate_name(name: &str) -> Result<String, EngineError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(EngineError::invalid("name", "a name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(EngineError::invalid(
            "name",
            format!("use at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            "name",
            "remove the control characters (tabs, line breaks)",
        ));
    }
    Ok(name.to_owned())
}

fn validate_folder(path: &str) -> Result<PathBuf, EngineError> {
    let path = Path::new(path.trim());
    if path.as_os_str().is_empty() {
        return Err(EngineError::invalid("path", "a folder is required"));
    }
    if !path.is_absolute() {
        return Err(EngineError::invalid(
            "path",
            format!(
                "{} is relative; give the full path, e.g. /mnt/nas/backups",
                path.display()
            ),
        ));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(EngineError::invalid(
            "path",
            "remove the `..` parts from the path",
        ));
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(path.to_path_buf()),
        Ok(_) => Err(EngineError::invalid(
            "path",
            format!("{} is a file, not a folder", path.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(EngineError::invalid(
            "path",
            format!(
                "{} does not exist; create it, or mount the share first",
                path.display()
            ),
        )),
        Err(e) => Err(EngineError::invalid(
            "path",
            format!("cannot open {}: {e}", path.display()),
        )),
    }
}

impl DestinationView {
    pub(crate) fn from_record(record: DestinationRecord) -> Self {
        let location = match record.kind {
            dbackup_store::DestinationKind::Local => record.config["path"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            dbackup_store::DestinationKind::S3 => {
                let bucket = record.config["bucket"].as_str().unwrap_or_default();
                let prefix = record.config["prefix"].as_str().unwrap_or_default();
                match record.config["endpoint"].as_str() {
                    Some(endpoint) => format!("s3://{bucket}/{prefix} at {endpoint}"),
                    None => format!("s3://{bucket}/{prefix}"),
                }
            }
        };
        Self {
            id: record.id,
            name: record.name,
            kind: match record.kind {
                dbackup_store::DestinationKind::Local => DestinationKind::Local,
                dbackup_store::DestinationKind::S3 => DestinationKind::S3,
            },
            location,
            created_at: record.created_at.to_string(),
            secret_missing: false,
        }
    }
}

pub(crate) fn has_secret(record: &DestinationRecord) -> bool {
    record.kind == dbackup_store::DestinationKind::S3
        && record.config["credentials"].as_str() != Some("default_chain")
}

impl Engine {
    pub fn list_destinations(&self) -> Result<Vec<DestinationView>, EngineError> {
        let records = self.store().list_destinations()?;
        Ok(records
            .into_iter()
            .map(|record| {
                // Only a definite "not there" counts: a locked keyring is reported
                // when the destination is used, with what to do about it.
                let missing = has_secret(&record)
                    && matches!(
                        self.keyring.get(&secret_account(&record.id)),
                        Err(crate::secrets::KeyringError::NotFound { .. })
                    );
                DestinationView {
                    secret_missing: missing,
                    ..DestinationView::from_record(record)
                }
            })
            .collect())
    }

    /// Adds a local-folder destination (a disk or a NAS mount). The folder must exist.
    pub fn add_local_destination(
        &self,
        input: NewLocalDestination,
        now: Timestamp,
    ) -> Result<DestinationView, EngineError> {
        let name = validate_name(&input.name)?;
        let path = validate_folder(&input.path)?;
        let config = serde_json::to_value(LocalConfig { path })
            .map_err(|e| EngineError::invalid("path", format!("the path cannot be stored: {e}")))?;
        let record = self.store().insert_destination(
            &NewDestination {
                id: uuid::Uuid::new_v4().to_string(),
                name,
                kind: dbackup_store::DestinationKind::Local,
                config,
            },
            now,
        )?;
        tracing::info!(id = %record.id, name = %record.name, "added a local-folder destination");
        Ok(DestinationView::from_record(record))
    }

    /// Renames a local-folder destination or points it at another folder. Backups
    /// already stored in the old folder stay there (the catalog is refreshed by a rescan).
    pub fn update_local_destination(
        &self,
        id: &str,
        input: NewLocalDestination,
        now: Timestamp,
    ) -> Result<DestinationView, EngineError> {
        let record = self.store().destination(id)?;
        if record.kind != dbackup_store::DestinationKind::Local {
            return Err(EngineError::invalid(
                "kind",
                "this destination is not a local folder; edit it as an S3 destination",
            ));
        }
        let name = validate_name(&input.name)?;
        let path = validate_folder(&input.path)?;
        let config = serde_json::to_value(LocalConfig { path })
            .map_err(|e| EngineError::invalid("path", format!("the path cannot be stored: {e}")))?;
        let record = self.store().update_destination(id, &name, &config, now)?;
        tracing::info!(id, name = %record.name, "edited a local-folder destination");
        Ok(DestinationView::from_record(record))
    }

    /// Stores the secret access key of a saved S3 destination (after an import, or
    /// when the key was rotated), keeping every other setting.
    pub fn set_destination_secret(
        &self,
        id: &str,
        secret: &crate::Secret,
    ) -> Result<(), EngineError> {
        use secrecy::ExposeSecret;
        let record = self.store().destination(id)?;
        if !has_secret(&record) {
            return Err(EngineError::invalid(
                "destination",
                format!(
                    "{} has no secret access key: it is a folder or uses the AWS default credential chain",
                    record.name
                ),
            ));
        }
        let trimmed = secret.expose_secret().trim();
        if trimmed.is_empty() {
            return Err(EngineError::invalid(
                "secretAccessKey",
                "the secret access key is empty",
            ));
        }
        self.keyring.set(
            &secret_account(id),
            &crate::Secret::from(trimmed.to_owned()),
        )?;
        tracing::info!(id, name = %record.name, "stored a destination's secret access key");
        Ok(())
    }

    /// Removes the destination from DBackup and its secrets from the keyring. What it
    /// stores (the backups themselves) is left where it is.
    pub fn remove_destination(&self, id: &str) -> Result<(), EngineError> {
        let record = self.store().destination(id)?;
        // The row first: a destination must never exist without its secret. A secret
        // left behind (keyring locked right now) is only an orphan entry, and logged.
        self.store().delete_destination(id)?;
        if has_secret(&record) {
            if let Err(e) = self.keyring.delete(&secret_account(id)) {
                tracing::warn!(
                    id,
                    "removed the destination but not its keyring secret: {e}"
                );
            }
        }
        tracing::info!(id, name = %record.name, "removed a destination");
        Ok(())
    }
}

/// The keyring account holding a destination's secret access key.
pub(crate) fn secret_account(destination_id: &str) -> String {
    format!("destination/{destination_id}/secret-access-key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  NAS  ").unwrap(), "NAS");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(65)).is_err());
        assert!(validate_name(&"é".repeat(64)).is_ok());
        assert!(validate_name("a\tb").is_err());
    }

    #[test]
    fn folders_must_be_absolute_existing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(validate_folder(dir.path().to_str().unwrap()).is_ok());
        let msg = |p: &str| validate_folder(p).unwrap_err().to_string();
        assert!(msg("relative/dir").contains("relative"));
        assert!(msg(file.to_str().unwrap()).contains("is a file"));
        assert!(msg("/definitely/not/here").contains("does not exist"));
        assert!(msg("/tmp/../etc").contains(".."));
        assert!(msg("").contains("required"));
    }
}

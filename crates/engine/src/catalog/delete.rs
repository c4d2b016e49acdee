//! Deleting a stored backup by hand (the Storage Explorer). Locked backups are refused:
//! a DBackup lock is lifted first by the user, an Object Lock only by time.

use dbackup_storage::ObjectKey;
use jiff::Timestamp;
use serde::Serialize;

use crate::manifest::{Manifest, MANIFEST_SUFFIX};
use crate::{Engine, EngineError};

impl Engine {
    /// Deletes a backup and its manifest from a saved destination, and from the catalog.
    pub async fn delete_stored_backup(
        &self,
        destination_id: &str,
        object: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let (_, destination) = self.open_destination(destination_id)?;
        let object = ObjectKey::new(object)?;
        if object.as_str().ends_with(MANIFEST_SUFFIX) {
            return Err(EngineError::invalid(
                "object",
                format!("{object} is a manifest; delete the backup it describes instead"),
            ));
        }
        if destination.head(&object).await?.is_none() {
            return Err(EngineError::invalid(
                "object",
                format!("there is no backup {object} there (deleted already?); rescan the destination to refresh the list"),
            ));
        }
        // A lock recorded in the manifest is honoured. A missing or unreadable manifest
        // (not a DBackup backup, or a lost one) does not block: deleting is what was asked.
        let manifest = match destination.get(&Manifest::key_for(&object)?).await {
            Ok(bytes) => Manifest::parse(&bytes),
            Err(dbackup_storage::StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        if let Some(manifest) = manifest {
            if manifest.locked {
                return Err(EngineError::invalid(
                    "object",
                    format!("{object} is locked; unlock it first if it really should go"),
                ));
            }
        }
        if let Some(lock) = destination
            .retention(&object)
            .await?
            .filter(|l| l.until > now)
        {
            return Err(EngineError::invalid(
                "object",
                format!(
                    "{object} is under S3 Object Lock until {}; the server refuses to delete it before then",
                    lock.until
                ),
            ));
        }
        // Data first, as retention does: a manifest without data is ignored, data without
        // a manifest would look like an unfinished upload.
        destination.delete(&object).await?;
        destination.delete(&Manifest::key_for(&object)?).await?;
        let store = self.store();
        store.remove_backup(destination_id, object.as_str())?;
        store.record_deletion(
            None,
            destination_id,
            object.as_str(),
            "deleted by hand",
            now,
        )?;
        drop(store);
        tracing::info!(%object, destination = destination_id, "deleted a backup by hand");
        Ok(())
    }

    /// Removes a job; with `delete_backups`, first every backup of it the catalog knows,
    /// except locked ones (kept, and named). A backup that fails to delete stops here
    /// with the job still in place, so nothing is orphaned and it can be tried again.
    pub async fn remove_job_with_backups(
        &self,
        job_id: &str,
        delete_backups: bool,
        now: Timestamp,
    ) -> Result<JobRemoved, EngineError> {
        let job = self.store().job(job_id)?;
        if self
            .store()
            .running_runs()?
            .iter()
            .any(|r| r.job_id.as_deref() == Some(job_id))
        {
            return Err(EngineError::invalid(
                "job",
                format!(
                    "{} is running; cancel the run or wait for it to end first",
                    job.name
                ),
            ));
        }
        let mut removed = JobRemoved::default();
        if delete_backups {
            for backup in self.list_backups(None, Some(job_id))? {
                let object_locked = backup
                    .object_lock_until
                    .as_deref()
                    .and_then(|u| u.parse::<Timestamp>().ok())
                    .is_some_and(|until| until > now);
                if backup.locked || object_locked {
                    removed.kept_locked.push(backup.object);
                    continue;
                }
                self.delete_stored_backup(&backup.destination_id, &backup.object, now)
                    .await?;
                removed.deleted_backups += 1;
            }
        }
        self.remove_job(job_id)?;
        Ok(removed)
    }
}

/// What removing a job did to its stored backups.
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobRemoved {
    pub deleted_backups: u32,
    /// Locked backups (by DBackup or S3 Object Lock), left in place.
    pub kept_locked: Vec<String>,
}

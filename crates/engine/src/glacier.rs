//! Backups in S3 Glacier (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering's archive tiers):
//! they cannot be read until a restore has made a temporary copy. Asking for one is
//! recorded, so the app can watch it and say when the copy is ready; reading one
//! without a copy says what to do instead of failing half-way.

use std::collections::HashMap;
use std::sync::Arc;

use dbackup_storage::{
    needs_restore, ArchiveState, Destination, ObjectInfo, ObjectKey, StorageError,
};
pub use dbackup_storage::{RestoreRequested, RestoreTier};
use dbackup_store::GlacierRestoreRecord;
use jiff::Timestamp;
use serde::Serialize;

use crate::{Engine, EngineError};

/// How long a restored copy stays readable unless asked otherwise.
pub const DEFAULT_RESTORE_DAYS: u32 = 7;
/// S3 takes any number of days; a year is plenty and catches typos.
const MAX_RESTORE_DAYS: u32 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum GlacierState {
    /// In Glacier; a restore is needed before it can be read.
    Archived,
    /// A restore was asked for and is under way.
    Restoring,
    /// A restored copy can be read (until `ready_until`).
    Restored,
}

/// Where a backup in an archive class stands, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GlacierView {
    pub state: GlacierState,
    pub tier: Option<RestoreTier>,
    pub requested_at: Option<String>,
    /// RFC 3339; when S3 deletes the restored copy again.
    pub ready_until: Option<String>,
}

/// What asking for a restore (or checking on one) found.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GlacierStatus {
    pub object: String,
    pub storage_class: String,
    pub state: GlacierState,
    /// What a restore request did; `None` for a plain check.
    pub requested: Option<RestoreRequested>,
    pub ready_until: Option<String>,
    /// In words, for people.
    pub summary: String,
}

/// A restored copy that became readable since the last check.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GlacierReady {
    pub destination_id: String,
    pub destination: String,
    pub object: String,
    pub job_name: Option<String>,
    pub ready_until: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GlacierCheck {
    pub ready: Vec<GlacierReady>,
    /// Destinations that could not be asked (they are asked again next time).
    pub errors: Vec<String>,
}

/// A saved destination's name and client.
type Opened = (String, Arc<dyn Destination>);

fn may_be_archived(class: Option<&str>) -> bool {
    class.is_some_and(|c| needs_restore(c) || c == "INTELLIGENT_TIERING")
}

/// Fails with what to do when `info` is archived without a readable copy. One extra
/// HEAD, and only for objects in an archive class.
pub(crate) async fn ensure_readable(
    destination: &dyn Destination,
    info: &ObjectInfo,
) -> Result<(), EngineError> {
    if !may_be_archived(info.storage_class.as_deref()) {
        return Ok(());
    }
    let class = info.storage_class.clone().unwrap_or_default();
    match destination.archive_state(&info.key).await? {
        ArchiveState::Readable | ArchiveState::Restored { .. } => Ok(()),
        ArchiveState::Archived => Err(EngineError::NeedsRestore {
            object: info.key.to_string(),
            class,
            state: "must be restored from Glacier before it can be read".into(),
            what_to_do: format!(
                "Request a restore (Storage Explorer: Restore from Glacier, or `dbackup backup glacier-restore {}`); it takes from minutes to 48 hours by tier, and the app notifies when it is ready. Then try again",
                info.key
            ),
        }),
        ArchiveState::Restoring => Err(EngineError::NeedsRestore {
            object: info.key.to_string(),
            class,
            state: "is being restored from Glacier".into(),
            what_to_do: "It can be read once the restore completes; the app notifies when it is ready. Try again then".into(),
        }),
    }
}

fn state_of(state: ArchiveState) -> (GlacierState, Option<Timestamp>) {
    match state {
        ArchiveState::Readable => (GlacierState::Restored, None),
        ArchiveState::Archived => (GlacierState::Archived, None),
        ArchiveState::Restoring => (GlacierState::Restoring, None),
        ArchiveState::Restored { until } => (GlacierState::Restored, until),
    }
}

fn summary(
    object: &ObjectKey,
    class: &str,
    state: GlacierState,
    until: Option<Timestamp>,
) -> String {
    match (state, until) {
        (GlacierState::Archived, _) => {
            format!("{object} is in {class}; request a restore to read it")
        }
        (GlacierState::Restoring, _) => format!("{object} is being restored from {class}"),
        (GlacierState::Restored, Some(until)) => {
            format!("{object} is restored and can be read until {until}")
        }
        (GlacierState::Restored, None) => format!("{object} can be read"),
    }
}

impl Engine {
    /// Asks S3 to restore an archived backup for `days` days. Refuses objects that
    /// need none and tiers the class does not offer.
    pub async fn request_glacier_restore(
        &self,
        destination: &Arc<dyn Destination>,
        destination_id: Option<&str>,
        object: &ObjectKey,
        tier: RestoreTier,
        days: u32,
        now: Timestamp,
    ) -> Result<GlacierStatus, EngineError> {
        if !(1..=MAX_RESTORE_DAYS).contains(&days) {
            return Err(EngineError::invalid(
                "days",
                format!("keep the restored copy for 1 to {MAX_RESTORE_DAYS} days"),
            ));
        }
        let info = destination.head(object).await?.ok_or_else(|| {
            EngineError::invalid(
                "object",
                format!("there is no backup {object} there; list them with `dbackup backup list`"),
            )
        })?;
        let class = info
            .storage_class
            .clone()
            .unwrap_or_else(|| "a folder".into());
        if !may_be_archived(info.storage_class.as_deref()) {
            return Err(StorageError::NotArchived {
                key: object.to_string(),
                class,
            }
            .into());
        }
        if class == "DEEP_ARCHIVE" && tier == RestoreTier::Expedited {
            return Err(EngineError::invalid(
                "tier",
                "Deep Archive has no Expedited tier: choose Standard (up to 12 hours) or Bulk (up to 48 hours)",
            ));
        }
        let requested = destination.request_restore(object, days, tier).await?;
        let (state, until) = state_of(destination.archive_state(object).await?);
        if let Some(id) = destination_id {
            let store = self.store();
            store.set_backup_storage_class(id, object.as_str(), &class)?;
            if store.backup(id, object.as_str())?.is_some() {
                store.record_glacier_restore(&GlacierRestoreRecord {
                    destination_id: id.to_owned(),
                    object: object.to_string(),
                    tier: tier.as_str().to_owned(),
                    days,
                    requested_at: now,
                    ready_until: until,
                    // Seen ready by the next check, which says so once: S3 itself
                    // answers a new request with "under way", never "ready".
                    ready_at: None,
                })?;
            }
        }
        tracing::info!(%object, %class, tier = tier.as_str(), days, ?requested, "asked for a restore from Glacier");
        let summary = match (requested, state) {
            (_, GlacierState::Restored) => summary(object, &class, state, until),
            (RestoreRequested::AlreadyInProgress, _) => {
                format!("a restore of {object} is already under way")
            }
            _ => format!(
                "asked S3 to restore {object} from {class} ({} tier, usually {}); it stays readable for {days} days once ready",
                tier.as_str(),
                tier.typical_wait(&class)
            ),
        };
        Ok(GlacierStatus {
            object: object.to_string(),
            storage_class: class,
            state,
            requested: Some(requested),
            ready_until: until.map(|t| t.to_string()),
            summary,
        })
    }

    /// [`Self::request_glacier_restore`] for a backup of a saved destination.
    pub async fn request_stored_glacier_restore(
        &self,
        destination_id: &str,
        object: &str,
        tier: RestoreTier,
        days: u32,
        now: Timestamp,
    ) -> Result<GlacierStatus, EngineError> {
        let (_, destination) = self.open_destination(destination_id)?;
        let object = ObjectKey::new(object)?;
        self.request_glacier_restore(&destination, Some(destination_id), &object, tier, days, now)
            .await
    }

    /// Whether an archived backup can be read now.
    pub async fn glacier_status(
        &self,
        destination: &Arc<dyn Destination>,
        object: &ObjectKey,
    ) -> Result<GlacierStatus, EngineError> {
        let info = crate::restore::existing_object(destination.as_ref(), object).await?;
        let class = info.storage_class.unwrap_or_else(|| "a folder".into());
        let (state, until) = state_of(destination.archive_state(object).await?);
        Ok(GlacierStatus {
            object: object.to_string(),
            summary: summary(object, &class, state, until),
            storage_class: class,
            state,
            requested: None,
            ready_until: until.map(|t| t.to_string()),
        })
    }

    /// Asks S3 about every restore still awaited, and returns those that became
    /// readable since the last check (each once: the app notifies about them).
    /// Restores whose copy expired are forgotten.
    pub async fn check_glacier_restores(
        &self,
        now: Timestamp,
    ) -> Result<GlacierCheck, EngineError> {
        let restores = self.store().glacier_restores()?;
        let mut check = GlacierCheck::default();
        // By destination id; `None` when it could not be opened (reported once).
        let mut opened: HashMap<String, Option<Opened>> = HashMap::new();
        for restore in restores {
            if restore.ready_at.is_some() {
                if restore.ready_until.is_some_and(|until| until <= now) {
                    self.store()
                        .remove_glacier_restore(&restore.destination_id, &restore.object)?;
                }
                continue;
            }
            let entry = opened
                .entry(restore.destination_id.clone())
                .or_insert_with(|| match self.open_destination(&restore.destination_id) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        check.errors.push(e.to_string());
                        None
                    }
                });
            let Some((name, destination)) = entry.clone() else {
                continue;
            };
            let key = ObjectKey::new(&restore.object)?;
            match destination.archive_state(&key).await {
                Ok(ArchiveState::Restored { until }) => {
                    self.store().record_glacier_restore(&GlacierRestoreRecord {
                        ready_until: until,
                        ready_at: Some(now),
                        ..restore.clone()
                    })?;
                    let job_name = self
                        .store()
                        .backup(&restore.destination_id, &restore.object)?
                        .and_then(|b| b.job_name);
                    tracing::info!(object = %restore.object, destination = %name, "a restore from Glacier is ready");
                    check.ready.push(GlacierReady {
                        destination_id: restore.destination_id.clone(),
                        destination: name,
                        object: restore.object.clone(),
                        job_name,
                        ready_until: until.map(|t| t.to_string()),
                    });
                }
                Ok(ArchiveState::Restoring) => {}
                // Archived again (the copy expired unseen) or no longer archived.
                Ok(ArchiveState::Archived | ArchiveState::Readable)
                | Err(StorageError::NotFound { .. }) => {
                    self.store()
                        .remove_glacier_restore(&restore.destination_id, &restore.object)?;
                }
                Err(e) => check.errors.push(e.to_string()),
            }
        }
        Ok(check)
    }

    /// The Glacier state of each catalogued backup that has one, by (destination, object).
    pub(crate) fn glacier_views(
        &self,
    ) -> Result<HashMap<(String, String), GlacierView>, EngineError> {
        Ok(self
            .store()
            .glacier_restores()?
            .into_iter()
            .map(|r| {
                let view = GlacierView {
                    state: if r.ready_at.is_some() || r.ready_until.is_some() {
                        GlacierState::Restored
                    } else {
                        GlacierState::Restoring
                    },
                    tier: RestoreTier::parse(&r.tier),
                    requested_at: Some(r.requested_at.to_string()),
                    ready_until: r.ready_until.map(|t| t.to_string()),
                };
                ((r.destination_id, r.object), view)
            })
            .collect())
    }
}

/// The view of a catalogued backup of `class` without a recorded restore.
pub(crate) fn view_without_restore(class: Option<&str>) -> Option<GlacierView> {
    class.filter(|c| needs_restore(c)).map(|_| GlacierView {
        state: GlacierState::Archived,
        tier: None,
        requested_at: None,
        ready_until: None,
    })
}

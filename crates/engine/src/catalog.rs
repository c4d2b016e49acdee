//! What is stored: a job's backups on a destination (found through their manifests),
//! retention over them, locks, and rescans that rebuild the local catalog from a
//! bucket. The bucket is the truth; the catalog in the state database is its index.
//!
//! Only backups whose manifest names the job's id are ever judged or deleted: other
//! jobs' backups, unknown files, data without a manifest (an upload that did not
//! finish) and unreadable manifests are left alone. A listing or manifest read that
//! fails stops retention before anything is deleted.
//!
//! A job's backups fall into series, each judged on its own: one per database (and
//! one for a server's roles), and per installation. A server source makes one backup
//! per database per run, so judging them together would let one database's backups
//! push out another's; and a configuration imported on a second computer keeps its
//! jobs' ids, so judging every installation's backups together would let each
//! computer delete the other's. By default only this installation's series are judged
//! (others are kept and named, and can be adopted explicitly).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use dbackup_storage::{Destination, ObjectInfo, ObjectKey, ObjectRetention};
use dbackup_store::BackupRecord;
use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::glacier::{view_without_restore, GlacierView};
use crate::jobs::{JobTarget, LoadedJob};
use crate::manifest::auth::ManifestKey;
use crate::manifest::{Manifest, MANIFEST_SUFFIX};
use crate::retention::{plan, Candidate, Decision, Retention};
use crate::source_run::SourceBackupReport;
use crate::{Engine, EngineError};

mod delete;

pub use delete::JobRemoved;

/// Manifests read at once while listing.
const MANIFEST_READS: usize = 8;

/// What retention did on one destination after a run, or on demand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RetentionReport {
    pub kept: u32,
    pub deleted: Vec<String>,
    /// What could not be deleted and why, or why retention did not start. A failed
    /// deletion does not stop the others: each is reported.
    pub error: Option<String>,
}

impl RetentionReport {
    pub(crate) fn failed(e: &EngineError) -> Self {
        Self {
            error: Some(e.to_string()),
            ..Default::default()
        }
    }
}

/// The retention preview of one destination of a job.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RetentionPreview {
    pub destination_id: String,
    pub destination: String,
    pub retention: Retention,
    pub summary: String,
    pub decisions: Vec<Decision>,
}

/// A stored backup as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupView {
    pub destination_id: String,
    pub object: String,
    pub job_id: Option<String>,
    pub job_name: Option<String>,
    pub created_at: String,
    pub stored_size: u64,
    pub locked: bool,
    /// S3 Object Lock: the server refuses deletion until then (RFC 3339).
    pub object_lock_until: Option<String>,
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub object_lock_mode: Option<String>,
    pub trigger: Option<String>,
    pub database: Option<String>,
    /// The S3 storage class as last seen; `None` for folders.
    pub storage_class: Option<String>,
    /// For backups in S3 Glacier: whether they need, await or have a restored copy.
    pub glacier: Option<GlacierView>,
    /// `postgres`, `mysql`, `sqlite`, `folder`; `None` for a plain file or stdin.
    pub source_kind: Option<String>,
    /// The database server it came from, e.g. "PostgreSQL 15.18".
    pub engine: Option<String>,
    /// Bytes read from the source (with `stored_size`, the compression ratio).
    pub plain_size: Option<u64>,
    /// `none`, `key` or `passphrase`.
    pub encryption: Option<String>,
    /// The last verify that reached a verdict; `None` when never verified here.
    pub check: Option<BackupCheck>,
}

/// What the last verify of a backup found.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupCheck {
    /// RFC 3339, UTC.
    pub checked_at: String,
    /// `None`: every chunk authentic and the manifest agreed; else what is wrong.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RescanReport {
    pub destination: String,
    /// Backups with a manifest, now in the catalog.
    pub backups: u32,
    /// Job names found in the manifests.
    pub jobs: Vec<String>,
    /// Data objects without a readable manifest (not from any job, or unfinished).
    pub without_manifest: Vec<String>,
}

/// A file on a destination that is not a DBackup backup (no manifest beside it): the
/// explorer shows it, read-only.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OtherFile {
    pub key: String,
    pub size: u64,
    pub modified: Option<String>,
    pub storage_class: Option<String>,
}

/// A backup found on a destination through its manifest.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub object: ObjectKey,
    pub manifest: Manifest,
    pub created_at: Timestamp,
    pub modified: Option<Timestamp>,
    pub stored_size: u64,
    pub storage_class: Option<String>,
}

/// Every backup on `destination` that has a readable manifest, plus the data objects
/// that have none. Fails if the listing or any manifest read fails.
pub(crate) async fn survey(
    destination: &Arc<dyn Destination>,
) -> Result<(Vec<Found>, Vec<ObjectInfo>), EngineError> {
    let listing = destination.list("").await?;
    let data: BTreeMap<String, &ObjectInfo> = listing
        .iter()
        .filter(|o| !o.key.as_str().ends_with(MANIFEST_SUFFIX))
        .map(|o| (o.key.to_string(), o))
        .collect();
    // Owned values only: a stream of futures borrowing from here would make the
    // caller's future not Send for every lifetime, which spawning needs.
    let manifest_keys: Vec<(ObjectKey, ObjectInfo)> = listing
        .iter()
        .filter_map(|o| {
            let data_key = o.key.as_str().strip_suffix(MANIFEST_SUFFIX)?;
            let info = data.get(data_key)?;
            Some((o.key.clone(), (*info).clone()))
        })
        .collect();
    let read: Vec<(ObjectInfo, Option<Manifest>)> = futures::stream::iter(manifest_keys)
        .map(|(key, info)| read_manifest(destination.clone(), key, info))
        .buffer_unordered(MANIFEST_READS)
        .try_collect()
        .await?;
    let mut found = Vec::new();
    let mut described = HashSet::new();
    for (info, manifest) in read {
        let Some(manifest) = manifest else { continue };
        let Ok(created_at) = manifest.created_at.parse::<Timestamp>() else {
            continue;
        };
        described.insert(info.key.to_string());
        found.push(Found {
            object: info.key.clone(),
            created_at,
            modified: info.modified,
            stored_size: info.size,
            storage_class: info.storage_class.clone(),
            manifest,
        });
    }
    let bare = data
        .values()
        .filter(|o| !described.contains(o.key.as_str()))
        .map(|o| (*o).clone())
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.created_at));
    Ok((found, bare))
}

async fn read_manifest(
    destination: Arc<dyn Destination>,
    key: ObjectKey,
    info: ObjectInfo,
) -> Result<(ObjectInfo, Option<Manifest>), EngineError> {
    let bytes = destination.get(&key).await?;
    Ok((info, Manifest::parse(&bytes)))
}

/// Whose backups a series holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    /// This installation: its id in the manifest, or (for backups made before
    /// manifests recorded one) a run this computer remembers storing it.
    This,
    /// Another installation, by id: judged only when adopted.
    Other(String),
    /// Made before manifests recorded an installation, by no run this computer
    /// remembers: judged only when adopted.
    Unrecorded,
}

/// What `adopt` says to judge besides this installation's own backups.
pub const ADOPT_UNRECORDED: &str = "unrecorded";

impl Owner {
    fn adopted(&self, adopt: &[String]) -> bool {
        match self {
            Owner::This => true,
            Owner::Other(id) => adopt.iter().any(|a| {
                let a = a.trim();
                // The full id, or the tag lists and object names show.
                !a.is_empty() && (a == id || crate::installation::name_tag(id) == a)
            }),
            Owner::Unrecorded => adopt.iter().any(|a| a.trim() == ADOPT_UNRECORDED),
        }
    }

    fn label(&self) -> String {
        match self {
            Owner::This => "this computer".into(),
            Owner::Other(id) => crate::installation::label(id),
            Owner::Unrecorded => "a computer not recorded (made by an older DBackup)".into(),
        }
    }
}

/// One series of a job's backups: what retention judges on its own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Series {
    owner: Owner,
    source_kind: Option<String>,
    database: Option<String>,
}

impl Series {
    fn label(&self) -> String {
        let what = match (&self.database, self.source_kind.as_deref()) {
            (Some(db), _) => format!("database {db}"),
            (None, Some(crate::source_run::POSTGRES_GLOBALS)) => "roles and settings".into(),
            (None, Some(kind)) => kind.to_owned(),
            (None, None) => "backups".into(),
        };
        format!("{what}, from {}", self.owner.label())
    }
}

/// A backup of a series, and whether its manifest checks (see `manifest::auth`).
type Judged = (Candidate, bool);

/// The job's backups on a destination, grouped into series.
fn series(
    found: &[Found],
    job_id: &str,
    installation_id: &str,
    made_here: &HashSet<String>,
    trusted: &dyn Fn(&Found) -> bool,
) -> BTreeMap<Series, Vec<Judged>> {
    let mut grouped: BTreeMap<Series, Vec<Judged>> = BTreeMap::new();
    for f in found
        .iter()
        .filter(|f| f.manifest.job_id.as_deref() == Some(job_id))
    {
        if let Some(modified) = f.modified {
            if modified.duration_since(f.created_at).abs() > jiff::SignedDuration::from_hours(1) {
                // A copy or move resets modification times; the manifest is what counts.
                tracing::info!(
                    object = %f.object,
                    created = %f.created_at,
                    modified = %modified,
                    "the object's modification time differs from its creation time by more than an hour; retention uses the creation time"
                );
            }
        }
        let owner = match f.manifest.installation_id.as_deref() {
            Some(id) if id == installation_id => Owner::This,
            Some(id) => Owner::Other(id.to_owned()),
            None if made_here.contains(f.object.as_str()) => Owner::This,
            None => Owner::Unrecorded,
        };
        let key = Series {
            owner,
            source_kind: f.manifest.source_kind.clone(),
            database: f.manifest.database.clone(),
        };
        grouped.entry(key).or_default().push((
            Candidate {
                object: f.object.to_string(),
                created_at: f.created_at,
                locked: f.manifest.locked,
                lock_until: f.manifest.object_lock.map(|l| l.until),
            },
            trusted(f),
        ));
    }
    grouped
}

/// One retention pass over a destination.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetentionPass<'a> {
    pub retention: Retention,
    pub now: Timestamp,
    /// The run it follows, for the deletion records.
    pub run_id: Option<&'a str>,
    pub which: Judge<'a>,
    /// What the run just stored: never deleted, whatever the clock says.
    pub just_stored: &'a [String],
}

/// Which series a retention pass judges.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Judge<'a> {
    /// Every series of this installation, plus the adopted ones.
    All { adopt: &'a [String] },
    /// Only the series a run just added one of these backups to: after a run in which
    /// some databases failed, the others' series are judged and the failed ones'
    /// keep everything they had.
    SeriesOf(&'a [String]),
}

/// The decisions for every series, newest first within each; series not judged keep
/// everything, with the reason.
fn judge(
    grouped: BTreeMap<Series, Vec<Judged>>,
    retention: &Retention,
    which: Judge<'_>,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Vec<Decision> {
    let mut decisions = Vec::new();
    for (series, judged) in grouped {
        let label = series.label();
        // A manifest that does not check keeps its backup and counts for nothing: a
        // forged date or lock must not cost another backup its place either.
        let (candidates, untrusted): (Vec<Judged>, Vec<Judged>) =
            judged.into_iter().partition(|(_, trusted)| *trusted);
        let candidates: Vec<Candidate> = candidates.into_iter().map(|(c, _)| c).collect();
        for (c, _) in &untrusted {
            tracing::warn!(object = %c.object, "a manifest does not check (changed outside DBackup?); retention keeps the backup");
        }
        decisions.extend(untrusted.into_iter().map(|(c, _)| Decision {
            object: c.object,
            series: label.clone(),
            created_at: c.created_at.to_string(),
            keep: true,
            reason: "its manifest does not check (changed outside DBackup, or written by an older one without a record here): kept".into(),
        }));
        let judged = match which {
            Judge::All { adopt } => series.owner.adopted(adopt),
            Judge::SeriesOf(objects) => {
                series.owner == Owner::This
                    && candidates.iter().any(|c| objects.contains(&c.object))
            }
        };
        let mut planned = if judged {
            plan(retention, &candidates, now, tz)
        } else {
            let why = match &series.owner {
                Owner::This => "no new backup of this series in this run; kept".to_owned(),
                Owner::Other(id) => format!(
                    "made by {}; kept (retention judges only this computer's backups unless that computer's are adopted: --adopt {})",
                    crate::installation::label(id),
                    crate::installation::name_tag(id)
                ),
                Owner::Unrecorded => format!(
                    "made before DBackup recorded which computer made a backup; kept (adopt with --adopt {ADOPT_UNRECORDED})"
                ),
            };
            plan(&Retention::None, &candidates, now, tz)
                .into_iter()
                .map(|d| Decision {
                    keep: true,
                    reason: why.clone(),
                    ..d
                })
                .collect()
        };
        for d in &mut planned {
            d.series = label.clone();
        }
        decisions.extend(planned);
    }
    decisions
}

impl Engine {
    /// What retention would keep and delete on each destination of the job, with why.
    /// `rule` replaces the job's own retention for this preview; `adopt` names other
    /// installations (or [`ADOPT_UNRECORDED`]) whose series are judged too.
    pub async fn retention_preview(
        &self,
        job_id: &str,
        only_destination: Option<&str>,
        rule: Option<Retention>,
        adopt: &[String],
        now: Timestamp,
    ) -> Result<Vec<RetentionPreview>, EngineError> {
        let job = self.load_job(job_id)?;
        let mut previews = Vec::new();
        for target in targets(&job, only_destination)? {
            let retention = rule.unwrap_or(target.retention);
            retention.validate()?;
            let (name, destination) = self.open_destination(&target.destination_id)?;
            let (found, _) = survey(&destination).await?;
            let grouped = self.series_of(&found, &job.id, &target.destination_id)?;
            previews.push(RetentionPreview {
                destination_id: target.destination_id.clone(),
                destination: name,
                summary: retention.summary(),
                decisions: judge(
                    grouped,
                    &retention,
                    Judge::All { adopt },
                    now,
                    &self.time_zone,
                ),
                retention,
            });
        }
        Ok(previews)
    }

    /// Applies retention now, on each destination of the job (or one).
    pub async fn apply_retention(
        &self,
        job_id: &str,
        only_destination: Option<&str>,
        rule: Option<Retention>,
        adopt: &[String],
        now: Timestamp,
    ) -> Result<Vec<(String, RetentionReport)>, EngineError> {
        let job = self.load_job(job_id)?;
        let mut reports = Vec::new();
        for target in targets(&job, only_destination)? {
            let retention = rule.unwrap_or(target.retention);
            retention.validate()?;
            let name = self.destination_name(&target.destination_id)?;
            let report = self
                .apply_retention_to(
                    &job,
                    &target.destination_id,
                    RetentionPass {
                        retention,
                        now,
                        run_id: None,
                        which: Judge::All { adopt },
                        just_stored: &[],
                    },
                )
                .await?;
            reports.push((name, report));
        }
        Ok(reports)
    }

    /// The job's backups on a destination in series; the catalog says which backups
    /// without a recorded installation this computer's runs stored.
    fn series_of(
        &self,
        found: &[Found],
        job_id: &str,
        destination_id: &str,
    ) -> Result<BTreeMap<Series, Vec<Judged>>, EngineError> {
        let recorded: HashMap<String, BackupRecord> = self
            .store()
            .list_backups(Some(destination_id), Some(job_id))?
            .into_iter()
            .filter(|b| b.run_id.is_some())
            .map(|b| (b.object.clone(), b))
            .collect();
        let made_here: HashSet<String> = recorded.keys().cloned().collect();
        let installation_key = self.installation_manifest_key().ok();
        // One keyring read per key profile, not per backup.
        let mut profile_keys: HashMap<Option<String>, Option<ManifestKey>> = HashMap::new();
        for f in found.iter().filter(|f| f.manifest.encryption == "key") {
            profile_keys
                .entry(f.manifest.key_id.clone())
                .or_insert_with(|| self.checking_key(&f.manifest));
        }
        let trusted = |f: &Found| -> bool {
            match &f.manifest.auth {
                Some(_) => {
                    let key = if f.manifest.encryption == "key" {
                        profile_keys.get(&f.manifest.key_id).cloned().flatten()
                    } else {
                        installation_key.clone()
                    };
                    key.is_some_and(|k| k.verifies(&f.manifest))
                }
                // Written before manifests were signed: trusted only as this computer's
                // run recorded it (same time, same lock).
                None => recorded
                    .get(f.object.as_str())
                    .is_some_and(|r| r.created_at == f.created_at && r.locked == f.manifest.locked),
            }
        };
        Ok(series(
            found,
            job_id,
            &self.installation_id,
            &made_here,
            &trusted,
        ))
    }

    pub(crate) async fn apply_retention_to(
        &self,
        job: &LoadedJob,
        destination_id: &str,
        pass: RetentionPass<'_>,
    ) -> Result<RetentionReport, EngineError> {
        let (_, destination) = self.open_destination(destination_id)?;
        self.apply_retention_on(job, destination_id, &destination, pass)
            .await
    }

    async fn apply_retention_on(
        &self,
        job: &LoadedJob,
        destination_id: &str,
        destination: &Arc<dyn Destination>,
        pass: RetentionPass<'_>,
    ) -> Result<RetentionReport, EngineError> {
        let RetentionPass {
            retention,
            now,
            run_id,
            which,
            just_stored,
        } = pass;
        let (found, _) = survey(destination).await?;
        let grouped = self.series_of(&found, &job.id, destination_id)?;
        let mut decisions = judge(grouped, &retention, which, now, &self.time_zone);
        // What this run just stored is the newest backup by definition; a clock that
        // went backwards must not make retention delete it.
        for d in decisions.iter_mut() {
            if !d.keep && just_stored.contains(&d.object) {
                tracing::warn!(object = %d.object, "retention would delete the backup just made (is the clock wrong?); kept");
                d.keep = true;
                d.reason = "made by this run".into();
            }
        }
        let mut report = RetentionReport {
            kept: decisions.iter().filter(|d| d.keep).count() as u32,
            ..Default::default()
        };
        let mut failures = Vec::new();
        for decision in decisions.iter().filter(|d| !d.keep) {
            let object = ObjectKey::new(decision.object.clone())?;
            let manifest = Manifest::key_for(&object)?;
            // Data first: a manifest left alone describes nothing and is ignored, while
            // data left without its manifest would look like an unfinished upload.
            let deleted = async {
                destination.delete(&object).await?;
                destination.delete(&manifest).await
            }
            .await;
            if let Err(e) = deleted {
                // One refusal (a lock the server keeps, a denied key) says nothing of the
                // others: go on, and report each that stayed.
                tracing::warn!(job = %job.name, object = %decision.object, "retention could not delete a backup: {e}");
                failures.push(format!("{}: {e}", decision.object));
                report.kept += 1;
                continue;
            }
            let store = self.store();
            store.remove_backup(destination_id, &decision.object)?;
            store.record_deletion(
                run_id,
                destination_id,
                &decision.object,
                &decision.reason,
                now,
            )?;
            drop(store);
            tracing::info!(job = %job.name, object = %decision.object, reason = %decision.reason, "retention deleted a backup");
            report.deleted.push(decision.object.clone());
        }
        if !failures.is_empty() {
            report.error = Some(format!(
                "could not delete {} backup(s), which stay: {}",
                failures.len(),
                failures.join("; ")
            ));
        }
        Ok(report)
    }

    /// Adds what a run stored on a destination to the catalog.
    pub(crate) fn catalog_run_objects(
        &self,
        run_id: &str,
        target: &JobTarget,
        report: &SourceBackupReport,
        now: Timestamp,
    ) {
        let Ok(name) = self.destination_name(&target.destination_id) else {
            return;
        };
        for backup in report.units.iter().filter_map(|u| u.backup.as_ref()) {
            if !backup
                .copies
                .iter()
                .any(|c| c.destination == name && c.stored)
            {
                continue;
            }
            let record = BackupRecord {
                storage_class: self.configured_storage_class(&target.destination_id),
                ..catalog_record(
                    &target.destination_id,
                    &backup.object,
                    &backup.manifest,
                    backup.manifest.stored_size,
                    Some(run_id),
                    now,
                )
            };
            if let Err(e) = self.store().upsert_backup(&record) {
                tracing::warn!(object = %backup.object, "cannot add the backup to the catalog: {e}");
            }
        }
    }

    /// Adds a backup stored outside a job run (`dbackup backup --to SAVED`) to the
    /// catalog, so the explorer and `backup list` show it without a rescan.
    pub fn record_stored_backup(
        &self,
        destination_id: &str,
        manifest: &Manifest,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let record = BackupRecord {
            storage_class: self.configured_storage_class(destination_id),
            ..catalog_record(
                destination_id,
                &manifest.object,
                manifest,
                manifest.stored_size,
                None,
                now,
            )
        };
        Ok(self.store().upsert_backup(&record)?)
    }

    /// The storage class a saved destination writes backups in; `None` for folders.
    fn configured_storage_class(&self, id: &str) -> Option<String> {
        let record = self.store().destination(id).ok()?;
        match record.kind {
            dbackup_store::DestinationKind::Local => None,
            dbackup_store::DestinationKind::S3 => Some(
                record.config["storageClass"]
                    .as_str()
                    .unwrap_or("STANDARD")
                    .to_owned(),
            ),
        }
    }

    /// A saved destination's name, without opening it (no keyring read, no client).
    fn destination_name(&self, id: &str) -> Result<String, EngineError> {
        Ok(self.store().destination(id)?.name)
    }

    /// Locks or unlocks a backup: the lock lives in its manifest, so it survives the
    /// loss of this computer. Retention never deletes a locked backup.
    pub async fn set_backup_lock(
        &self,
        destination: &Arc<dyn Destination>,
        destination_id: Option<&str>,
        object: &ObjectKey,
        locked: bool,
        now: Timestamp,
    ) -> Result<Manifest, EngineError> {
        let manifest = self
            .update_manifest(destination, destination_id, object, now, |m| {
                m.locked = locked
            })
            .await?;
        tracing::info!(%object, locked, "changed a backup's lock");
        Ok(manifest)
    }

    /// Locks or unlocks a backup on a saved destination, named as the catalog lists it.
    pub async fn lock_stored_backup(
        &self,
        destination_id: &str,
        object: &str,
        locked: bool,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let (_, destination) = self.open_destination(destination_id)?;
        let object = ObjectKey::new(object)?;
        self.set_backup_lock(&destination, Some(destination_id), &object, locked, now)
            .await
            .map(|_| ())
    }

    /// Gives a backup S3 Object Lock retention until a date: the server itself then
    /// refuses to delete or overwrite it. Needs a bucket with Object Lock enabled.
    pub async fn set_object_lock(
        &self,
        destination: &Arc<dyn Destination>,
        destination_id: Option<&str>,
        object: &ObjectKey,
        retention: ObjectRetention,
        now: Timestamp,
    ) -> Result<Manifest, EngineError> {
        if retention.until <= now {
            return Err(EngineError::invalid(
                "until",
                "the lock must last until a date in the future",
            ));
        }
        self.manifest_of(destination, object).await?;
        destination.set_retention(object, &retention).await?;
        let manifest = self
            .update_manifest(destination, destination_id, object, now, |m| {
                m.object_lock = Some(retention)
            })
            .await?;
        tracing::info!(%object, until = %retention.until, mode = ?retention.mode, "set an object lock");
        Ok(manifest)
    }

    async fn manifest_of(
        &self,
        destination: &Arc<dyn Destination>,
        object: &ObjectKey,
    ) -> Result<(ObjectKey, Manifest), EngineError> {
        let key = Manifest::key_for(object)?;
        if destination.head(object).await?.is_none() {
            return Err(EngineError::invalid(
                "object",
                format!("there is no backup {object} there; list them with `dbackup backup list`"),
            ));
        }
        let bytes = destination.get(&key).await.map_err(|e| match e {
            dbackup_storage::StorageError::NotFound { .. } => EngineError::invalid(
                "object",
                format!("{object} has no manifest ({key}), so it cannot carry a lock; it is not from a DBackup job"),
            ),
            other => other.into(),
        })?;
        let manifest = Manifest::parse(&bytes).ok_or_else(|| EngineError::Mismatch {
            object: key.to_string(),
            detail: "the manifest is not valid JSON".into(),
        })?;
        Ok((key, manifest))
    }

    /// Rewrites a backup's manifest with `change` applied, and the catalog with it.
    async fn update_manifest(
        &self,
        destination: &Arc<dyn Destination>,
        destination_id: Option<&str>,
        object: &ObjectKey,
        now: Timestamp,
        change: impl FnOnce(&mut Manifest),
    ) -> Result<Manifest, EngineError> {
        let (key, mut manifest) = self.manifest_of(destination, object).await?;
        // Only a manifest that checks is re-signed after the change: signing a forged
        // one would make it look genuine.
        let signer = self
            .checking_key(&manifest)
            .filter(|k| k.verifies(&manifest));
        change(&mut manifest);
        manifest.auth = match signer {
            Some(k) => Some(k.tag(&manifest)?),
            None => None,
        };
        destination
            .put(&key, bytes::Bytes::from(manifest.to_json()?))
            .await?;
        if let Some(id) = destination_id {
            let record = catalog_record(
                id,
                object.as_str(),
                &manifest,
                manifest.stored_size,
                None,
                now,
            );
            self.store().upsert_backup(&record)?;
        }
        Ok(manifest)
    }

    /// Reads every manifest on a saved destination into the catalog, so a new
    /// computer (or a lost state database) sees the backups stored there.
    pub async fn rescan(
        &self,
        destination_id: &str,
        now: Timestamp,
    ) -> Result<RescanReport, EngineError> {
        let (name, destination) = self.open_destination(destination_id)?;
        let (found, bare) = survey(&destination).await?;
        let mut jobs = std::collections::BTreeSet::new();
        {
            let store = self.store();
            for f in &found {
                if let Some(job) = &f.manifest.job_name {
                    jobs.insert(job.clone());
                }
                store.upsert_backup(&BackupRecord {
                    storage_class: f.storage_class.clone(),
                    ..catalog_record(
                        destination_id,
                        f.object.as_str(),
                        &f.manifest,
                        f.stored_size,
                        None,
                        now,
                    )
                })?;
            }
            store.remove_backups_not_seen(destination_id, now)?;
        }
        tracing::info!(destination = %name, backups = found.len(), "rescanned a destination");
        Ok(RescanReport {
            destination: name,
            backups: found.len() as u32,
            jobs: jobs.into_iter().collect(),
            without_manifest: bare.into_iter().map(|o| o.key.to_string()).collect(),
        })
    }

    /// The files on a saved destination that are not backups: no manifest describes
    /// them (another tool's files, or an upload that never finished). One listing, no
    /// reads; sorted by key.
    pub async fn other_files(&self, destination_id: &str) -> Result<Vec<OtherFile>, EngineError> {
        let (_, destination) = self.open_destination(destination_id)?;
        let listing = destination.list("").await?;
        let described: HashSet<&str> = listing
            .iter()
            .filter_map(|o| o.key.as_str().strip_suffix(MANIFEST_SUFFIX))
            .collect();
        Ok(listing
            .iter()
            .filter(|o| {
                let key = o.key.as_str();
                !key.ends_with(MANIFEST_SUFFIX) && !described.contains(key)
            })
            .map(|o| OtherFile {
                key: o.key.to_string(),
                size: o.size,
                modified: o.modified.map(|t| t.to_string()),
                storage_class: o.storage_class.clone(),
            })
            .collect())
    }

    /// The catalog: backups known to be stored, newest first.
    pub fn list_backups(
        &self,
        destination_id: Option<&str>,
        job_id: Option<&str>,
    ) -> Result<Vec<BackupView>, EngineError> {
        let mut glacier = self.glacier_views()?;
        let mut checks: HashMap<(String, String), BackupCheck> = self
            .store()
            .backup_checks(destination_id)?
            .into_iter()
            .map(|c| {
                (
                    (c.destination_id, c.object),
                    BackupCheck {
                        checked_at: c.checked_at.to_string(),
                        problem: c.problem,
                    },
                )
            })
            .collect();
        Ok(self
            .store()
            .list_backups(destination_id, job_id)?
            .into_iter()
            .map(|b| BackupView {
                check: checks.remove(&(b.destination_id.clone(), b.object.clone())),
                source_kind: b.manifest["sourceKind"].as_str().map(str::to_owned),
                engine: engine_label(&b.manifest),
                plain_size: b.manifest["plainSize"].as_u64(),
                encryption: b.manifest["encryption"].as_str().map(str::to_owned),
                trigger: b.manifest["trigger"].as_str().map(str::to_owned),
                object_lock_until: b.manifest["objectLock"]["until"]
                    .as_str()
                    .map(str::to_owned),
                object_lock_mode: b.manifest["objectLock"]["mode"].as_str().map(str::to_owned),
                database: b.manifest["database"].as_str().map(str::to_owned),
                glacier: glacier
                    .remove(&(b.destination_id.clone(), b.object.clone()))
                    .or_else(|| view_without_restore(b.storage_class.as_deref())),
                storage_class: b.storage_class,
                destination_id: b.destination_id,
                object: b.object,
                job_id: b.job_id,
                job_name: b.job_name,
                created_at: b.created_at.to_string(),
                stored_size: b.stored_size,
                locked: b.locked,
            })
            .collect())
    }
}

/// "PostgreSQL 15.18" from a manifest's engine and version, either of which may be missing.
fn engine_label(manifest: &serde_json::Value) -> Option<String> {
    let engine = manifest["dbEngine"].as_str().filter(|e| !e.is_empty());
    // "15.18 (Debian 15.18-0+deb12u1)": the number is what a column has room for.
    let version = manifest["dbVersion"]
        .as_str()
        .and_then(|v| v.split_whitespace().next());
    match (engine, version) {
        (Some(e), Some(v)) => Some(format!("{e} {v}")),
        (Some(e), None) => Some(e.to_owned()),
        (None, Some(v)) => Some(v.to_owned()),
        (None, None) => None,
    }
}

impl Engine {
    /// Records what a verify found, for the explorer's integrity column. Only verdicts
    /// count: intact, or damaged (with the problem). A backup not in the catalog is
    /// left alone.
    pub fn record_check(
        &self,
        destination_id: &str,
        object: &str,
        failure: Option<&EngineError>,
        now: Timestamp,
    ) {
        let problem = match failure {
            None => None,
            Some(e) if e.code() == crate::ErrorCode::Corrupt => Some(e.to_string()),
            Some(_) => return,
        };
        if let Err(e) =
            self.store()
                .record_backup_check(destination_id, object, now, problem.as_deref())
        {
            tracing::warn!(object, "cannot record the verify result: {e}");
        }
    }
}

/// The catalog row of a backup, from its manifest; `now` stands in for an unreadable
/// creation time and is when it was seen.
fn catalog_record(
    destination_id: &str,
    object: &str,
    manifest: &Manifest,
    stored_size: u64,
    run_id: Option<&str>,
    now: Timestamp,
) -> BackupRecord {
    BackupRecord {
        destination_id: destination_id.to_owned(),
        object: object.to_owned(),
        job_id: manifest.job_id.clone(),
        job_name: manifest.job_name.clone(),
        run_id: run_id.map(str::to_owned),
        created_at: manifest.created_at.parse().unwrap_or(now),
        stored_size,
        locked: manifest.locked,
        manifest: serde_json::to_value(manifest).unwrap_or_default(),
        seen_at: now,
        storage_class: None,
    }
}

fn targets<'a>(job: &'a LoadedJob, only: Option<&str>) -> Result<Vec<&'a JobTarget>, EngineError> {
    let chosen: Vec<&JobTarget> = job
        .targets
        .iter()
        .filter(|t| only.is_none_or(|d| d == t.destination_id))
        .collect();
    if chosen.is_empty() {
        return Err(EngineError::invalid(
            "destination",
            format!("the job {} does not store to that destination", job.name),
        ));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests;

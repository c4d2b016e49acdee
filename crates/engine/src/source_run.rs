//! Backing up a saved source and restoring into one. A source may make several
//! archives in one run (every database of a server, plus its globals); each goes
//! through the same pipeline to every destination, and one failing does not stop
//! the others.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use dbackup_archive::{ArchiveMetadata, WriterSettings};
use dbackup_sources::mysql::Mysql;
use dbackup_sources::postgres::Postgres;
use dbackup_sources::{RestoreOptions, SourceError};
use dbackup_storage::{Destination, ObjectKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::backup::{
    free_object_name, run_backup, BackupPlan, BackupReport, BackupStatus, NamedDestination,
};
use crate::restore::{restore_into, restore_to_file, ReadReport, SharedKeys, Trust};
use crate::sources::{OpenSource, SourceKind, SourceSettings};
use crate::transfer::progress::ProgressReporter;
use crate::{EngineError, ErrorCode};

/// The source kind recorded for a PostgreSQL server's roles and tablespaces.
pub(crate) const POSTGRES_GLOBALS: &str = "postgres-globals";

#[derive(Debug, Clone)]
pub struct SourceBackupPlan {
    pub job_name: String,
    pub job_id: Option<String>,
    /// Compression and encryption; the metadata is filled in per archive.
    pub settings: WriterSettings,
    pub destinations: Vec<NamedDestination>,
    pub trigger: String,
    /// The installation making it (recorded in manifests and object names).
    pub installation_id: Option<String>,
    /// Signs the manifests (see `manifest::auth`).
    pub manifest_key: Option<crate::manifest::auth::ManifestKey>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FailureView {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitOutcome {
    /// The database (or `globals`, or the file or folder name).
    pub unit: String,
    pub backup: Option<BackupReport>,
    pub error: Option<FailureView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceBackupReport {
    pub source: String,
    pub status: BackupStatus,
    pub units: Vec<UnitOutcome>,
}

/// One archive of a run.
#[derive(Debug, Clone)]
enum Unit {
    PgDatabase(String),
    PgGlobals,
    MysqlDatabase(String),
    Sqlite(PathBuf),
    Folder,
}

impl Unit {
    fn label(&self) -> String {
        match self {
            Unit::PgDatabase(db) | Unit::MysqlDatabase(db) => db.clone(),
            Unit::PgGlobals => "globals".into(),
            Unit::Sqlite(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "database".into()),
            Unit::Folder => "folder".into(),
        }
    }

    fn source_kind(&self) -> &'static str {
        match self {
            Unit::PgDatabase(_) => SourceKind::Postgres.as_str(),
            Unit::PgGlobals => POSTGRES_GLOBALS,
            Unit::MysqlDatabase(_) => SourceKind::Mysql.as_str(),
            Unit::Sqlite(_) => SourceKind::Sqlite.as_str(),
            Unit::Folder => SourceKind::Folder.as_str(),
        }
    }

    fn database(&self) -> Option<String> {
        match self {
            Unit::PgDatabase(db) | Unit::MysqlDatabase(db) => Some(db.clone()),
            _ => None,
        }
    }
}

/// What a run covers, and the engine and version to record.
struct Survey {
    units: Vec<Unit>,
    engine: Option<String>,
    version: Option<String>,
}

fn survey(source: &OpenSource) -> Result<Survey, EngineError> {
    match &source.settings {
        SourceSettings::Postgres(c) => {
            let pg = source.postgres(c)?;
            let (version, _) = pg.server_version()?;
            let mut units: Vec<Unit> = Vec::new();
            if c.database.is_none() {
                units.push(Unit::PgGlobals);
            }
            units.extend(pg.databases()?.into_iter().map(Unit::PgDatabase));
            Ok(Survey {
                units,
                engine: Some("PostgreSQL".into()),
                version: Some(version),
            })
        }
        SourceSettings::Mysql(c) => {
            let my = source.mysql(c)?;
            let (version, engine) = my.server_version()?;
            Ok(Survey {
                units: my
                    .databases()?
                    .into_iter()
                    .map(Unit::MysqlDatabase)
                    .collect(),
                engine: Some(engine),
                version: Some(version),
            })
        }
        SourceSettings::Sqlite(c) => Ok(Survey {
            units: vec![Unit::Sqlite(c.path.clone())],
            engine: Some("SQLite".into()),
            version: Some(dbackup_sources::sqlite::check(&c.path)?),
        }),
        SourceSettings::Folder(_) => Ok(Survey {
            units: vec![Unit::Folder],
            engine: None,
            version: None,
        }),
    }
}

/// An SQLite snapshot being read; the temporary copy goes when the reading ends.
struct Snapshot {
    file: std::fs::File,
    _dir: tempfile::TempDir,
}

impl Read for Snapshot {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read(buf)
    }
}

type Input = (Box<dyn Read + Send>, Option<u64>);

fn open_input(source: &OpenSource, unit: &Unit) -> Result<Input, EngineError> {
    match (&source.settings, unit) {
        (SourceSettings::Postgres(c), Unit::PgDatabase(db)) => {
            Ok((Box::new(source.postgres(c)?.dump(db)?), None))
        }
        (SourceSettings::Postgres(c), Unit::PgGlobals) => {
            Ok((Box::new(source.postgres(c)?.dump_globals()?), None))
        }
        (SourceSettings::Mysql(c), Unit::MysqlDatabase(db)) => {
            Ok((Box::new(source.mysql(c)?.dump(db)?), None))
        }
        (SourceSettings::Sqlite(_), Unit::Sqlite(path)) => {
            // The online backup API needs a database to copy into; it is a copy of
            // the database, not of the backup, and is removed as soon as it is read.
            let dir = tempfile::Builder::new()
                .prefix("dbackup-sqlite-")
                .tempdir()
                .map_err(|e| EngineError::SourceFailed {
                    detail: format!("cannot create a temporary folder for the snapshot: {e}"),
                })?;
            let copy = dir.path().join("snapshot.sqlite");
            dbackup_sources::sqlite::snapshot(path, &copy)?;
            let file = std::fs::File::open(&copy).map_err(|e| EngineError::SourceFailed {
                detail: format!("cannot read the snapshot: {e}"),
            })?;
            let size = file.metadata().ok().map(|m| m.len());
            Ok((Box::new(Snapshot { file, _dir: dir }), size))
        }
        (SourceSettings::Folder(c), Unit::Folder) => {
            let stream = dbackup_sources::folder::open_tar_stream(c)?;
            Ok((Box::new(stream), None))
        }
        _ => Err(EngineError::Internal {
            detail: format!("unit {unit:?} does not belong to this source"),
        }),
    }
}

/// `<job>/<job>_<UTC yyyy-MM-ddTHH-mm-ssZ>[_<unit>][_<installation tag>].dbk`: readable,
/// sorting by time, and never the same for two computers backing up the same job.
pub fn object_name(
    job: &str,
    unit: Option<&str>,
    installation_id: Option<&str>,
    now: Timestamp,
) -> Result<ObjectKey, EngineError> {
    let job = job_folder(job)?;
    let stamp = now.strftime("%Y-%m-%dT%H-%M-%SZ");
    let mut name = format!("{job}/{job}_{stamp}");
    if let Some(unit) = unit.and_then(safe_segment) {
        name.push('_');
        name.push_str(&unit);
    }
    if let Some(tag) = installation_id
        .map(crate::installation::name_tag)
        .filter(|t| !t.is_empty())
    {
        name.push('_');
        name.push_str(&tag);
    }
    name.push_str(".dbk");
    Ok(ObjectKey::new(name)?)
}

/// The folder a job's backups go in: two jobs whose names map to the same folder would
/// share it, so job names are checked against it.
pub fn job_folder(job: &str) -> Result<String, EngineError> {
    safe_segment(job).ok_or_else(|| {
        EngineError::invalid("name", "give the backup a name with letters or digits")
    })
}

fn safe_segment(text: &str) -> Option<String> {
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_matches(['.', '-']);
    (!safe.is_empty()).then(|| safe.to_owned())
}

/// Backs up every unit of `source`. A unit that fails is reported and the others go
/// on; cancelling stops the run.
pub async fn backup_source(
    source: Arc<OpenSource>,
    plan: SourceBackupPlan,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<SourceBackupReport, EngineError> {
    let surveyed = {
        let source = source.clone();
        tokio::task::spawn_blocking(move || survey(&source))
            .await
            .map_err(join_error)??
    };
    let several = surveyed.units.len() > 1;
    let mut outcomes = Vec::new();
    for unit in &surveyed.units {
        let label = unit.label();
        let result = backup_unit(&source, unit, &plan, several, &surveyed, progress, cancel).await;
        match result {
            Err(EngineError::Cancelled) => return Err(EngineError::Cancelled),
            Ok(report) => outcomes.push(UnitOutcome {
                unit: label,
                backup: Some(report),
                error: None,
            }),
            Err(e) => {
                tracing::warn!(source = %source.name, unit = %label, "backup failed: {e}");
                outcomes.push(UnitOutcome {
                    unit: label,
                    backup: None,
                    error: Some(FailureView {
                        code: e.code(),
                        message: e.to_string(),
                    }),
                });
            }
        }
    }
    let succeeded = outcomes
        .iter()
        .filter(|o| o.backup.as_ref().map(|b| b.status) == Some(BackupStatus::Success))
        .count();
    // The status follows what was stored: a unit whose every copy failed stored
    // nothing, even though its archive was produced.
    let stored_any = outcomes
        .iter()
        .any(|o| o.backup.as_ref().is_some_and(BackupReport::stored_anywhere));
    let status = if outcomes.is_empty() || !stored_any {
        BackupStatus::Failed
    } else if succeeded == outcomes.len() {
        BackupStatus::Success
    } else {
        BackupStatus::Partial
    };
    Ok(SourceBackupReport {
        source: source.name.clone(),
        status,
        units: outcomes,
    })
}

async fn backup_unit(
    source: &Arc<OpenSource>,
    unit: &Unit,
    plan: &SourceBackupPlan,
    several: bool,
    surveyed: &Survey,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<BackupReport, EngineError> {
    let (input, size) = {
        let source = source.clone();
        let unit = unit.clone();
        tokio::task::spawn_blocking(move || open_input(&source, &unit))
            .await
            .map_err(join_error)??
    };
    let mut metadata = ArchiveMetadata::new(plan.now);
    metadata.job_name = Some(plan.job_name.clone());
    metadata.job_id = plan.job_id.clone();
    metadata.source_kind = Some(unit.source_kind().into());
    metadata.db_engine = surveyed.engine.clone();
    metadata.db_version = surveyed.version.clone();
    metadata.database = unit.database();
    let mut settings = plan.settings.clone();
    settings.metadata = metadata;
    let label = unit.label();
    let object = object_name(
        &plan.job_name,
        several.then_some(label.as_str()),
        plan.installation_id.as_deref(),
        plan.now,
    )?;
    let object = free_object_name(&plan.destinations, object).await?;
    run_backup(
        input,
        BackupPlan {
            object,
            settings,
            destinations: plan.destinations.clone(),
            trigger: plan.trigger.clone(),
            installation_id: plan.installation_id.clone(),
            manifest_key: plan.manifest_key.clone(),
            size_hint: size.map(|t| t + t / 1024 + 65536),
        },
        progress,
        cancel,
    )
    .await
}

fn join_error(join: tokio::task::JoinError) -> EngineError {
    EngineError::Internal {
        detail: format!("a background task failed: {join}"),
    }
}

/// Where a restore goes. Unset fields take the backup's own values.
#[derive(Debug, Clone, Default)]
pub struct RestoreInto {
    /// The database to restore into (default: the one the backup came from).
    pub database: Option<String>,
    /// SQLite: the database file; folders: the directory.
    pub path: Option<PathBuf>,
    /// PostgreSQL: drop the backup's objects before recreating them.
    pub clean: bool,
    /// Confirmed: the target may hold data already.
    pub overwrite: bool,
    /// Afterwards, count the rows of every table.
    pub count_rows: bool,
    /// What is accepted from the destination (unencrypted only when chosen).
    pub trust: Trust,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRestoreReport {
    pub read: ReadReport,
    /// What was restored into, e.g. "database shop on db:5432".
    pub target: String,
    /// Messages from the restore tool that did not stop it.
    pub warnings: Vec<String>,
    /// Rows per table after the restore, when asked for.
    pub row_counts: Option<BTreeMap<String, u64>>,
}

/// Restores a backup of a database (or folder) into `source`'s server (or a path).
pub async fn restore_to_source(
    destination: Arc<dyn Destination>,
    object: &ObjectKey,
    keys: SharedKeys,
    source: Arc<OpenSource>,
    into: RestoreInto,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<SourceRestoreReport, EngineError> {
    let info = crate::inspect::inspect(destination.clone(), object).await?;
    // Before any restore tool starts (some create the target database first).
    into.trust.check(&info.object, &info.encryption)?;
    let kind = info.source_kind.clone().unwrap_or_default();
    let expected = match &source.settings {
        SourceSettings::Postgres(_) => &["postgres", POSTGRES_GLOBALS][..],
        SourceSettings::Mysql(_) => &["mysql"][..],
        SourceSettings::Sqlite(_) => &["sqlite"][..],
        SourceSettings::Folder(_) => &["folder"][..],
    };
    if !expected.contains(&kind.as_str()) {
        return Err(EngineError::invalid(
            "source",
            format!(
                "{object} is a backup of a {} source, and {} is a {} source; choose a matching source",
                if kind.is_empty() { "file" } else { kind.as_str() },
                source.name,
                source.settings.kind().as_str()
            ),
        ));
    }
    let database = into.database.clone().or(info.database.clone());
    let options = RestoreOptions {
        clean: into.clean,
        overwrite: into.overwrite,
    };
    let need_database = || {
        database.clone().ok_or_else(|| {
            EngineError::invalid(
                "database",
                "the backup does not name its database; choose one",
            )
        })
    };
    let (read, target, warnings) = match &source.settings {
        SourceSettings::Postgres(c) if kind == POSTGRES_GLOBALS => {
            let pg = source.postgres(c)?;
            let target = format!("the roles of {}:{}", c.host, c.port);
            let (read, warnings) = restore_into(
                destination,
                object,
                keys,
                into.trust.clone(),
                move |input| Ok(pg.restore_globals(input)?),
                progress,
                cancel,
            )
            .await?;
            (read, target, warnings)
        }
        SourceSettings::Mysql(_) => {
            // The client applies a dump statement by statement (dropping each table as
            // it recreates it), so a damaged backup found at the end would leave the
            // database half replaced: the whole dump is authenticated into a private
            // staging file first, and only then applied.
            let server = DatabaseServer::of(&source)?;
            let db = need_database()?;
            let target = format!("database {db} on {}", server.address());
            let staging = tempfile::Builder::new()
                .prefix("dbackup-restore-")
                .tempdir()
                .map_err(|e| EngineError::RestoreTarget {
                    kind: e.kind(),
                    detail: format!(
                        "cannot create a staging folder in {}: {e}",
                        std::env::temp_dir().display()
                    ),
                })?;
            let dump = staging.path().join("dump.sql");
            let read = restore_to_file(
                destination,
                object,
                keys,
                into.trust.clone(),
                &dump,
                false,
                progress,
                cancel,
            )
            .await?;
            tokio::task::spawn_blocking(move || {
                let mut file =
                    std::fs::File::open(&dump).map_err(|e| EngineError::RestoreTarget {
                        kind: e.kind(),
                        detail: format!("cannot read the staged dump {}: {e}", dump.display()),
                    })?;
                server.restore(&db, &mut file, options)?;
                drop(staging);
                Ok::<_, EngineError>(())
            })
            .await
            .map_err(join_error)??;
            (read, target, Vec::new())
        }
        // pg_restore runs in one transaction (--single-transaction): a failure at any
        // point, a damaged backup included, rolls everything back.
        SourceSettings::Postgres(_) => {
            let server = DatabaseServer::of(&source)?;
            let db = need_database()?;
            let target = format!("database {db} on {}", server.address());
            let (read, ()) = restore_into(
                destination,
                object,
                keys,
                into.trust.clone(),
                move |input| Ok(server.restore(&db, input, options)?),
                progress,
                cancel,
            )
            .await?;
            (read, target, Vec::new())
        }
        SourceSettings::Sqlite(c) => {
            let path = into.path.clone().unwrap_or_else(|| c.path.clone());
            if path.exists() && !into.overwrite {
                return Err(dbackup_sources::SourceError::TargetExists { target: path }.into());
            }
            // The whole copy is authenticated and checked in a private folder beside
            // the target before SQLite applies it (see sqlite::restore).
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let staging = tempfile::Builder::new()
                .prefix(".dbackup-restore-")
                .tempdir_in(dir)
                .map_err(|e| EngineError::RestoreTarget {
                    kind: e.kind(),
                    detail: format!("cannot create a staging folder in {}: {e}", dir.display()),
                })?;
            let copy = staging.path().join("restored.sqlite");
            let read = restore_to_file(
                destination,
                object,
                keys,
                into.trust.clone(),
                &copy,
                false,
                progress,
                cancel,
            )
            .await?;
            let target = path.clone();
            let overwrite = into.overwrite;
            tokio::task::spawn_blocking(move || {
                dbackup_sources::sqlite::restore(&copy, &target, overwrite)
            })
            .await
            .map_err(join_error)??;
            drop(staging);
            (read, path.display().to_string(), Vec::new())
        }
        SourceSettings::Folder(c) => {
            let dir = into.path.clone().unwrap_or_else(|| c.root.clone());
            let target = dir.display().to_string();
            let folder_options = dbackup_sources::folder::RestoreOptions {
                overwrite: options.overwrite,
            };
            let (read, summary) = restore_into(
                destination,
                object,
                keys,
                into.trust.clone(),
                move |input| {
                    Ok(dbackup_sources::folder::restore_tar(
                        input,
                        &dir,
                        folder_options,
                    )?)
                },
                progress,
                cancel,
            )
            .await?;
            let note = format!(
                "{} files, {} folders, {} symlinks, {} bytes",
                summary.files, summary.directories, summary.symlinks, summary.bytes
            );
            (read, target, vec![note])
        }
    };
    let row_counts = if into.count_rows && kind != POSTGRES_GLOBALS {
        let source = source.clone();
        let db = database.clone();
        tokio::task::spawn_blocking(move || count_rows(&source, db.as_deref()))
            .await
            .map_err(join_error)??
    } else {
        None
    };
    Ok(SourceRestoreReport {
        read,
        target,
        warnings,
        row_counts,
    })
}

/// Rows per table in `database` of the source's server (None for files and folders).
pub fn count_rows(
    source: &OpenSource,
    database: Option<&str>,
) -> Result<Option<BTreeMap<String, u64>>, EngineError> {
    match (database, &source.settings) {
        (Some(db), SourceSettings::Postgres(_) | SourceSettings::Mysql(_)) => {
            Ok(Some(DatabaseServer::of(source)?.row_counts(db)?))
        }
        _ => Ok(None),
    }
}

/// The database servers, where their restores and checks work alike.
enum DatabaseServer {
    Postgres(Postgres),
    Mysql(Mysql),
}

impl DatabaseServer {
    fn of(source: &OpenSource) -> Result<DatabaseServer, EngineError> {
        match &source.settings {
            SourceSettings::Postgres(c) => Ok(DatabaseServer::Postgres(source.postgres(c)?)),
            SourceSettings::Mysql(c) => Ok(DatabaseServer::Mysql(source.mysql(c)?)),
            other => Err(EngineError::Internal {
                detail: format!("{:?} is not a database server", other.kind()),
            }),
        }
    }

    fn address(&self) -> String {
        match self {
            DatabaseServer::Postgres(pg) => format!("{}:{}", pg.config().host, pg.config().port),
            DatabaseServer::Mysql(my) => format!("{}:{}", my.config().host, my.config().port),
        }
    }

    fn restore(
        &self,
        database: &str,
        input: &mut dyn Read,
        options: RestoreOptions,
    ) -> Result<(), SourceError> {
        match self {
            DatabaseServer::Postgres(pg) => pg.restore(database, input, options),
            DatabaseServer::Mysql(my) => my.restore(database, input, options),
        }
    }

    fn row_counts(&self, database: &str) -> Result<BTreeMap<String, u64>, SourceError> {
        match self {
            DatabaseServer::Postgres(pg) => pg.row_counts(database),
            DatabaseServer::Mysql(my) => my.row_counts(database),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_sort_by_time_and_name_the_unit_and_the_installation() {
        let now: Timestamp = "2026-12-01T22:05:09Z".parse().unwrap();
        assert_eq!(
            object_name("Orders DB", None, None, now)
                .unwrap()
                .to_string(),
            "Orders-DB/Orders-DB_2026-12-01T22-05-09Z.dbk"
        );
        assert_eq!(
            object_name("pg", Some("shop/x"), None, now)
                .unwrap()
                .to_string(),
            "pg/pg_2026-12-01T22-05-09Z_shop-x.dbk"
        );
        // Two computers running the same job in the same second write two names.
        let one = object_name("pg", Some("shop"), Some("0a1b2c3d4e5f"), now).unwrap();
        let two = object_name("pg", Some("shop"), Some("f9e8d7c6b5a4"), now).unwrap();
        assert_eq!(
            one.to_string(),
            "pg/pg_2026-12-01T22-05-09Z_shop_0a1b2c3d.dbk"
        );
        assert_ne!(one, two);
        assert!(object_name("///", None, None, now).is_err());
    }
}

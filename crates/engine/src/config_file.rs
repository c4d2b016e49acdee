//! The configuration as a portable file, without a single secret: destinations,
//! sources, jobs, which encryption keys they use (by key id only) and the window's
//! preferences. Moving to another computer is export here, import there, then typing
//! the secrets the import report names and importing the keys' recovery kits.
//!
//! Import never changes what is already here: an item whose name is taken is left
//! alone (so importing the same file twice is harmless), and a job whose encryption
//! key is missing is not imported until the key is (import the file again after the
//! recovery kit).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use dbackup_store::{NewDestination, NewSource as NewSourceRecord, RecordKind};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::app_settings::AppSettings;
use crate::destinations::validate_name;
use crate::jobs::{CompressionChoice, JobInput, JobTarget};
use crate::retention::Retention;
use crate::s3_destination::{CredentialSource, S3DestinationConfig};
use crate::schedule::{CatchUp, Schedule};
use crate::{Engine, EngineError, SourceSettings};

/// The first field of every configuration file.
pub const FORMAT: &str = "dbackup-config";
/// Raised when the file's meaning changes; older versions stay readable.
pub const VERSION: u32 = 1;
/// Far above any real configuration: a bigger file is not one.
const MAX_FILE_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFile {
    pub format: String,
    pub version: u32,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub app_version: String,
    #[serde(default)]
    pub settings: Option<AppSettings>,
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    #[serde(default)]
    pub destinations: Vec<RecordEntry>,
    #[serde(default)]
    pub sources: Vec<RecordEntry>,
    #[serde(default)]
    pub jobs: Vec<JobEntry>,
}

/// An encryption key a job uses, by the id that identifies it without revealing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyEntry {
    pub name: String,
    pub key_id: String,
}

/// A destination or source: its kind and stored settings, never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordEntry {
    pub name: String,
    pub kind: String,
    pub config: serde_json::Value,
    /// Whether it had a secret (a secret access key, a database password) that must be
    /// typed again after importing.
    #[serde(default)]
    pub has_secret: bool,
}

/// A job, naming its source, destinations and key instead of this computer's ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobEntry {
    /// Kept on import when free: backups carry it, so the job still owns them.
    pub id: String,
    pub name: String,
    pub source: String,
    pub targets: Vec<TargetEntry>,
    pub schedule: Schedule,
    #[serde(default)]
    pub catch_up: CatchUp,
    pub compression: CompressionChoice,
    pub level: i32,
    /// `None`: the job stores its backups unencrypted.
    pub encryption_key_id: Option<String>,
    pub notify_on_failure: bool,
    pub notify_on_success: bool,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetEntry {
    pub destination: String,
    #[serde(default)]
    pub retention: Retention,
}

/// What an import did, or would do, with each item of the file.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// False for a preview: nothing was changed.
    pub applied: bool,
    pub items: Vec<ImportItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportItem {
    pub what: ImportedKind,
    pub name: String,
    pub outcome: ImportOutcome,
    /// What the user should know or do about it.
    pub detail: Option<String>,
    /// What deserves a second look before the job is resumed, in words: a source
    /// of this computer sent to a destination from the file, a job that does not
    /// encrypt, a plain-HTTP or custom endpoint, a tools folder dropped. A shared
    /// file can start sending data elsewhere; imported jobs start paused for this.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportedKind {
    Settings,
    Key,
    Destination,
    Source,
    Job,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    Added,
    /// Added, but it needs a secret typed (or a key imported) before it works.
    NeedsSecret,
    /// One with this name is already here and was left as it is.
    Exists,
    /// Not imported; `detail` says why.
    Skipped,
}

impl ImportItem {
    fn new(what: ImportedKind, name: &str, outcome: ImportOutcome, detail: Option<String>) -> Self {
        Self {
            what,
            name: name.to_owned(),
            outcome,
            detail,
            warnings: Vec::new(),
        }
    }

    fn warning(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }
}

fn key_of(name: &str) -> String {
    name.to_lowercase()
}

impl Engine {
    /// The configuration as it is now, ready to write to a file.
    pub fn export_config(&self, now: Timestamp) -> Result<ConfigFile, EngineError> {
        let (destinations, sources, profiles) = {
            let store = self.store();
            (
                store.list_destinations()?,
                store.list_sources()?,
                store.list_key_profiles()?,
            )
        };
        let destination_names: HashMap<&str, &str> = destinations
            .iter()
            .map(|d| (d.id.as_str(), d.name.as_str()))
            .collect();
        let source_names: HashMap<&str, &str> = sources
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str()))
            .collect();
        let key_ids: HashMap<&str, &str> = profiles
            .iter()
            .map(|p| (p.id.as_str(), p.key_id.as_str()))
            .collect();

        let mut jobs = Vec::new();
        let mut used_keys = Vec::new();
        for job in self.load_jobs()? {
            let name_of = |names: &HashMap<&str, &str>, id: &str| {
                names
                    .get(id)
                    .map(|n| (*n).to_owned())
                    .ok_or_else(|| EngineError::Internal {
                        detail: format!("job {:?} refers to a missing record {id}", job.name),
                    })
            };
            let encryption_key_id = match &job.key_profile_id {
                Some(profile) => {
                    used_keys.push(profile.clone());
                    Some(name_of(&key_ids, profile)?)
                }
                None => None,
            };
            jobs.push(JobEntry {
                source: name_of(&source_names, &job.source_id)?,
                targets: job
                    .targets
                    .iter()
                    .map(|t| {
                        Ok(TargetEntry {
                            destination: name_of(&destination_names, &t.destination_id)?,
                            retention: t.retention,
                        })
                    })
                    .collect::<Result<_, EngineError>>()?,
                encryption_key_id,
                id: job.id,
                name: job.name,
                schedule: job.schedule,
                catch_up: job.catch_up,
                compression: job.compression,
                level: job.level,
                notify_on_failure: job.notify_on_failure,
                notify_on_success: job.notify_on_success,
                enabled: job.enabled,
            });
        }

        let destinations = destinations
            .iter()
            .map(|d| RecordEntry {
                name: d.name.clone(),
                kind: d.kind.as_str().to_owned(),
                has_secret: crate::destinations::has_secret(d),
                config: d.config.clone(),
            })
            .collect();
        let sources = sources
            .iter()
            .map(|s| RecordEntry {
                name: s.name.clone(),
                kind: s.kind.as_str().to_owned(),
                has_secret: self.source_has_password(&s.id),
                config: s.config.clone(),
            })
            .collect();
        tracing::info!("exported the configuration");
        Ok(ConfigFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            exported_at: now.to_string(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            settings: Some(self.app_settings()?),
            keys: profiles
                .iter()
                .filter(|p| used_keys.contains(&p.id))
                .map(|p| KeyEntry {
                    name: p.name.clone(),
                    key_id: p.key_id.clone(),
                })
                .collect(),
            destinations,
            sources,
            jobs,
        })
    }

    /// Writes the configuration to a new private file and returns its path. Without
    /// `path`, a new file in the home folder.
    pub fn save_config_export(
        &self,
        path: Option<PathBuf>,
        now: Timestamp,
    ) -> Result<PathBuf, EngineError> {
        let day = now.to_zoned(self.time_zone().clone()).date();
        let path =
            crate::keys::new_file_path(path, &format!("DBackup configuration {day}"), "json")?;
        let file = self.export_config(now)?;
        let text = serde_json::to_string_pretty(&file).map_err(|e| EngineError::Internal {
            detail: format!("cannot encode the configuration: {e}"),
        })?;
        // Not secret, but it names servers, buckets and access key ids: only the user's.
        crate::keys::write_private(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Reads a configuration file and imports it; with `apply` false, only says what
    /// importing would do.
    pub fn import_config_file(
        &self,
        path: &Path,
        apply: bool,
        now: Timestamp,
    ) -> Result<ImportReport, EngineError> {
        let file = read_config_file(path)?;
        self.import_config(&file, apply, now)
    }

    pub fn import_config(
        &self,
        file: &ConfigFile,
        apply: bool,
        now: Timestamp,
    ) -> Result<ImportReport, EngineError> {
        check_header(file)?;
        let mut plan = ImportPlan::new(self)?;
        let mut items = Vec::new();

        if let Some(settings) = &file.settings {
            items.push(plan.settings(settings, apply)?);
        }
        for key in &file.keys {
            items.push(plan.key(key));
        }
        for entry in &file.destinations {
            items.push(plan.destination(entry, apply, now)?);
        }
        for entry in &file.sources {
            items.push(plan.source(entry, apply, now)?);
        }
        for entry in &file.jobs {
            items.push(plan.job(entry, apply, now)?);
        }
        if apply {
            tracing::info!(items = items.len(), "imported a configuration file");
        }
        Ok(ImportReport {
            applied: apply,
            items,
        })
    }

    fn source_has_password(&self, source_id: &str) -> bool {
        // A keyring that cannot answer now: assume there is one, so the import report
        // asks for it rather than leaving a source silently without its password.
        !matches!(self.stored_password(source_id), Ok(None))
    }
}

fn read_config_file(path: &Path) -> Result<ConfigFile, EngineError> {
    let invalid = |problem: String| EngineError::invalid("file", problem);
    let meta = std::fs::metadata(path)
        .map_err(|e| invalid(format!("cannot open {}: {e}", path.display())))?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return Err(invalid(format!(
            "{} is not a DBackup configuration file; choose the .json file that Export configuration wrote",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "{} is not a DBackup configuration file (not JSON: {e})",
            path.display()
        ))
    })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(invalid(format!(
            "{} is not a DBackup configuration file; choose the .json file that Export configuration wrote",
            path.display()
        )));
    }
    let file: ConfigFile = serde_json::from_value(value).map_err(|e| {
        invalid(format!(
            "{} is a damaged DBackup configuration file: {e}",
            path.display()
        ))
    })?;
    check_header(&file)?;
    Ok(file)
}

fn check_header(file: &ConfigFile) -> Result<(), EngineError> {
    if file.format != FORMAT {
        return Err(EngineError::invalid(
            "file",
            "this is not a DBackup configuration file",
        ));
    }
    if file.version > VERSION {
        return Err(EngineError::Newer {
            what: "this configuration file".into(),
            found: file.version,
            supported: VERSION,
        });
    }
    if file.version == 0 {
        return Err(EngineError::invalid(
            "file",
            "this configuration file has version 0, which no DBackup writes: it is damaged",
        ));
    }
    Ok(())
}

/// What is here and what the import added so far, by lowercased name; ids of items
/// a preview would add are placeholders.
struct ImportPlan<'e> {
    engine: &'e Engine,
    destinations: HashMap<String, Planned>,
    sources: HashMap<String, Planned>,
    jobs: HashSet<String>,
    job_ids: Vec<String>,
    /// Key id -> profile id.
    keys: HashMap<String, String>,
}

struct Planned {
    id: String,
    /// Added by this import without its secret: jobs using it start paused.
    needs_secret: bool,
    /// Added by this import (not here before it).
    imported: bool,
}

impl<'e> ImportPlan<'e> {
    fn new(engine: &'e Engine) -> Result<Self, EngineError> {
        // A destination already here may still lack its secret (an earlier import).
        let destinations = engine
            .list_destinations()?
            .into_iter()
            .map(|d| {
                let planned = Planned {
                    id: d.id,
                    needs_secret: d.secret_missing,
                    imported: false,
                };
                (key_of(&d.name), planned)
            })
            .collect();
        let store = engine.store();
        let here = |id: String| Planned {
            id,
            needs_secret: false,
            imported: false,
        };
        let jobs = store.list_jobs()?;
        Ok(Self {
            destinations,
            sources: store
                .list_sources()?
                .into_iter()
                .map(|s| (key_of(&s.name), here(s.id)))
                .collect(),
            jobs: jobs.iter().map(|j| key_of(&j.name)).collect(),
            job_ids: jobs.into_iter().map(|j| j.id).collect(),
            keys: store
                .list_key_profiles()?
                .into_iter()
                .map(|p| (p.key_id, p.id))
                .collect(),
            engine,
        })
    }

    fn settings(&mut self, imported: &AppSettings, apply: bool) -> Result<ImportItem, EngineError> {
        // Starting at login belongs to this computer's desktop, not to the configuration.
        let current = self.engine.app_settings()?;
        let wanted = AppSettings {
            start_at_login: current.start_at_login,
            ..imported.clone()
        };
        if apply {
            self.engine.set_app_settings(&wanted)?;
        }
        Ok(ImportItem::new(
            ImportedKind::Settings,
            "Preferences",
            ImportOutcome::Added,
            Some("theme, notifications, close to tray and history; start at login stays as set on this computer".into()),
        ))
    }

    fn key(&self, key: &KeyEntry) -> ImportItem {
        if self.keys.contains_key(&key.key_id) {
            ImportItem::new(
                ImportedKind::Key,
                &key.name,
                ImportOutcome::Exists,
                Some(format!("this computer has the key {}", key.key_id)),
            )
        } else {
            ImportItem::new(
                ImportedKind::Key,
                &key.name,
                ImportOutcome::NeedsSecret,
                Some(format!(
                    "import the recovery kit of the key {} (Settings, Encryption keys), then import this file again to add the jobs that use it",
                    key.key_id
                )),
            )
        }
    }

    fn destination(
        &mut self,
        entry: &RecordEntry,
        apply: bool,
        now: Timestamp,
    ) -> Result<ImportItem, EngineError> {
        let what = ImportedKind::Destination;
        let name = match free_name(what, &entry.name, |n| self.destinations.contains_key(n)) {
            Ok(n) => n,
            Err(item) => return Ok(item),
        };
        let skipped =
            |reason: String| ImportItem::new(what, &name, ImportOutcome::Skipped, Some(reason));
        let mut warnings = Vec::new();
        let (kind, needs_secret, mut notes) = match entry.kind.as_str() {
            "local" => match local_folder_notes(&entry.config) {
                Ok(notes) => (dbackup_store::DestinationKind::Local, false, notes),
                Err(reason) => return Ok(skipped(reason)),
            },
            "s3" => match check_s3_config(&entry.config) {
                Ok(config) => {
                    warnings.extend(endpoint_warning(config.endpoint.as_deref()));
                    (
                        dbackup_store::DestinationKind::S3,
                        config.credentials == CredentialSource::AccessKey,
                        Vec::new(),
                    )
                }
                Err(reason) => return Ok(skipped(reason)),
            },
            other => return Ok(skipped(format!("unknown destination kind {other:?}"))),
        };
        if needs_secret {
            notes.insert(
                0,
                format!(
                    "type its secret access key (in the window: Destinations, Edit; on the command line: dbackup destination set-secret {name:?})"
                ),
            );
        }
        let id = uuid::Uuid::new_v4().to_string();
        if apply {
            self.engine.store().insert_destination(
                &NewDestination {
                    id: id.clone(),
                    name: name.clone(),
                    kind,
                    config: entry.config.clone(),
                },
                now,
            )?;
        }
        self.destinations.insert(
            key_of(&name),
            Planned {
                id,
                needs_secret,
                imported: true,
            },
        );
        Ok(added(what, &name, needs_secret, notes).warning(warnings))
    }

    fn source(
        &mut self,
        entry: &RecordEntry,
        apply: bool,
        now: Timestamp,
    ) -> Result<ImportItem, EngineError> {
        let what = ImportedKind::Source;
        let name = match free_name(what, &entry.name, |n| self.sources.contains_key(n)) {
            Ok(n) => n,
            Err(item) => return Ok(item),
        };
        let skipped =
            |reason: String| ImportItem::new(what, &name, ImportOutcome::Skipped, Some(reason));
        let Some(kind) = dbackup_store::SourceKind::parse(&entry.kind) else {
            return Ok(skipped(format!("unknown source kind {:?}", entry.kind)));
        };
        // A tools folder from a file would run whatever programs it holds, handed the
        // database password: dropped, the tools found on this computer run instead.
        let mut config = entry.config.clone();
        let mut warnings = Vec::new();
        if let Some(tools) = config
            .as_object_mut()
            .and_then(|c| c.remove("toolsDir"))
            .filter(|t| !t.is_null())
        {
            warnings.push(format!(
                "its tools folder {tools} was dropped: the dump tools installed on this computer are used (set a tools folder again on Sources, Edit, if you trust it)"
            ));
        }
        let settings = match SourceSettings::from_config(kind, &config) {
            Ok(s) => s,
            Err(e) => return Ok(skipped(format!("its settings are damaged: {e}"))),
        };
        let mut notes = Vec::new();
        let needs_secret = entry.has_secret && settings.takes_password();
        if needs_secret {
            notes.push(format!(
                "type its password (in the window: Sources, Edit; on the command line: dbackup source set-password {name:?} --password-env VAR)"
            ));
        }
        // Checked, not refused: a file or server missing here may be set up later.
        if let Err(e) = settings.validate() {
            notes.push(format!("check it before the first backup: {e}"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        if apply {
            self.engine.store().insert_source(
                &NewSourceRecord {
                    id: id.clone(),
                    name: name.clone(),
                    kind,
                    config,
                },
                now,
            )?;
        }
        self.sources.insert(
            key_of(&name),
            Planned {
                id,
                needs_secret,
                imported: true,
            },
        );
        Ok(added(what, &name, needs_secret, notes).warning(warnings))
    }

    fn job(
        &mut self,
        entry: &JobEntry,
        apply: bool,
        now: Timestamp,
    ) -> Result<ImportItem, EngineError> {
        let what = ImportedKind::Job;
        let name = match free_name(what, &entry.name, |n| self.jobs.contains(n)) {
            Ok(n) => n,
            Err(item) => return Ok(item),
        };
        let skipped =
            |reason: String| ImportItem::new(what, &name, ImportOutcome::Skipped, Some(reason));
        let Some(source) = self.sources.get(&key_of(&entry.source)) else {
            return Ok(skipped(format!(
                "its source {:?} is neither here nor in the file",
                entry.source
            )));
        };
        let mut waits_for_secret = source.needs_secret;
        let mut warnings = Vec::new();
        let mut targets = Vec::new();
        for target in &entry.targets {
            let Some(destination) = self.destinations.get(&key_of(&target.destination)) else {
                return Ok(skipped(format!(
                    "its destination {:?} is neither here nor in the file",
                    target.destination
                )));
            };
            if !source.imported && destination.imported {
                warnings.push(format!(
                    "it sends {:?}, a source that was already on this computer, to {:?}, a destination this file adds",
                    entry.source, target.destination
                ));
            }
            waits_for_secret |= destination.needs_secret;
            targets.push(JobTarget {
                destination_id: destination.id.clone(),
                retention: target.retention,
            });
        }
        let key_profile_id = match &entry.encryption_key_id {
            Some(key_id) => match self.keys.get(key_id) {
                Some(profile) => Some(profile.clone()),
                None => {
                    return Ok(skipped(format!(
                        "its backups are encrypted with the key {key_id}, which this computer does not have: import that key's recovery kit (Settings, Encryption keys), then import this file again"
                    )))
                }
            },
            None => None,
        };
        let input = JobInput {
            name: name.clone(),
            source_id: source.id.clone(),
            targets,
            schedule: entry.schedule.clone(),
            catch_up: entry.catch_up,
            compression: entry.compression,
            level: entry.level,
            key_profile_id,
            notify_on_failure: entry.notify_on_failure,
            notify_on_success: entry.notify_on_success,
            // Paused, whatever the file says: a shared file must not start sending
            // data anywhere before the user has looked at where it goes.
            enabled: false,
        };
        if input.key_profile_id.is_none() {
            warnings.push(
                "its backups are not encrypted: anyone who can read the destination can read them"
                    .to_owned(),
            );
        }
        if let Err(e) = input.validate_fields() {
            return Ok(skipped(e.to_string()));
        }
        let id = if uuid::Uuid::parse_str(&entry.id).is_ok() && !self.job_ids.contains(&entry.id) {
            entry.id.clone()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        if apply {
            self.engine.create_job_with_id(&id, input, now)?;
        }
        self.jobs.insert(key_of(&name));
        self.job_ids.push(id);
        let notes = match (entry.enabled, waits_for_secret) {
            (true, true) => vec![
                "imported paused: type its secrets, check where it sends what, then resume it on the Jobs screen"
                    .to_owned(),
            ],
            (true, false) => vec![
                "imported paused: check where it sends what, then resume it on the Jobs screen"
                    .to_owned(),
            ],
            (false, _) => Vec::new(),
        };
        Ok(added(what, &name, false, notes).warning(warnings))
    }
}

/// The entry's name when it can be added (valid, and not taken here); otherwise what to
/// report instead.
fn free_name(
    what: ImportedKind,
    name: &str,
    taken: impl Fn(&str) -> bool,
) -> Result<String, ImportItem> {
    let valid = validate_name(name)
        .map_err(|e| ImportItem::new(what, name, ImportOutcome::Skipped, Some(e.to_string())))?;
    if taken(&key_of(&valid)) {
        let noun = match what {
            ImportedKind::Destination => "destination",
            ImportedKind::Source => "source",
            _ => "job",
        };
        return Err(ImportItem::new(
            what,
            &valid,
            ImportOutcome::Exists,
            Some(format!(
                "a {noun} with this name is already here; it was left as it is"
            )),
        ));
    }
    Ok(valid)
}

fn added(what: ImportedKind, name: &str, needs_secret: bool, notes: Vec<String>) -> ImportItem {
    let outcome = if needs_secret {
        ImportOutcome::NeedsSecret
    } else {
        ImportOutcome::Added
    };
    let detail = (!notes.is_empty()).then(|| notes.join("; "));
    ImportItem::new(what, name, outcome, detail)
}

/// A local folder's config: its path must be absolute; a folder missing on this
/// computer is imported with a note (a NAS may not be mounted yet).
fn local_folder_notes(config: &serde_json::Value) -> Result<Vec<String>, String> {
    let path = config["path"]
        .as_str()
        .filter(|p| Path::new(p).is_absolute())
        .ok_or("its folder is not a full path")?;
    Ok(if Path::new(path).is_dir() {
        Vec::new()
    } else {
        vec![format!(
            "the folder {path} does not exist on this computer: create or mount it before the first backup"
        )]
    })
}

/// What an imported S3 destination's endpoint deserves to be told: plain HTTP to
/// anything but this computer or a private network, or any custom server.
fn endpoint_warning(endpoint: Option<&str>) -> Option<String> {
    let endpoint = endpoint?.trim();
    if endpoint.is_empty() {
        return None;
    }
    if let Some(rest) = endpoint.strip_prefix("http://") {
        let host = crate::s3_destination::endpoint_host(rest);
        let local = crate::s3_destination::is_local_or_private(&host);
        return Some(if local {
            format!("it sends backups over plain HTTP to {endpoint}, on this computer or a private network: readable and changeable on the way")
        } else {
            format!("it sends backups over plain HTTP to {endpoint}: anyone on the network path can read and change them")
        });
    }
    Some(format!(
        "it sends backups to the custom server {endpoint}: check that it is one you know"
    ))
}

fn check_s3_config(config: &serde_json::Value) -> Result<S3DestinationConfig, String> {
    let parsed: S3DestinationConfig = serde_json::from_value(config.clone())
        .map_err(|e| format!("its settings are damaged: {e}"))?;
    crate::s3_destination::validate_bucket(&parsed.bucket).map_err(|e| e.to_string())?;
    let prefix =
        crate::s3_destination::normalize_prefix(&parsed.prefix).map_err(|e| e.to_string())?;
    if prefix != parsed.prefix {
        return Err(format!(
            "its path prefix {:?} is not in the stored form {prefix:?}",
            parsed.prefix
        ));
    }
    Ok(parsed)
}

//! Jobs: a source, the destinations it goes to (each with its retention), a schedule,
//! compression, encryption and notifications. Stored in the state database; the
//! encryption key stays in the keyring, referenced by its profile.

use std::collections::HashMap;

use dbackup_store::{JobDestination, JobRecord, NewJob};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::destinations::validate_name;
use crate::retention::Retention;
use crate::runs::RunView;
use crate::schedule::{next_times, CatchUp, Schedule};
use crate::{Engine, EngineError};

/// Upper bound of zstd levels offered (higher ones need far more memory).
const MAX_ZSTD_LEVEL: i32 = 19;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CompressionChoice {
    #[default]
    Zstd,
    /// For inputs that are already compressed.
    None,
}

/// What a job stores in its config column. No secret: a key profile is named by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobConfig {
    schedule: Schedule,
    #[serde(default)]
    catch_up: CatchUp,
    compression: CompressionChoice,
    level: i32,
    /// `None`: stored unencrypted (the app shows a warning).
    key_profile_id: Option<String>,
    #[serde(default = "yes")]
    notify_on_failure: bool,
    #[serde(default)]
    notify_on_success: bool,
}

fn yes() -> bool {
    true
}

/// A destination of a job, as the UI edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobTarget {
    pub destination_id: String,
    #[serde(default)]
    pub retention: Retention,
}

/// A job as created or edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobInput {
    pub name: String,
    pub source_id: String,
    pub targets: Vec<JobTarget>,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub catch_up: CatchUp,
    #[serde(default)]
    pub compression: CompressionChoice,
    #[serde(default = "default_level")]
    pub level: i32,
    /// A key profile's id; `None` stores backups unencrypted.
    pub key_profile_id: Option<String>,
    #[serde(default = "yes")]
    pub notify_on_failure: bool,
    #[serde(default)]
    pub notify_on_success: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_level() -> i32 {
    3
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobTargetView {
    pub destination_id: String,
    pub destination_name: String,
    pub retention: Retention,
    pub retention_summary: String,
}

/// A job as lists and details show it. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: String,
    pub name: String,
    pub source_id: String,
    pub source_name: String,
    pub targets: Vec<JobTargetView>,
    pub schedule: Schedule,
    pub schedule_summary: String,
    /// The next scheduled times (RFC 3339 with the local offset), at most five.
    pub next_runs: Vec<String>,
    pub catch_up: CatchUp,
    pub compression: CompressionChoice,
    pub level: i32,
    pub key_profile_id: Option<String>,
    /// The key profile's name, or `None` when backups are not encrypted.
    pub key_profile_name: Option<String>,
    pub notify_on_failure: bool,
    pub notify_on_success: bool,
    pub enabled: bool,
    pub last_run: Option<RunView>,
    pub running: bool,
}

impl JobConfig {
    fn from_record(record: &JobRecord) -> Result<Self, EngineError> {
        serde_json::from_value(record.config.clone()).map_err(|e| {
            EngineError::Store(dbackup_store::StoreError::Corrupt {
                what: "job",
                id: record.id.clone(),
                reason: e.to_string(),
            })
        })
    }
}

/// A job loaded for running or scheduling.
#[derive(Debug, Clone)]
pub struct LoadedJob {
    pub id: String,
    pub name: String,
    pub source_id: String,
    pub targets: Vec<JobTarget>,
    pub schedule: Schedule,
    pub catch_up: CatchUp,
    pub compression: CompressionChoice,
    pub level: i32,
    pub key_profile_id: Option<String>,
    pub notify_on_failure: bool,
    pub notify_on_success: bool,
    pub enabled: bool,
    pub schedule_checked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl LoadedJob {
    fn from_record(record: JobRecord) -> Result<Self, EngineError> {
        let config = JobConfig::from_record(&record)?;
        let targets = record
            .destinations
            .iter()
            .map(|d| {
                Ok(JobTarget {
                    destination_id: d.destination_id.clone(),
                    retention: serde_json::from_value(d.retention.clone()).map_err(|e| {
                        EngineError::Store(dbackup_store::StoreError::Corrupt {
                            what: "job",
                            id: record.id.clone(),
                            reason: e.to_string(),
                        })
                    })?,
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(Self {
            id: record.id,
            name: record.name,
            source_id: record.source_id,
            targets,
            schedule: config.schedule,
            catch_up: config.catch_up,
            compression: config.compression,
            level: config.level,
            key_profile_id: config.key_profile_id,
            notify_on_failure: config.notify_on_failure,
            notify_on_success: config.notify_on_success,
            enabled: record.enabled,
            schedule_checked_at: record.schedule_checked_at,
            created_at: record.created_at,
        })
    }
}

impl JobInput {
    /// What can be checked without the state database; returns the trimmed name.
    pub(crate) fn validate_fields(&self) -> Result<String, EngineError> {
        let input = self;
        let name = validate_name(&input.name)?;
        if input.targets.is_empty() {
            return Err(EngineError::invalid(
                "targets",
                "choose at least one destination",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for target in &input.targets {
            if !seen.insert(target.destination_id.as_str()) {
                return Err(EngineError::invalid(
                    "targets",
                    "a destination is listed twice; list each once",
                ));
            }
            target.retention.validate()?;
        }
        input.schedule.compile()?;
        if input.compression == CompressionChoice::Zstd
            && !(1..=MAX_ZSTD_LEVEL).contains(&input.level)
        {
            return Err(EngineError::invalid(
                "level",
                format!("choose a zstd level from 1 (fastest) to {MAX_ZSTD_LEVEL}"),
            ));
        }
        Ok(name)
    }
}

impl Engine {
    fn validate_job(&self, input: &JobInput, id: &str) -> Result<NewJob, EngineError> {
        let name = input.validate_fields()?;
        // Backups go in a folder named after the job: two jobs whose names make the
        // same folder ("Orders DB", "Orders-DB") would share it, and their backups of
        // one second would share a name.
        // Compared without case: a local folder on macOS or Windows ignores it.
        let folder = crate::source_run::job_folder(&name)?;
        let same = |other: &str| {
            crate::source_run::job_folder(other)
                .is_ok_and(|f| f.to_lowercase() == folder.to_lowercase())
        };
        let store = self.store();
        if let Some(other) = store
            .list_jobs()?
            .into_iter()
            .find(|j| j.id != id && same(&j.name))
        {
            return Err(EngineError::invalid(
                "name",
                format!(
                    "the job {:?} already keeps its backups in the folder {folder:?}, which this name would share; choose a name that differs in letters or digits",
                    other.name
                ),
            ));
        }
        // The source, destinations and key must exist now, not fail at 2 a.m.
        store.source(&input.source_id)?;
        for target in &input.targets {
            store.destination(&target.destination_id)?;
        }
        drop(store);
        if let Some(profile) = &input.key_profile_id {
            self.find_key_profile(profile)?;
        }
        let config = JobConfig {
            schedule: input.schedule.clone(),
            catch_up: input.catch_up,
            compression: input.compression,
            level: input.level,
            key_profile_id: input.key_profile_id.clone(),
            notify_on_failure: input.notify_on_failure,
            notify_on_success: input.notify_on_success,
        };
        Ok(NewJob {
            id: id.to_owned(),
            name,
            source_id: input.source_id.clone(),
            config: serde_json::to_value(&config).map_err(|e| EngineError::Internal {
                detail: format!("cannot encode a job: {e}"),
            })?,
            enabled: input.enabled,
            destinations: input
                .targets
                .iter()
                .map(|t| {
                    Ok(JobDestination {
                        destination_id: t.destination_id.clone(),
                        retention: serde_json::to_value(t.retention).map_err(|e| {
                            EngineError::Internal {
                                detail: format!("cannot encode a retention: {e}"),
                            }
                        })?,
                    })
                })
                .collect::<Result<Vec<_>, EngineError>>()?,
        })
    }

    pub fn create_job(&self, input: JobInput, now: Timestamp) -> Result<JobView, EngineError> {
        self.create_job_with_id(&uuid::Uuid::new_v4().to_string(), input, now)
    }

    /// Creates a job under a given id: an imported job keeps its id, so the backups it
    /// made elsewhere (their manifests carry the id) stay its own, for retention too.
    pub(crate) fn create_job_with_id(
        &self,
        id: &str,
        input: JobInput,
        now: Timestamp,
    ) -> Result<JobView, EngineError> {
        let job = self.validate_job(&input, id)?;
        let record = self.store().insert_job(&job, now)?;
        tracing::info!(id = %record.id, name = %record.name, "created a job");
        self.job_view(&record.id, now)
    }

    /// Changes a job. Its id stays, so its backups (which carry the id) stay its own
    /// after a rename.
    pub fn update_job(
        &self,
        id: &str,
        input: JobInput,
        now: Timestamp,
    ) -> Result<JobView, EngineError> {
        let job = self.validate_job(&input, id)?;
        self.store().update_job(&job, now)?;
        tracing::info!(id, name = %job.name, "updated a job");
        self.job_view(id, now)
    }

    /// Removes the job; its backups and its history stay.
    pub fn remove_job(&self, id: &str) -> Result<(), EngineError> {
        self.store().delete_job(id)?;
        tracing::info!(id, "removed a job");
        Ok(())
    }

    pub fn set_job_enabled(
        &self,
        id: &str,
        enabled: bool,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        self.store().set_job_enabled(id, enabled, now)?;
        tracing::info!(id, enabled, "paused or resumed a job");
        Ok(())
    }

    /// Pauses or resumes every schedule at once (jobs keep their own setting).
    pub fn set_all_paused(&self, paused: bool) -> Result<(), EngineError> {
        self.store()
            .set_setting(PAUSED_ALL, &serde_json::Value::Bool(paused))?;
        tracing::info!(paused, "paused or resumed all schedules");
        Ok(())
    }

    pub fn all_paused(&self) -> Result<bool, EngineError> {
        Ok(self
            .store()
            .setting(PAUSED_ALL)?
            .and_then(|v| v.as_bool())
            .unwrap_or(false))
    }

    pub(crate) fn load_job(&self, id: &str) -> Result<LoadedJob, EngineError> {
        LoadedJob::from_record(self.store().job(id)?)
    }

    pub(crate) fn load_jobs(&self) -> Result<Vec<LoadedJob>, EngineError> {
        self.store()
            .list_jobs()?
            .into_iter()
            .map(LoadedJob::from_record)
            .collect()
    }

    /// Accepts an id or a (case-insensitive) name.
    pub fn find_job(&self, wanted: &str) -> Result<String, EngineError> {
        let jobs = self.store().list_jobs()?;
        jobs.iter()
            .find(|j| j.id == wanted)
            .or_else(|| jobs.iter().find(|j| j.name.eq_ignore_ascii_case(wanted)))
            .map(|j| j.id.clone())
            .ok_or_else(|| {
                EngineError::invalid(
                    "job",
                    format!("no job with the id or name {wanted:?}; `dbackup job list` shows them"),
                )
            })
    }

    pub fn list_jobs(&self, now: Timestamp) -> Result<Vec<JobView>, EngineError> {
        let ids: Vec<String> = self
            .store()
            .list_jobs()?
            .into_iter()
            .map(|j| j.id)
            .collect();
        ids.iter().map(|id| self.job_view(id, now)).collect()
    }

    pub fn job_view(&self, id: &str, now: Timestamp) -> Result<JobView, EngineError> {
        let job = self.load_job(id)?;
        let (source_name, destination_names, profile_names) = {
            let store = self.store();
            let source_name = store.source(&job.source_id)?.name;
            let destinations: HashMap<String, String> = store
                .list_destinations()?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            let profiles: HashMap<String, String> = store
                .list_key_profiles()?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect();
            (source_name, destinations, profiles)
        };
        let next_runs = next_run_strings(&job.schedule, now, &self.time_zone)?;
        let last_run = self.last_run(id)?;
        let running = self.running_run(id)?.is_some();
        Ok(JobView {
            targets: job
                .targets
                .iter()
                .map(|t| JobTargetView {
                    destination_id: t.destination_id.clone(),
                    destination_name: destination_names
                        .get(&t.destination_id)
                        .cloned()
                        .unwrap_or_default(),
                    retention: t.retention,
                    retention_summary: t.retention.summary(),
                })
                .collect(),
            schedule_summary: job.schedule.describe(),
            key_profile_name: job
                .key_profile_id
                .as_ref()
                .and_then(|p| profile_names.get(p).cloned()),
            id: job.id,
            name: job.name,
            source_id: job.source_id,
            source_name,
            schedule: job.schedule,
            next_runs,
            catch_up: job.catch_up,
            compression: job.compression,
            level: job.level,
            key_profile_id: job.key_profile_id,
            notify_on_failure: job.notify_on_failure,
            notify_on_success: job.notify_on_success,
            enabled: job.enabled,
            last_run,
            running,
        })
    }
}

const PAUSED_ALL: &str = "schedules.paused";

/// A schedule in words with its next run times, for the job form.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SchedulePreview {
    pub summary: String,
    /// RFC 3339 with the local offset; empty for manual jobs.
    pub next_runs: Vec<String>,
}

fn next_run_strings(
    schedule: &Schedule,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<String>, EngineError> {
    Ok(match schedule.compile()? {
        Some(cron) => next_times(&cron, now, tz, 5)
            .iter()
            .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
            .collect(),
        None => Vec::new(),
    })
}

impl Engine {
    pub fn schedule_preview(
        &self,
        schedule: &Schedule,
        now: Timestamp,
    ) -> Result<SchedulePreview, EngineError> {
        Ok(SchedulePreview {
            next_runs: next_run_strings(schedule, now, &self.time_zone)?,
            summary: schedule.describe(),
        })
    }
}

//! Running a job and remembering it: one run row per attempt, claimed so that a job
//! never runs twice at once (across the app, the daemon and the CLI), finished with
//! per-destination outcomes, and marked interrupted if its process died.
//!
//! A running run is owned by the process holding an exclusive lock on
//! `<data dir>/runs/<run id>.lock`. The OS drops the lock when the process dies,
//! however it dies, which is how a later start tells a dead run from a live one.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dbackup_archive::{ArchiveMetadata, Compression, EncryptionSetting, WriterSettings};
use dbackup_store::{RunEnd, RunQuery, RunRecord};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::backup::{BackupStatus, NamedDestination};
use crate::catalog::RetentionReport;
use crate::jobs::{CompressionChoice, LoadedJob};
use crate::source_run::{backup_source, FailureView, SourceBackupPlan, SourceBackupReport};
use crate::transfer::progress::ProgressReporter;
use crate::{Engine, EngineError, ErrorCode};

/// How often a running run looks for a cancel request from another process.
const CANCEL_POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    Manual,
    CatchUp,
    Cli,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::CatchUp => "catch_up",
            Trigger::Cli => "cli",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "schedule" => Trigger::Schedule,
            "catch_up" => Trigger::CatchUp,
            "cli" => Trigger::Cli,
            _ => Trigger::Manual,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Success,
    /// Stored on some destinations (or some databases), not all.
    Partial,
    Failed,
    Cancelled,
    /// Not started: the previous run was still going, or missed times were skipped.
    Skipped,
    /// Its process ended while it ran (killed, crashed, computer off).
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Skipped => "skipped",
            RunStatus::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "running" => RunStatus::Running,
            "success" => RunStatus::Success,
            "partial" => RunStatus::Partial,
            "cancelled" => RunStatus::Cancelled,
            "skipped" => RunStatus::Skipped,
            "interrupted" => RunStatus::Interrupted,
            _ => RunStatus::Failed,
        }
    }
}

/// What happened on one destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DestinationOutcome {
    pub destination_id: String,
    pub destination: String,
    /// Every archive of the run was stored there.
    pub stored: bool,
    pub objects: Vec<String>,
    pub errors: Vec<String>,
    /// Retention after the run; `None` when off or skipped (a failed upload).
    pub retention: Option<RetentionReport>,
    /// Incomplete uploads an interrupted run of this job had left there, aborted
    /// before this run; `None` when there were none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swept: Option<dbackup_storage::AbortedUploads>,
}

/// The stored outcome of a run (the `outcome` column).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub destinations: Vec<DestinationOutcome>,
    /// Archives that failed before reaching any destination (e.g. a dump error).
    pub unit_errors: Vec<FailureView>,
}

/// A run as the history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: String,
    pub job_id: Option<String>,
    pub job_name: String,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_seconds: Option<f64>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// bytes_in / bytes_out, when both are known.
    pub ratio: Option<f64>,
    pub outcome: RunOutcome,
    pub error: Option<FailureView>,
}

impl RunView {
    fn from_record(r: RunRecord) -> Self {
        let duration_seconds = r
            .finished_at
            .map(|f| f.duration_since(r.started_at).as_secs_f64());
        Self {
            ratio: (r.bytes_out > 0).then(|| r.bytes_in as f64 / r.bytes_out as f64),
            outcome: serde_json::from_value(r.outcome).unwrap_or_default(),
            error: match (r.error_code, r.error_message) {
                (Some(code), Some(message)) => Some(FailureView {
                    code: serde_json::from_value(serde_json::Value::String(code))
                        .unwrap_or(ErrorCode::Internal),
                    message,
                }),
                _ => None,
            },
            trigger: Trigger::parse(&r.trigger),
            status: RunStatus::parse(&r.status),
            started_at: r.started_at.to_string(),
            finished_at: r.finished_at.map(|t| t.to_string()),
            duration_seconds,
            id: r.id,
            job_id: r.job_id,
            job_name: r.job_name,
            bytes_in: r.bytes_in,
            bytes_out: r.bytes_out,
        }
    }
}

/// A page of the history.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub runs: Vec<RunView>,
    /// Pass back as `before` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Owning a running run: the lock file, released (and removed) on drop.
pub(crate) struct RunClaim {
    path: PathBuf,
    _file: File,
}

impl Drop for RunClaim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The end of a run, before it is written.
struct Ending {
    status: RunStatus,
    bytes_in: u64,
    bytes_out: u64,
    outcome: RunOutcome,
    error: Option<FailureView>,
}

impl Engine {
    fn runs_dir(&self) -> PathBuf {
        self.paths.data_dir().join("runs")
    }

    pub(crate) fn claim_run(&self, run_id: &str) -> Result<RunClaim, EngineError> {
        let dir = self.runs_dir();
        let io = |e: std::io::Error| EngineError::Internal {
            detail: format!("cannot create the run lock in {}: {e}", dir.display()),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let path = dir.join(format!("{run_id}.lock"));
        let file = File::create(&path).map_err(io)?;
        file.try_lock().map_err(|e| EngineError::Internal {
            detail: format!("cannot lock {}: {e}", path.display()),
        })?;
        Ok(RunClaim { path, _file: file })
    }

    /// Marks runs whose process is gone as interrupted. Safe to call from every
    /// process at any time: a live run's lock cannot be taken.
    pub fn recover_interrupted_runs(&self, now: Timestamp) -> Result<usize, EngineError> {
        let running = self.store().running_runs()?;
        let mut recovered = 0;
        for run in running {
            let path = self.runs_dir().join(format!("{}.lock", run.id));
            // The claim file is created and locked before the row exists, so a missing
            // file means its owner finished or died.
            let alive = match File::open(&path) {
                Ok(file) => match file.try_lock() {
                    Ok(()) => false,
                    Err(std::fs::TryLockError::WouldBlock) => true,
                    Err(std::fs::TryLockError::Error(_)) => true,
                },
                Err(_) => false,
            };
            if alive {
                continue;
            }
            let end = RunEnd {
                status: RunStatus::Interrupted.as_str(),
                finished_at: now,
                bytes_in: run.bytes_in,
                bytes_out: run.bytes_out,
                outcome: run.outcome.clone(),
                error_code: Some("interrupted".into()),
                error_message: Some(
                    "DBackup stopped while this backup ran (the process ended or the computer shut down). Nothing of it looks like a backup; what it had uploaded is removed when the job runs next. Run the job again".into(),
                ),
            };
            if self.store().finish_run(&run.id, &end)? {
                recovered += 1;
                tracing::warn!(run = %run.id, job = %run.job_name, "marked an interrupted run");
            }
            let _ = std::fs::remove_file(&path);
        }
        Ok(recovered)
    }

    /// A page of the history, newest first; `before` is a previous page's `next`.
    pub fn history(
        &self,
        job_id: Option<&str>,
        before: Option<&str>,
        limit: u32,
    ) -> Result<HistoryPage, EngineError> {
        let before = match before {
            Some(id) => {
                let run = self.store().run(id)?;
                Some((run.started_at, run.id))
            }
            None => None,
        };
        let limit = limit.clamp(1, 500);
        let runs = self.store().list_runs(&RunQuery {
            job_id: job_id.map(str::to_owned),
            before,
            limit,
        })?;
        let next = (runs.len() == limit as usize)
            .then(|| runs.last().map(|r| r.id.clone()))
            .flatten();
        Ok(HistoryPage {
            runs: runs.into_iter().map(RunView::from_record).collect(),
            next,
        })
    }

    pub fn run_view(&self, id: &str) -> Result<RunView, EngineError> {
        Ok(RunView::from_record(self.store().run(id)?))
    }

    pub(crate) fn last_run(&self, job_id: &str) -> Result<Option<RunView>, EngineError> {
        Ok(self
            .store()
            .last_finished_run(job_id)?
            .map(RunView::from_record))
    }

    pub(crate) fn running_run(&self, job_id: &str) -> Result<Option<RunView>, EngineError> {
        Ok(self
            .store()
            .running_runs()?
            .into_iter()
            .find(|r| r.job_id.as_deref() == Some(job_id))
            .map(RunView::from_record))
    }

    /// Asks the process running the job to cancel it. Returns the run, or an error
    /// when the job is not running.
    pub fn cancel_job(&self, job_id: &str) -> Result<RunView, EngineError> {
        let run = self.running_run(job_id)?.ok_or_else(|| {
            EngineError::invalid("job", "this job is not running; there is nothing to cancel")
        })?;
        self.store().request_cancel(&run.id)?;
        tracing::info!(run = %run.id, "cancel requested");
        Ok(run)
    }

    /// Removes runs older than the kept history (a setting, in days).
    pub fn prune_history(&self, now: Timestamp) -> Result<usize, EngineError> {
        let days = self.history_days()?;
        let cutoff = now - jiff::SignedDuration::from_hours(24 * i64::from(days));
        let removed = self.store().prune_runs(cutoff)?;
        if removed > 0 {
            tracing::info!(removed, days, "pruned old history");
        }
        Ok(removed)
    }

    pub fn history_days(&self) -> Result<u32, EngineError> {
        Ok(self
            .store()
            .setting(HISTORY_DAYS)?
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(DEFAULT_HISTORY_DAYS))
    }

    pub fn set_history_days(&self, days: u32) -> Result<(), EngineError> {
        if days == 0 {
            return Err(EngineError::invalid(
                "days",
                "keep at least 1 day of history",
            ));
        }
        self.store()
            .set_setting(HISTORY_DAYS, &serde_json::Value::from(days))?;
        Ok(())
    }

    /// Records a run that did not start, with why.
    pub(crate) fn record_skipped_run(
        &self,
        job: &LoadedJob,
        trigger: Trigger,
        now: Timestamp,
        why: &str,
    ) -> Result<(), EngineError> {
        self.store().insert_finished_run(
            &uuid::Uuid::new_v4().to_string(),
            &job.id,
            &job.name,
            trigger.as_str(),
            now,
            &RunEnd {
                status: RunStatus::Skipped.as_str(),
                finished_at: now,
                bytes_in: 0,
                bytes_out: 0,
                outcome: serde_json::json!({}),
                error_code: Some("skipped".into()),
                error_message: Some(why.to_owned()),
            },
        )?;
        tracing::info!(job = %job.name, why, "skipped a run");
        Ok(())
    }

    /// Runs a job now: backs up its source to every destination, applies each
    /// destination's retention where the upload succeeded, and records the run.
    /// Fails without recording when the job is already running.
    pub async fn run_job(
        &self,
        job_id: &str,
        trigger: Trigger,
        now: Timestamp,
        progress: &ProgressReporter,
        cancel: &CancellationToken,
    ) -> Result<RunView, EngineError> {
        let job = self.load_job(job_id)?;
        let run_id = uuid::Uuid::new_v4().to_string();
        let started = std::time::Instant::now();
        let claim = self.claim_run(&run_id)?;
        self.store()
            .begin_run(&run_id, &job.id, &job.name, trigger.as_str(), now)?;
        tracing::info!(job = %job.name, run = %run_id, trigger = trigger.as_str(), "run started");

        let cancel = cancel.child_token();
        // Another process (`dbackup job cancel`, the app) asks through the store.
        let watch_cancel = async {
            let mut tick = tokio::time::interval(CANCEL_POLL);
            loop {
                tick.tick().await;
                if self.store().cancel_requested(&run_id).unwrap_or(false) {
                    cancel.cancel();
                    // The work notices and cleans up; this branch must never win.
                    std::future::pending::<()>().await;
                }
            }
        };
        let ending = tokio::select! {
            ending = self.run_job_work(&job, &run_id, trigger, now, progress, &cancel) => ending,
            () = watch_cancel => failed(&EngineError::Cancelled),
        };
        // Measured from `now`, so a run under a test clock ends when that clock says.
        let finished_at = now
            .checked_add(jiff::SignedDuration::try_from(started.elapsed()).unwrap_or_default())
            .unwrap_or(now);
        self.store().finish_run(
            &run_id,
            &RunEnd {
                status: ending.status.as_str(),
                finished_at,
                bytes_in: ending.bytes_in,
                bytes_out: ending.bytes_out,
                outcome: serde_json::to_value(&ending.outcome).unwrap_or_default(),
                error_code: ending.error.as_ref().map(|e| code_text(e.code)),
                error_message: ending.error.as_ref().map(|e| e.message.clone()),
            },
        )?;
        drop(claim);
        tracing::info!(job = %job.name, run = %run_id, status = ending.status.as_str(), "run finished");
        self.run_view(&run_id)
    }

    async fn run_job_work(
        &self,
        job: &LoadedJob,
        run_id: &str,
        trigger: Trigger,
        now: Timestamp,
        progress: &ProgressReporter,
        cancel: &CancellationToken,
    ) -> Ending {
        let prepared = self.prepare_run(job, trigger, now);
        let (source, plan) = match prepared {
            Ok(p) => p,
            Err(e) => return failed(&e),
        };
        let destinations = plan.destinations.clone();
        // This job runs nowhere else on this computer now (the run lock), so its
        // incomplete uploads here are leftovers of a run that was killed.
        let mut swept = Vec::new();
        for named in &destinations {
            swept.push(self.sweep_leftovers(job, named).await);
        }
        let report = match backup_source(Arc::new(source), plan, progress, cancel).await {
            Ok(report) => report,
            Err(EngineError::Cancelled) => {
                return Ending {
                    status: RunStatus::Cancelled,
                    bytes_in: 0,
                    bytes_out: 0,
                    outcome: RunOutcome::default(),
                    error: Some(FailureView {
                        code: ErrorCode::Cancelled,
                        message: EngineError::Cancelled.to_string(),
                    }),
                }
            }
            Err(e) => return failed(&e),
        };
        let mut outcome = outcome_of(job, &destinations, &report);
        for (result, freed) in outcome.destinations.iter_mut().zip(swept) {
            result.swept = freed;
        }
        // Retention judges a series (a database, the roles) only where this run added a
        // backup to it: a failed upload must never lead to deleting the older backups
        // that are now the newest good ones, and one database failing must not cost the
        // others their pruning either.
        for (target, result) in job.targets.iter().zip(outcome.destinations.iter_mut()) {
            self.catalog_run_objects(run_id, target, &report, now);
            if result.objects.is_empty() || target.retention == crate::retention::Retention::None {
                continue;
            }
            if cancel.is_cancelled() {
                break;
            }
            let applied = self
                .apply_retention_to(
                    job,
                    &target.destination_id,
                    crate::catalog::RetentionPass {
                        retention: target.retention,
                        now,
                        run_id: Some(run_id),
                        which: crate::catalog::Judge::SeriesOf(&result.objects),
                        just_stored: &result.objects,
                    },
                )
                .await;
            result.retention = Some(match applied {
                Ok(report) => report,
                Err(e) => RetentionReport::failed(&e),
            });
        }
        // Bytes of what is stored somewhere: a copy that failed everywhere stored none.
        let (bytes_in, bytes_out) = report
            .units
            .iter()
            .filter_map(|u| u.backup.as_ref())
            .filter(|b| b.stored_anywhere())
            .fold((0, 0), |(i, o), b| {
                (i + b.manifest.plain_size, o + b.manifest.stored_size)
            });
        let error = first_error(&outcome);
        Ending {
            status: match report.status {
                BackupStatus::Success => RunStatus::Success,
                BackupStatus::Partial => RunStatus::Partial,
                BackupStatus::Failed => RunStatus::Failed,
            },
            bytes_in,
            bytes_out,
            outcome,
            error: if report.status == BackupStatus::Success {
                None
            } else {
                error
            },
        }
    }

    fn prepare_run(
        &self,
        job: &LoadedJob,
        trigger: Trigger,
        now: Timestamp,
    ) -> Result<(crate::OpenSource, SourceBackupPlan), EngineError> {
        let source = self.open_source(&job.source_id)?;
        let destinations = job
            .targets
            .iter()
            .map(|t| {
                let (name, destination) = self.open_destination(&t.destination_id)?;
                Ok(NamedDestination { name, destination })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        let encryption = match &job.key_profile_id {
            Some(profile) => EncryptionSetting::KeyProfile(self.key_profile_key(profile)?),
            None => EncryptionSetting::None,
        };
        let manifest_key = self.signing_key(&encryption);
        let mut settings = WriterSettings::new(encryption, ArchiveMetadata::new(now));
        settings.compression = match job.compression {
            CompressionChoice::Zstd => Compression::Zstd,
            CompressionChoice::None => Compression::None,
        };
        settings.level = job.level;
        Ok((
            source,
            SourceBackupPlan {
                job_name: job.name.clone(),
                job_id: Some(job.id.clone()),
                settings,
                destinations,
                trigger: trigger.as_str().into(),
                installation_id: Some(self.installation_id.clone()),
                manifest_key,
                now,
            },
        ))
    }
}

impl Engine {
    /// Aborts this installation's incomplete uploads of `job` on a destination: keys in
    /// the job's folder carrying this installation's tag (another computer's uploads of
    /// the same imported job are its own). A failure is logged and the backup goes on.
    async fn sweep_leftovers(
        &self,
        job: &LoadedJob,
        named: &NamedDestination,
    ) -> Option<dbackup_storage::AbortedUploads> {
        let folder = crate::source_run::job_folder(&job.name).ok()?;
        // This installation's objects carry its tag; another computer's do not.
        let marker = format!("_{}", crate::installation::name_tag(&self.installation_id));
        match named
            .destination
            .abort_incomplete_uploads(&format!("{folder}/"), &marker)
            .await
        {
            Ok(freed) if freed.uploads > 0 => {
                tracing::info!(job = %job.name, destination = %named.name, uploads = freed.uploads, bytes = freed.bytes, "aborted incomplete uploads left by an interrupted run");
                Some(freed)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(job = %job.name, destination = %named.name, "cannot clear incomplete uploads: {e}");
                None
            }
        }
    }
}

const HISTORY_DAYS: &str = "history.days";
pub(crate) const DEFAULT_HISTORY_DAYS: u32 = 365;

fn code_text(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "internal".into())
}

fn failed(e: &EngineError) -> Ending {
    Ending {
        status: RunStatus::Failed,
        bytes_in: 0,
        bytes_out: 0,
        outcome: RunOutcome::default(),
        error: Some(FailureView {
            code: e.code(),
            message: e.to_string(),
        }),
    }
}

fn outcome_of(
    job: &LoadedJob,
    destinations: &[NamedDestination],
    report: &SourceBackupReport,
) -> RunOutcome {
    let mut outcome = RunOutcome::default();
    for (target, named) in job.targets.iter().zip(destinations) {
        let mut d = DestinationOutcome {
            destination_id: target.destination_id.clone(),
            destination: named.name.clone(),
            stored: true,
            ..Default::default()
        };
        for unit in &report.units {
            let Some(backup) = &unit.backup else {
                d.stored = false;
                continue;
            };
            match backup.copies.iter().find(|c| c.destination == named.name) {
                Some(copy) if copy.stored => d.objects.push(backup.object.clone()),
                Some(copy) => {
                    d.stored = false;
                    d.errors.push(format!(
                        "{}: {}",
                        unit.unit,
                        copy.error.clone().unwrap_or_default()
                    ));
                }
                None => d.stored = false,
            }
        }
        outcome.destinations.push(d);
    }
    outcome.unit_errors = report
        .units
        .iter()
        .filter_map(|u| {
            u.error.as_ref().map(|e| FailureView {
                code: e.code,
                message: format!("{}: {}", u.unit, e.message),
            })
        })
        .collect();
    outcome
}

fn first_error(outcome: &RunOutcome) -> Option<FailureView> {
    if let Some(e) = outcome.unit_errors.first() {
        return Some(e.clone());
    }
    outcome
        .destinations
        .iter()
        .find_map(|d| d.errors.first().map(|e| format!("{}: {e}", d.destination)))
        .map(|message| FailureView {
            code: ErrorCode::Storage,
            message,
        })
}

//! IPC commands: each is one engine call, run off the async threads (SQLite and the
//! keyring block), plus type conversion.

use std::sync::Arc;

use dbackup_engine::catalog::{BackupView, OtherFile, RescanReport, RetentionPreview};
use dbackup_engine::jobs::JobView;
use dbackup_engine::runs::{HistoryPage, Trigger};
use dbackup_engine::s3_destination::{AddedDestination, NewS3Destination};
use dbackup_engine::scheduler::Scheduler;
use dbackup_engine::transfer::progress::Progress;
use dbackup_engine::{
    AppOverview, DestinationView, Engine, EngineError, NewLocalDestination, SourceView,
};
use serde::Serialize;
use tauri::State;

use crate::IpcError;

pub mod destinations;
pub mod explorer;
pub mod jobs;
pub mod settings;
pub mod sources;

pub(crate) type Shared<'a> = State<'a, Arc<Engine>>;

pub(crate) async fn blocking<T: Send + 'static>(
    engine: &Shared<'_>,
    call: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
) -> Result<T, IpcError> {
    let engine = Arc::clone(engine);
    tauri::async_runtime::spawn_blocking(move || call(&engine))
        .await
        .map_err(|e| IpcError::internal(format!("the engine task failed: {e}")))?
        .map_err(IpcError::from)
}

/// Everything the first screen needs, from the real store.
#[tauri::command]
#[specta::specta]
pub async fn app_overview(engine: Shared<'_>) -> Result<AppOverview, IpcError> {
    blocking(&engine, |e| e.overview()).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_destinations(engine: Shared<'_>) -> Result<Vec<DestinationView>, IpcError> {
    blocking(&engine, |e| e.list_destinations()).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_local_destination(
    engine: Shared<'_>,
    input: NewLocalDestination,
) -> Result<DestinationView, IpcError> {
    blocking(&engine, move |e| {
        e.add_local_destination(input, jiff::Timestamp::now())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_destination(engine: Shared<'_>, id: String) -> Result<(), IpcError> {
    blocking(&engine, move |e| e.remove_destination(&id)).await
}

/// Adds an Amazon S3, Cloudflare R2 or S3-compatible destination; the secret key goes
/// to the OS keyring and never comes back over IPC.
#[tauri::command]
#[specta::specta]
pub async fn add_s3_destination(
    engine: Shared<'_>,
    input: NewS3Destination,
) -> Result<AddedDestination, IpcError> {
    blocking(&engine, move |e| {
        e.add_s3_destination(input, jiff::Timestamp::now())
    })
    .await
}

type Jobs<'a> = State<'a, Arc<Scheduler>>;

/// Whether this app runs the schedules, and if not, who does.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStatus {
    /// Set when another scheduler (e.g. `dbackup daemon`) runs them instead.
    pub elsewhere: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SchedulesView {
    pub elsewhere: Option<String>,
    pub all_paused: bool,
}

/// A job running in this app, with its live progress.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RunningJob {
    pub job_id: String,
    pub progress: Progress,
}

#[tauri::command]
#[specta::specta]
pub async fn list_sources(engine: Shared<'_>) -> Result<Vec<SourceView>, IpcError> {
    blocking(&engine, |e| e.list_sources()).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_jobs(engine: Shared<'_>) -> Result<Vec<JobView>, IpcError> {
    blocking(&engine, |e| e.list_jobs(jiff::Timestamp::now())).await
}

/// Starts the job in the background; its progress comes from `running_jobs`.
#[tauri::command]
#[specta::specta]
pub async fn run_job_now(jobs: Jobs<'_>, id: String) -> Result<(), IpcError> {
    jobs.start(&id, Trigger::Manual, jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_job(jobs: Jobs<'_>, id: String) -> Result<(), IpcError> {
    let jobs = Arc::clone(&jobs);
    tauri::async_runtime::spawn_blocking(move || jobs.cancel(&id))
        .await
        .map_err(|e| IpcError::internal(format!("the engine task failed: {e}")))?
        .map_err(IpcError::from)
}

#[tauri::command]
#[specta::specta]
pub async fn set_job_paused(engine: Shared<'_>, id: String, paused: bool) -> Result<(), IpcError> {
    blocking(&engine, move |e| {
        e.set_job_enabled(&id, !paused, jiff::Timestamp::now())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_all_paused(engine: Shared<'_>, paused: bool) -> Result<(), IpcError> {
    blocking(&engine, move |e| e.set_all_paused(paused)).await
}

#[tauri::command]
#[specta::specta]
pub async fn schedule_status(
    engine: Shared<'_>,
    status: State<'_, ScheduleStatus>,
) -> Result<SchedulesView, IpcError> {
    let elsewhere = status.elsewhere.clone();
    blocking(&engine, move |e| {
        Ok(SchedulesView {
            elsewhere,
            all_paused: e.all_paused()?,
        })
    })
    .await
}

/// A page of the history, newest first; `before` is the previous page's `next`.
#[tauri::command]
#[specta::specta]
pub async fn list_runs(
    engine: Shared<'_>,
    job_id: Option<String>,
    before: Option<String>,
    limit: u32,
) -> Result<HistoryPage, IpcError> {
    blocking(&engine, move |e| {
        e.history(job_id.as_deref(), before.as_deref(), limit)
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn running_jobs(jobs: Jobs<'_>) -> Result<Vec<RunningJob>, IpcError> {
    Ok(jobs
        .running_progress()
        .into_iter()
        .map(|(job_id, progress)| RunningJob { job_id, progress })
        .collect())
}

#[tauri::command]
#[specta::specta]
pub async fn retention_preview(
    engine: Shared<'_>,
    job_id: String,
) -> Result<Vec<RetentionPreview>, IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .retention_preview(&job_id, None, None, &[], jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

#[tauri::command]
#[specta::specta]
pub async fn list_backups(
    engine: Shared<'_>,
    destination_id: Option<String>,
) -> Result<Vec<BackupView>, IpcError> {
    blocking(&engine, move |e| {
        e.list_backups(destination_id.as_deref(), None)
    })
    .await
}

/// The files on a destination that are not backups, for the explorer to show read-only.
#[tauri::command]
#[specta::specta]
pub async fn list_other_files(
    engine: Shared<'_>,
    destination_id: String,
) -> Result<Vec<OtherFile>, IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .other_files(&destination_id)
        .await
        .map_err(IpcError::from)
}

/// Reads the destination's manifests into the catalog (backups made elsewhere too).
#[tauri::command]
#[specta::specta]
pub async fn rescan_destination(
    engine: Shared<'_>,
    destination_id: String,
) -> Result<RescanReport, IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .rescan(&destination_id, jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

#[tauri::command]
#[specta::specta]
pub async fn set_backup_locked(
    engine: Shared<'_>,
    destination_id: String,
    object: String,
    locked: bool,
) -> Result<(), IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .lock_stored_backup(&destination_id, &object, locked, jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

//! Jobs and encryption keys from the window: create, edit, delete, schedule preview,
//! key profiles and their recovery kits.

use std::path::PathBuf;

use dbackup_engine::catalog::JobRemoved;
use dbackup_engine::jobs::{JobInput, JobView, SchedulePreview};
use dbackup_engine::keys::KeyProfileView;
use dbackup_engine::schedule::Schedule;

use super::{blocking, Shared};
use crate::IpcError;

#[tauri::command]
#[specta::specta]
pub async fn create_job(engine: Shared<'_>, input: JobInput) -> Result<JobView, IpcError> {
    blocking(&engine, move |e| {
        e.create_job(input, jiff::Timestamp::now())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn update_job(
    engine: Shared<'_>,
    id: String,
    input: JobInput,
) -> Result<JobView, IpcError> {
    blocking(&engine, move |e| {
        e.update_job(&id, input, jiff::Timestamp::now())
    })
    .await
}

/// Deletes the job; its stored backups stay where they are unless `delete_backups`
/// (locked ones stay anyway).
#[tauri::command]
#[specta::specta]
pub async fn remove_job(
    engine: Shared<'_>,
    id: String,
    delete_backups: bool,
) -> Result<JobRemoved, IpcError> {
    let engine = std::sync::Arc::clone(&engine);
    engine
        .remove_job_with_backups(&id, delete_backups, jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

/// The schedule in words and its next run times, for the form.
#[tauri::command]
#[specta::specta]
pub async fn preview_schedule(
    engine: Shared<'_>,
    schedule: Schedule,
) -> Result<SchedulePreview, IpcError> {
    blocking(&engine, move |e| {
        e.schedule_preview(&schedule, jiff::Timestamp::now())
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn list_key_profiles(engine: Shared<'_>) -> Result<Vec<KeyProfileView>, IpcError> {
    blocking(&engine, |e| e.list_key_profiles()).await
}

/// A new random key, kept in the OS keyring.
#[tauri::command]
#[specta::specta]
pub async fn create_key_profile(
    engine: Shared<'_>,
    name: String,
) -> Result<KeyProfileView, IpcError> {
    blocking(&engine, move |e| {
        e.create_key_profile(&name, jiff::Timestamp::now())
    })
    .await
}

/// Writes the recovery kit to a new private file (the key itself never crosses IPC) and
/// returns where. Without `path`, a new file in the home folder.
#[tauri::command]
#[specta::specta]
pub async fn export_recovery_kit(
    engine: Shared<'_>,
    id: String,
    path: Option<String>,
) -> Result<String, IpcError> {
    blocking(&engine, move |e| {
        e.save_recovery_kit(&id, path.map(PathBuf::from), jiff::Timestamp::now())
            .map(|p| p.display().to_string())
    })
    .await
}

/// One line for all jobs (running, needing attention, next run), as the tray shows it.
#[tauri::command]
#[specta::specta]
pub async fn status_summary(
    engine: Shared<'_>,
    jobs: tauri::State<'_, std::sync::Arc<dbackup_engine::scheduler::Scheduler>>,
) -> Result<dbackup_engine::status::StatusSummary, IpcError> {
    let running = jobs.running_progress();
    blocking(&engine, move |e| e.status(&running, jiff::Timestamp::now())).await
}

/// Imports a key from a recovery kit file, so backups it made can be read here.
#[tauri::command]
#[specta::specta]
pub async fn import_key_profile(
    engine: Shared<'_>,
    name: String,
    path: String,
) -> Result<KeyProfileView, IpcError> {
    blocking(&engine, move |e| {
        e.import_key_profile_file(&name, std::path::Path::new(&path), jiff::Timestamp::now())
    })
    .await
}

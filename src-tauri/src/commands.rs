//! IPC commands: each is one engine call, run off the async threads (SQLite and the
//! keyring block), plus type conversion.

use std::sync::Arc;

use dbackup_engine::s3_destination::{AddedDestination, NewS3Destination};
use dbackup_engine::{AppOverview, DestinationView, Engine, EngineError, NewLocalDestination};
use tauri::State;

use crate::IpcError;

type Shared<'a> = State<'a, Arc<Engine>>;

async fn blocking<T: Send + 'static>(
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

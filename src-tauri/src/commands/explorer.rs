//! The Storage Explorer's actions on a stored backup: verify, download, restore (in the
//! background, with progress) and delete.

use std::path::PathBuf;
use std::sync::Arc;

use dbackup_engine::glacier::{GlacierCheck, GlacierStatus, RestoreTier};
use dbackup_engine::operations::{OperationView, Operations, RestoreRequest};

use tauri::State;

use super::Shared;
use crate::IpcError;

type Ops<'a> = State<'a, Arc<Operations>>;

#[tauri::command]
#[specta::specta]
pub async fn list_operations(ops: Ops<'_>) -> Result<Vec<OperationView>, IpcError> {
    Ok(ops.list())
}

#[tauri::command]
#[specta::specta]
pub async fn start_verify(
    ops: Ops<'_>,
    destination_id: String,
    object: String,
) -> Result<String, IpcError> {
    let ops = Arc::clone(&ops);
    run_blocking(move || ops.start_verify(&destination_id, &object)).await
}

#[tauri::command]
#[specta::specta]
pub async fn start_download(
    ops: Ops<'_>,
    destination_id: String,
    object: String,
    path: String,
    decrypt: bool,
    allow_unencrypted: bool,
) -> Result<String, IpcError> {
    let ops = Arc::clone(&ops);
    run_blocking(move || {
        ops.start_download(
            &destination_id,
            &object,
            &PathBuf::from(path),
            decrypt,
            allow_unencrypted,
        )
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn start_restore(
    ops: Ops<'_>,
    destination_id: String,
    object: String,
    request: RestoreRequest,
) -> Result<String, IpcError> {
    let ops = Arc::clone(&ops);
    run_blocking(move || ops.start_restore(&destination_id, &object, request)).await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_operation(ops: Ops<'_>, id: String) -> Result<(), IpcError> {
    ops.cancel(&id);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn dismiss_operation(ops: Ops<'_>, id: String) -> Result<(), IpcError> {
    ops.dismiss(&id);
    Ok(())
}

/// Deletes a backup and its manifest; refused for locked ones.
#[tauri::command]
#[specta::specta]
pub async fn delete_backup(
    engine: Shared<'_>,
    destination_id: String,
    object: String,
) -> Result<(), IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .delete_stored_backup(&destination_id, &object, jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

/// Asks S3 to restore a backup from Glacier for `days` days.
#[tauri::command]
#[specta::specta]
pub async fn request_glacier_restore(
    engine: Shared<'_>,
    destination_id: String,
    object: String,
    tier: RestoreTier,
    days: u32,
) -> Result<GlacierStatus, IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .request_stored_glacier_restore(
            &destination_id,
            &object,
            tier,
            days,
            jiff::Timestamp::now(),
        )
        .await
        .map_err(IpcError::from)
}

/// Asks S3 now about the restores from Glacier still awaited.
#[tauri::command]
#[specta::specta]
pub async fn check_glacier_restores(engine: Shared<'_>) -> Result<GlacierCheck, IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .check_glacier_restores(jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

/// Starting opens the destination and reads the keyring (blocking), then spawns the work
/// on the runtime: run it on a blocking thread that can still reach the runtime.
async fn run_blocking<T: Send + 'static>(
    start: impl FnOnce() -> Result<T, dbackup_engine::EngineError> + Send + 'static,
) -> Result<T, IpcError> {
    let handle = tokio::runtime::Handle::current();
    tauri::async_runtime::spawn_blocking(move || {
        let _entered = handle.enter();
        start()
    })
    .await
    .map_err(|e| IpcError::internal(format!("the engine task failed: {e}")))?
    .map_err(IpcError::from)
}

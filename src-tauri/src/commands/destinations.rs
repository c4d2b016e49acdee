//! Destination checks and edits from the window.

use std::sync::Arc;

use dbackup_engine::s3_destination::{
    AddedDestination, DestinationSettings, NewS3Destination, ProbeReport,
};
use dbackup_engine::{DestinationView, NewLocalDestination};

use super::{blocking, Shared};
use crate::IpcError;

/// A destination's stored settings, for its edit form; never its secret.
#[tauri::command]
#[specta::specta]
pub async fn destination_settings(
    engine: Shared<'_>,
    id: String,
) -> Result<DestinationSettings, IpcError> {
    blocking(&engine, move |e| e.destination_settings(&id)).await
}

/// Saves an edited S3 destination; an empty secret keeps the stored one.
#[tauri::command]
#[specta::specta]
pub async fn update_s3_destination(
    engine: Shared<'_>,
    id: String,
    input: NewS3Destination,
) -> Result<AddedDestination, IpcError> {
    blocking(&engine, move |e| {
        e.update_s3_destination(&id, input, jiff::Timestamp::now())
    })
    .await
}

/// Saves an edited local-folder destination.
#[tauri::command]
#[specta::specta]
pub async fn update_local_destination(
    engine: Shared<'_>,
    id: String,
    input: NewLocalDestination,
) -> Result<DestinationView, IpcError> {
    blocking(&engine, move |e| {
        e.update_local_destination(&id, input, jiff::Timestamp::now())
    })
    .await
}

/// "Test connection": each IAM action of the minimal policy on a probe object within
/// the prefix, the bucket's region and settings, and advice.
#[tauri::command]
#[specta::specta]
pub async fn test_destination(engine: Shared<'_>, id: String) -> Result<ProbeReport, IpcError> {
    let engine = Arc::clone(&engine);
    engine
        .test_destination(&id, jiff::Timestamp::now())
        .await
        .map_err(IpcError::from)
}

//! Destination checks from the window.

use std::sync::Arc;

use dbackup_engine::s3_destination::ProbeReport;

use super::Shared;
use crate::IpcError;

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

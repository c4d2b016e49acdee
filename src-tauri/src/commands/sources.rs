//! Sources from the window: add and edit (with a test before saving), test, remove.

use dbackup_engine::sources::{ServerInfo, SourceForm, SourceInput};
use dbackup_engine::SourceView;

use super::{blocking, Shared};
use crate::IpcError;

/// Saves a source; its password goes to the OS keyring and never comes back over IPC.
#[tauri::command]
#[specta::specta]
pub async fn add_source(engine: Shared<'_>, input: SourceInput) -> Result<SourceView, IpcError> {
    blocking(&engine, move |e| {
        e.add_source(input.into(), jiff::Timestamp::now())
    })
    .await
}

/// "Test connection" on the form, before anything is saved.
#[tauri::command]
#[specta::specta]
pub async fn test_new_source(
    engine: Shared<'_>,
    input: SourceInput,
) -> Result<ServerInfo, IpcError> {
    blocking(&engine, move |e| e.check_new_source(input.into())).await
}

#[tauri::command]
#[specta::specta]
pub async fn test_source(engine: Shared<'_>, id: String) -> Result<ServerInfo, IpcError> {
    blocking(&engine, move |e| e.test_source(&id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_source(engine: Shared<'_>, id: String) -> Result<(), IpcError> {
    blocking(&engine, move |e| e.remove_source(&id)).await
}

/// What the edit form starts from; never the password.
#[tauri::command]
#[specta::specta]
pub async fn source_form(engine: Shared<'_>, id: String) -> Result<SourceForm, IpcError> {
    blocking(&engine, move |e| e.source_form(&id)).await
}

/// Saves an edited source. An empty password keeps the stored one; `clear_password`
/// removes it.
#[tauri::command]
#[specta::specta]
pub async fn update_source(
    engine: Shared<'_>,
    id: String,
    input: SourceInput,
    clear_password: bool,
) -> Result<SourceView, IpcError> {
    blocking(&engine, move |e| {
        e.update_source(&id, input.into(), clear_password, jiff::Timestamp::now())
    })
    .await
}

/// "Test connection" on the edit form, with the stored password unless one was typed.
#[tauri::command]
#[specta::specta]
pub async fn test_source_change(
    engine: Shared<'_>,
    id: String,
    input: SourceInput,
) -> Result<ServerInfo, IpcError> {
    blocking(&engine, move |e| e.check_source_change(&id, input.into())).await
}

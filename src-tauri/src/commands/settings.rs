//! Preferences, and quitting from the window when the tray asked to confirm.

use std::path::{Path, PathBuf};

use dbackup_engine::app_settings::AppSettings;
use dbackup_engine::config_file::ImportReport;
use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

use super::{blocking, Shared};
use crate::IpcError;

#[tauri::command]
#[specta::specta]
pub async fn get_settings(engine: Shared<'_>) -> Result<AppSettings, IpcError> {
    blocking(&engine, |e| e.app_settings()).await
}

/// Saves the preferences and applies "start at login" to the desktop's autostart entry.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    app: AppHandle,
    engine: Shared<'_>,
    settings: AppSettings,
) -> Result<AppSettings, IpcError> {
    let autostart = app.autolaunch();
    let applied = if settings.start_at_login {
        autostart.enable()
    } else {
        autostart.disable()
    };
    if let Err(e) = applied {
        return Err(IpcError::internal(format!(
            "cannot change the start-at-login entry: {e}. Check that ~/.config/autostart is writable"
        )));
    }
    blocking(&engine, move |e| e.set_app_settings(&settings)).await
}

/// Writes the configuration (no secret) to a new private file and returns where.
/// Without `path`, a new file in the home folder.
#[tauri::command]
#[specta::specta]
pub async fn export_config(engine: Shared<'_>, path: Option<String>) -> Result<String, IpcError> {
    blocking(&engine, move |e| {
        e.save_config_export(path.map(PathBuf::from), jiff::Timestamp::now())
            .map(|p| p.display().to_string())
    })
    .await
}

/// Imports a configuration file; with `apply` false, only says what it would do.
#[tauri::command]
#[specta::specta]
pub async fn import_config(
    engine: Shared<'_>,
    path: String,
    apply: bool,
) -> Result<ImportReport, IpcError> {
    blocking(&engine, move |e| {
        e.import_config_file(Path::new(&path), apply, jiff::Timestamp::now())
    })
    .await
}

/// Quits; running jobs are cancelled cleanly on the way out.
#[tauri::command]
#[specta::specta]
pub async fn quit_app(app: AppHandle) -> Result<(), IpcError> {
    app.exit(0);
    Ok(())
}

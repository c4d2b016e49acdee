//! Preferences, and quitting from the window when the tray asked to confirm.

use dbackup_engine::app_settings::AppSettings;
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

/// Quits; running jobs are cancelled cleanly on the way out.
#[tauri::command]
#[specta::specta]
pub async fn quit_app(app: AppHandle) -> Result<(), IpcError> {
    app.exit(0);
    Ok(())
}

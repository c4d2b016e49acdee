//! The desktop shell: window, IPC commands, the schedules and (as the product grows)
//! tray and notifications. Every command is one engine call plus type conversion; logic lives
//! in crates/engine, shared with the `dbackup` CLI.

mod commands;
mod ipc_error;
mod logging;
mod schedules;
mod tray;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use dbackup_engine::operations::Operations;
use dbackup_engine::{AppPaths, Engine, Keyring};
use tauri::Manager;

pub use ipc_error::IpcError;

/// The typed IPC surface; `tests/bindings.rs` generates ui/src/bindings.ts from it.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new().commands(tauri_specta::collect_commands![
        commands::app_overview,
        commands::list_destinations,
        commands::add_local_destination,
        commands::add_s3_destination,
        commands::remove_destination,
        commands::list_sources,
        commands::list_jobs,
        commands::run_job_now,
        commands::cancel_job,
        commands::set_job_paused,
        commands::set_all_paused,
        commands::schedule_status,
        commands::list_runs,
        commands::running_jobs,
        commands::retention_preview,
        commands::list_backups,
        commands::rescan_destination,
        commands::list_other_files,
        commands::set_backup_locked,
        commands::destinations::test_destination,
        commands::destinations::destination_settings,
        commands::destinations::update_s3_destination,
        commands::destinations::update_local_destination,
        commands::sources::add_source,
        commands::sources::test_new_source,
        commands::sources::test_source,
        commands::sources::remove_source,
        commands::sources::source_form,
        commands::sources::update_source,
        commands::sources::test_source_change,
        commands::jobs::create_job,
        commands::jobs::update_job,
        commands::jobs::remove_job,
        commands::jobs::preview_schedule,
        commands::jobs::list_key_profiles,
        commands::jobs::create_key_profile,
        commands::jobs::export_recovery_kit,
        commands::jobs::status_summary,
        commands::jobs::import_key_profile,
        commands::explorer::list_operations,
        commands::explorer::start_verify,
        commands::explorer::start_download,
        commands::explorer::start_restore,
        commands::explorer::cancel_operation,
        commands::explorer::dismiss_operation,
        commands::explorer::delete_backup,
        commands::explorer::request_glacier_restore,
        commands::explorer::check_glacier_restores,
        commands::settings::get_settings,
        commands::settings::save_settings,
        commands::settings::export_config,
        commands::settings::import_config,
        commands::settings::quit_app,
    ])
}

/// Started at login: straight to the tray, without the window.
const MINIMIZED: &str = "--minimized";

/// Whether closing the window keeps DBackup in the tray (the setting, and a tray to be in).
fn keeps_running(app: &tauri::AppHandle) -> bool {
    if app.tray_by_id(tray::TRAY_ID).is_none() {
        return false;
    }
    let engine = app.state::<Arc<Engine>>();
    match engine.app_settings() {
        Ok(settings) => settings.close_to_tray,
        Err(e) => {
            tracing::warn!("cannot read the settings ({e}); staying in the tray");
            true
        }
    }
}

/// Why the app could not start, with what to do; printed and logged, exit code 1 or 2.
fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("dbackup-desktop: {message}");
    tracing::error!("{message}");
    ExitCode::from(code)
}

#[cfg(target_os = "linux")]
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

#[cfg(not(target_os = "linux"))]
fn has_display() -> bool {
    true
}

pub fn run() -> ExitCode {
    if !has_display() {
        // GTK would abort with a panic; say what is wrong and what to use instead.
        return fail(
            2,
            "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set). \
             Start DBackup from a desktop session, or on a headless machine use the \
             `dbackup` command (e.g. `dbackup status`)",
        );
    }
    let paths = match AppPaths::from_env() {
        Ok(paths) => paths,
        Err(e) => return fail(1, &e.to_string()),
    };
    let _log_guard = match logging::init(paths.log_dir()) {
        Ok(guard) => guard,
        Err(e) => return fail(1, &e.to_string()),
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %paths.data_dir().display(), "starting");
    let engine = match Engine::open(paths, Keyring::system()) {
        Ok(engine) => Arc::new(engine),
        Err(e) => return fail(1, &format!("cannot open DBackup's state: {e}")),
    };

    let minimized = std::env::args().any(|a| a == MINIMIZED);
    let builder = specta_builder();
    let schedules = Arc::new(Mutex::new(None::<schedules::Schedules>));
    let app = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_window(app)
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED]),
        ))
        .manage(engine.clone())
        .manage(Operations::new(engine.clone()))
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if keeps_running(window.app_handle()) {
                    api.prevent_close();
                    let _ = window.hide();
                    tracing::info!("window closed; still running in the tray");
                }
            }
        })
        .invoke_handler(builder.invoke_handler())
        .setup({
            let schedules = schedules.clone();
            move |app| {
                builder.mount_events(app);
                schedules::watch_glacier_restores(engine.clone(), app.handle().clone());
                // After the single-instance check: a second launch never takes the lock.
                let started = schedules::Schedules::start(engine, app.handle().clone());
                app.manage(started.scheduler.clone());
                app.manage(commands::ScheduleStatus {
                    elsewhere: started.elsewhere.clone(),
                });
                match tray::install(app.handle(), &started.scheduler) {
                    Ok(()) => {
                        if minimized {
                            if let Some(window) = app.get_webview_window("main") {
                                let _ = window.hide();
                            }
                        }
                    }
                    Err(e) => tracing::warn!(
                        "no tray icon ({e}); closing the window quits DBackup and stops its schedules"
                    ),
                }
                *schedules.lock().unwrap_or_else(|p| p.into_inner()) = Some(started);
                Ok(())
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => return fail(1, &format!("the window system failed: {e}")),
    };
    app.run(move |_, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(mut running) = schedules.lock().unwrap_or_else(|p| p.into_inner()).take() {
                running.stop();
            }
        }
    });
    ExitCode::SUCCESS
}

//! The desktop shell: window, IPC commands, the schedules and (as the product grows)
//! tray and notifications. Every command is one engine call plus type conversion; logic lives
//! in crates/engine, shared with the `dbackup` CLI.

mod commands;
mod ipc_error;
mod logging;
mod schedules;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

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
        commands::set_backup_locked,
    ])
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

    let builder = specta_builder();
    let schedules = Arc::new(Mutex::new(None::<schedules::Schedules>));
    let app = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .manage(engine.clone())
        .invoke_handler(builder.invoke_handler())
        .setup({
            let schedules = schedules.clone();
            move |app| {
                builder.mount_events(app);
                // After the single-instance check: a second launch never takes the lock.
                let started = schedules::Schedules::start(engine);
                app.manage(started.scheduler.clone());
                app.manage(commands::ScheduleStatus {
                    elsewhere: started.elsewhere.clone(),
                });
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

//! The app runs the jobs' schedules while it runs, unless another scheduler (`dbackup
//! daemon`, another user session on the same state) already does: only one may, so no
//! job runs twice. On exit, running jobs are cancelled cleanly.

use std::sync::Arc;
use std::time::Duration;

use dbackup_engine::alerts::{Alert, AlertLevel, AlertOpens};
use dbackup_engine::scheduler::{Scheduler, SchedulerEvent, SchedulerLock};
use dbackup_engine::Engine;
use jiff::Timestamp;
use tauri::{AppHandle, Emitter};
use tokio_util::sync::CancellationToken;

/// How long exit waits for cancelled runs to clean up (abort their uploads).
const STOP_GRACE: Duration = Duration::from_secs(15);

/// The app's scheduler: always there for runs started from the window, and running the
/// schedules when this app holds the lock.
pub struct Schedules {
    pub scheduler: Arc<Scheduler>,
    /// Why this app does not run the schedules, when another scheduler does.
    pub elsewhere: Option<String>,
    stop: CancellationToken,
    task: Option<tauri::async_runtime::JoinHandle<()>>,
}

impl Schedules {
    pub fn start(engine: Arc<Engine>, app: AppHandle) -> Self {
        let stop = CancellationToken::new();
        let scheduler = Scheduler::new(engine.clone());
        let mut events = scheduler.subscribe();
        let notify_retention = engine.clone();
        tauri::async_runtime::spawn(async move {
            while let Ok(event) = events.recv().await {
                log_event(&event);
                if let SchedulerEvent::Finished { run, alert } = event {
                    let retention = notify_retention
                        .app_settings()
                        .is_ok_and(|s| s.notify_retention)
                        .then(|| dbackup_engine::alerts::retention_deleted(&run))
                        .flatten();
                    for alert in alert.into_iter().chain(retention) {
                        // D-Bus calls, and a wait for a click that may never come: on a
                        // blocking thread of its own, not awaited, so events keep flowing.
                        let app = app.clone();
                        tauri::async_runtime::spawn_blocking(move || notify(&app, &alert));
                    }
                }
            }
        });
        let lock = match SchedulerLock::acquire(&engine, "the DBackup app", Timestamp::now()) {
            Ok(lock) => lock,
            Err(e) => {
                tracing::warn!("this window does not run the schedules: {e}");
                return Self {
                    scheduler,
                    elsewhere: Some(e.to_string()),
                    stop,
                    task: None,
                };
            }
        };
        let task = {
            let stop = stop.clone();
            let scheduler = scheduler.clone();
            tauri::async_runtime::spawn(async move {
                // The lock lives as long as the loop.
                let _lock = lock;
                scheduler.run(Timestamp::now, stop).await;
            })
        };
        tracing::info!("running the schedules");
        Self {
            scheduler,
            elsewhere: None,
            stop,
            task: Some(task),
        }
    }

    /// Cancels running jobs and waits (bounded) for them to clean up.
    pub fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let waited = tauri::async_runtime::block_on(async {
                tokio::time::timeout(STOP_GRACE, task).await
            });
            if waited.is_err() {
                tracing::warn!("running jobs did not stop within {STOP_GRACE:?}; they will show as interrupted");
            }
        }
    }
}

fn log_event(event: &SchedulerEvent) {
    match event {
        SchedulerEvent::Started {
            job_name, trigger, ..
        } => tracing::info!(job = %job_name, trigger = trigger.as_str(), "run started"),
        SchedulerEvent::Finished { run, .. } => {
            tracing::info!(job = %run.job_name, status = run.status.as_str(), "run finished")
        }
        SchedulerEvent::Skipped {
            job_name, reason, ..
        } => tracing::info!(job = %job_name, reason = %reason, "run skipped"),
    }
}

/// Emitted to the window with a run id when the user clicks its notification.
pub const OPEN_RUN_EVENT: &str = "open-run";
/// Emitted to the window with a destination id when the user clicks a notification
/// about what is stored there.
pub const OPEN_EXPLORER_EVENT: &str = "open-explorer";

/// How often the app asks S3 about restores from Glacier it is waiting for. Restores
/// take minutes (Expedited) to days, so a few minutes' delay costs nothing.
const GLACIER_CHECK_EVERY: Duration = Duration::from_secs(5 * 60);

/// Watches the restores from Glacier that were asked for, and notifies once each is
/// ready. Runs until the app exits.
pub fn watch_glacier_restores(engine: Arc<Engine>, app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut every = tokio::time::interval(GLACIER_CHECK_EVERY);
        loop {
            every.tick().await;
            match engine.check_glacier_restores(Timestamp::now()).await {
                Ok(check) => {
                    for error in &check.errors {
                        tracing::warn!("cannot check a restore from Glacier: {error}");
                    }
                    for ready in &check.ready {
                        let alert = dbackup_engine::alerts::glacier_ready(ready);
                        let app = app.clone();
                        tauri::async_runtime::spawn_blocking(move || notify(&app, &alert));
                    }
                }
                Err(e) => tracing::warn!("cannot check the restores from Glacier: {e}"),
            }
        }
    });
}

/// Shows a native notification; clicking it opens the window on the run. Failing to show
/// one (no notification daemon) is logged, never fatal: the run is in the history anyway.
fn notify(app: &AppHandle, alert: &Alert) {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("DBackup")
        .summary(&dbackup_engine::alerts::escape_markup(&alert.title))
        .body(&dbackup_engine::alerts::escape_markup(&alert.body))
        // "default" is the action of a click on the notification itself.
        .action("default", "Open");
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let (icon, urgency) = match alert.level {
            AlertLevel::Failure => ("dialog-error", notify_rust::Urgency::Critical),
            AlertLevel::Success => ("dialog-information", notify_rust::Urgency::Normal),
        };
        notification.icon(icon).urgency(urgency);
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = AlertLevel::Failure;
    let handle = match notification.show() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(title = %alert.title, "cannot show a notification: {e}");
            return;
        }
    };
    tracing::info!(title = %alert.title, opens = ?alert.opens, "notified");
    #[cfg(all(unix, not(target_os = "macos")))]
    handle.wait_for_action(|action| {
        if action == "default" {
            crate::tray::show_window(app);
            let emitted = match &alert.opens {
                AlertOpens::Run { run_id } => app.emit(OPEN_RUN_EVENT, run_id),
                AlertOpens::Explorer { destination_id } => {
                    app.emit(OPEN_EXPLORER_EVENT, destination_id)
                }
            };
            if let Err(e) = emitted {
                tracing::warn!("cannot open the window where the notification points: {e}");
            }
        }
    });
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = (handle, app);
}

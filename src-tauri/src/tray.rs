//! The tray icon: it shows whether backups are idle, running or need attention, and its
//! menu opens the window, runs a job now, pauses or resumes every schedule, and quits.
//! The app keeps running here when the window is closed, so schedules keep running.

use std::sync::Arc;
use std::time::Duration;

use dbackup_engine::jobs::JobView;
use dbackup_engine::runs::Trigger;
use dbackup_engine::scheduler::Scheduler;
use dbackup_engine::status::{summarize, OverallState, StatusSummary};
use dbackup_engine::{Engine, EngineError};
use tauri::image::Image;
use tauri::menu::{Menu, MenuBuilder, MenuEvent, MenuItem, MenuItemBuilder, SubmenuBuilder};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Wry};

pub const TRAY_ID: &str = "dbackup";
/// How often the status line follows a running job's percent.
const REFRESH: Duration = Duration::from_secs(2);

const OPEN: &str = "open";
const PAUSE_ALL: &str = "pause-all";
const RESUME_ALL: &str = "resume-all";
const QUIT: &str = "quit";
const RUN_PREFIX: &str = "run:";

/// Emitted to the window when Quit was chosen while a backup runs, so it can ask first.
pub const CONFIRM_QUIT_EVENT: &str = "confirm-quit";

/// What the menu shows; the menu is rebuilt only when this changes.
#[derive(Debug, Clone, PartialEq)]
struct TrayModel {
    status: StatusSummary,
    jobs: Vec<(String, String, bool)>,
    all_paused: bool,
}

fn icon(state: OverallState) -> Result<Image<'static>, tauri::Error> {
    let bytes: &'static [u8] = match state {
        OverallState::Idle => include_bytes!("../../icons/tray/idle.png"),
        OverallState::Running => include_bytes!("../../icons/tray/running.png"),
        OverallState::Attention => include_bytes!("../../icons/tray/attention.png"),
    };
    Image::from_bytes(bytes)
}

fn model(engine: &Engine, scheduler: &Scheduler) -> Result<TrayModel, EngineError> {
    let now = jiff::Timestamp::now();
    let jobs: Vec<JobView> = engine.list_jobs(now)?;
    let all_paused = engine.all_paused()?;
    let running = scheduler.running_progress();
    Ok(TrayModel {
        status: summarize(&jobs, &running, all_paused, now, engine.time_zone()),
        jobs: jobs
            .iter()
            .map(|j| {
                (
                    j.id.clone(),
                    j.name.clone(),
                    j.running || scheduler.is_running(&j.id),
                )
            })
            .collect(),
        all_paused,
    })
}

fn menu(app: &AppHandle, model: &TrayModel) -> Result<(Menu<Wry>, MenuItem<Wry>), tauri::Error> {
    let status = MenuItemBuilder::with_id("status", &model.status.line)
        .enabled(false)
        .build(app)?;
    let mut run = SubmenuBuilder::new(app, "Run now");
    if model.jobs.is_empty() {
        run = run.item(
            &MenuItemBuilder::with_id("no-jobs", "No jobs yet")
                .enabled(false)
                .build(app)?,
        );
    }
    for (id, name, running) in &model.jobs {
        let label = if *running {
            format!("{name} (running)")
        } else {
            name.clone()
        };
        run = run.item(
            &MenuItemBuilder::with_id(format!("{RUN_PREFIX}{id}"), label)
                .enabled(!running)
                .build(app)?,
        );
    }
    let pause = if model.all_paused {
        MenuItemBuilder::with_id(RESUME_ALL, "Resume all schedules").build(app)?
    } else {
        MenuItemBuilder::with_id(PAUSE_ALL, "Pause all schedules").build(app)?
    };
    let menu = MenuBuilder::new(app)
        .item(&status)
        .separator()
        .item(&MenuItemBuilder::with_id(OPEN, "Open DBackup").build(app)?)
        .item(&run.build()?)
        .item(&pause)
        .separator()
        .item(&MenuItemBuilder::with_id(QUIT, "Quit DBackup").build(app)?)
        .build()?;
    Ok((menu, status))
}

/// Brings the window back (from the tray, or a second launch).
pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref().to_owned();
    let engine = app.state::<Arc<Engine>>().inner().clone();
    let scheduler = app.state::<Arc<Scheduler>>().inner().clone();
    match id.as_str() {
        OPEN => show_window(app),
        QUIT => {
            if scheduler.running_progress().is_empty() {
                app.exit(0);
            } else {
                // The window asks, naming what runs; quitting cancels it cleanly.
                show_window(app);
                let _ = app.emit(CONFIRM_QUIT_EVENT, ());
            }
        }
        PAUSE_ALL | RESUME_ALL => {
            let paused = id == PAUSE_ALL;
            let app = app.clone();
            tauri::async_runtime::spawn_blocking(move || {
                if let Err(e) = engine.set_all_paused(paused) {
                    tracing::error!("cannot change the schedules from the tray: {e}");
                }
                refresh(&app);
            });
        }
        other => {
            if let Some(job_id) = other.strip_prefix(RUN_PREFIX) {
                let job_id = job_id.to_owned();
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = scheduler
                        .start(&job_id, Trigger::Manual, jiff::Timestamp::now())
                        .await
                    {
                        tracing::error!(job = %job_id, "cannot run the job from the tray: {e}");
                    }
                    refresh(&app);
                });
            }
        }
    }
}

/// Rebuilds the menu and icon if what they show changed. Blocking (SQLite): call it off
/// the async threads.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let engine = app.state::<Arc<Engine>>();
    let scheduler = app.state::<Arc<Scheduler>>();
    let next = match model(&engine, &scheduler) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("cannot read the jobs for the tray: {e}");
            return;
        }
    };
    let shown = app.state::<ShownModel>();
    let mut shown = shown.0.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = apply(app, &tray, &mut shown, next) {
        tracing::warn!("cannot update the tray: {e}");
    }
}

/// Changes only what changed: a new status line is set on the item in place (a menu
/// open on the desktop stays open); new jobs or a pause rebuild the menu.
fn apply(
    app: &AppHandle,
    tray: &TrayIcon,
    shown: &mut Option<Shown>,
    next: TrayModel,
) -> Result<(), tauri::Error> {
    match shown {
        Some(current) if current.model == next => return Ok(()),
        Some(current)
            if current.model.jobs == next.jobs && current.model.all_paused == next.all_paused =>
        {
            current.status_item.set_text(&next.status.line)?;
        }
        _ => {
            let (menu, status_item) = menu(app, &next)?;
            tray.set_menu(Some(menu))?;
            *shown = Some(Shown {
                model: next.clone(),
                status_item,
            });
        }
    }
    tray.set_icon(Some(icon(next.status.state)?))?;
    tray.set_tooltip(Some(format!("DBackup: {}", next.status.line)))?;
    if let Some(current) = shown {
        current.model = next;
    }
    Ok(())
}

struct Shown {
    model: TrayModel,
    status_item: MenuItem<Wry>,
}

#[derive(Default)]
struct ShownModel(std::sync::Mutex<Option<Shown>>);

/// Creates the tray icon and keeps it current: on every scheduler event and, while a job
/// runs, every few seconds for its percent.
pub fn install(app: &AppHandle, scheduler: &Arc<Scheduler>) -> Result<(), tauri::Error> {
    app.manage(ShownModel::default());
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(OverallState::Idle)?)
        .tooltip("DBackup")
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu)
        .build(app)?;
    let app = app.clone();
    let mut events = scheduler.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH);
        loop {
            tokio::select! {
                event = events.recv() => {
                    if let Err(tokio::sync::broadcast::error::RecvError::Closed) = event {
                        break;
                    }
                }
                _ = tick.tick() => {}
            }
            let app = app.clone();
            let _ = tauri::async_runtime::spawn_blocking(move || refresh(&app)).await;
        }
    });
    Ok(())
}

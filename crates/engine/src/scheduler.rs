//! Runs jobs when their schedules say, inside the desktop app (also with the window
//! closed) or `dbackup daemon`. One scheduler per state database: it holds an
//! exclusive lock on `<data dir>/scheduler.lock`, which names its holder for the
//! second one to report.
//!
//! Each tick asks, for every job, whether it is due ([`crate::schedule::due`]) and
//! records how far its schedule has been handled, so a restart neither repeats nor
//! bursts runs. The clock is passed in, so tests drive it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::alerts::{Alert, AlertGate};
use crate::runs::{RunView, Trigger};
use crate::schedule::{due, Due};
use crate::transfer::progress::{Progress, ProgressReporter};
use crate::{Engine, EngineError};

/// The longest the loop sleeps: edits to jobs and wake-ups from sleep are noticed
/// within this.
const MAX_SLEEP: Duration = Duration::from_secs(20);

/// What the scheduler did, for the app (notifications, live history) and tests.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "event")]
pub enum SchedulerEvent {
    Started {
        job_id: String,
        job_name: String,
        trigger: Trigger,
    },
    Finished {
        run: Box<RunView>,
        /// The desktop notification this run deserves, if any.
        alert: Option<Alert>,
    },
    Skipped {
        job_id: String,
        job_name: String,
        reason: String,
    },
}

struct Running {
    cancel: CancellationToken,
    progress: watch::Receiver<Progress>,
}

pub struct Scheduler {
    engine: Arc<Engine>,
    running: Mutex<HashMap<String, Running>>,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    events: broadcast::Sender<SchedulerEvent>,
    alerts: Mutex<AlertGate>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

impl Scheduler {
    pub fn new(engine: Arc<Engine>) -> Arc<Self> {
        let (events, _) = broadcast::channel(256);
        Arc::new(Self {
            engine,
            running: Mutex::new(HashMap::new()),
            tasks: tokio::sync::Mutex::new(JoinSet::new()),
            events,
            alerts: Mutex::new(AlertGate::default()),
        })
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SchedulerEvent> {
        self.events.subscribe()
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The live progress of a job this scheduler is running.
    pub fn progress(&self, job_id: &str) -> Option<watch::Receiver<Progress>> {
        self.running().get(job_id).map(|r| r.progress.clone())
    }

    /// Every job this scheduler is running, with its latest progress.
    pub fn running_progress(&self) -> Vec<(String, Progress)> {
        let mut list: Vec<(String, Progress)> = self
            .running()
            .iter()
            .map(|(id, r)| (id.clone(), r.progress.borrow().clone()))
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }

    pub fn is_running(&self, job_id: &str) -> bool {
        self.running().contains_key(job_id)
    }

    /// Cancels a job run by this scheduler, or asks the process running it.
    pub fn cancel(&self, job_id: &str) -> Result<(), EngineError> {
        if let Some(running) = self.running().get(job_id) {
            running.cancel.cancel();
            return Ok(());
        }
        self.engine.cancel_job(job_id).map(|_| ())
    }

    /// Judges every job at `now`: starts the due ones, records skipped ones, and
    /// moves each schedule forward. Returns the next time something is due.
    pub async fn tick(self: &Arc<Self>, now: Timestamp) -> Result<Option<Timestamp>, EngineError> {
        let all_paused = self.engine.all_paused()?;
        let mut next_due: Option<Timestamp> = None;
        for job in self.engine.load_jobs()? {
            let Some(cron) = job.schedule.compile()? else {
                continue;
            };
            let handled = job.schedule_checked_at.unwrap_or(job.created_at);
            if all_paused || !job.enabled {
                // Times passed while paused are not owed on resume.
                self.engine.store().set_schedule_checked(&job.id, now)?;
                continue;
            }
            match due(&cron, handled, now, &self.engine.time_zone, job.catch_up) {
                Due::Wait { next } => {
                    if let Some(next) = next {
                        next_due = Some(next_due.map_or(next, |n| n.min(next)));
                    }
                }
                Due::Run { catch_up, .. } => {
                    self.engine.store().set_schedule_checked(&job.id, now)?;
                    let trigger = if catch_up {
                        Trigger::CatchUp
                    } else {
                        Trigger::Schedule
                    };
                    if self.is_running(&job.id) {
                        let why = "the previous run was still going at the scheduled time";
                        self.engine.record_skipped_run(&job, trigger, now, why)?;
                        let _ = self.events.send(SchedulerEvent::Skipped {
                            job_id: job.id.clone(),
                            job_name: job.name.clone(),
                            reason: why.into(),
                        });
                        continue;
                    }
                    self.start(&job.id, trigger, now).await?;
                }
                Due::Skip { missed, .. } => {
                    self.engine.store().set_schedule_checked(&job.id, now)?;
                    let why = format!(
                        "{missed} scheduled run(s) were missed while DBackup was not running; the job skips missed runs"
                    );
                    self.engine
                        .record_skipped_run(&job, Trigger::CatchUp, now, &why)?;
                    let _ = self.events.send(SchedulerEvent::Skipped {
                        job_id: job.id.clone(),
                        job_name: job.name.clone(),
                        reason: why,
                    });
                }
            }
        }
        Ok(next_due)
    }

    /// Starts a run of the job in the background. A job already running (here or in
    /// another process) gets a skipped run instead of a second one.
    pub async fn start(
        self: &Arc<Self>,
        job_id: &str,
        trigger: Trigger,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let job = self.engine.load_job(job_id)?;
        let cancel = CancellationToken::new();
        let (progress, rx) = ProgressReporter::new(None);
        {
            let mut running = self.running();
            if running.contains_key(job_id) {
                return Err(EngineError::Store(dbackup_store::StoreError::JobRunning {
                    job: job.name,
                }));
            }
            running.insert(
                job_id.to_owned(),
                Running {
                    cancel: cancel.clone(),
                    progress: rx,
                },
            );
        }
        let _ = self.events.send(SchedulerEvent::Started {
            job_id: job.id.clone(),
            job_name: job.name.clone(),
            trigger,
        });
        let this = self.clone();
        self.tasks.lock().await.spawn(async move {
            let result = this
                .engine
                .run_job(&job.id, trigger, now, &progress, &cancel)
                .await;
            this.running().remove(&job.id);
            let event = match result {
                Ok(run) => {
                    let alert = this
                        .alerts
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .judge(&run, job.notify_on_failure, job.notify_on_success);
                    SchedulerEvent::Finished {
                        run: Box::new(run),
                        alert,
                    }
                }
                Err(EngineError::Store(dbackup_store::StoreError::JobRunning { .. })) => {
                    let why = "another DBackup process was running this job";
                    if let Err(e) = this.engine.record_skipped_run(&job, trigger, now, why) {
                        tracing::warn!("cannot record a skipped run: {e}");
                    }
                    SchedulerEvent::Skipped {
                        job_id: job.id.clone(),
                        job_name: job.name.clone(),
                        reason: why.into(),
                    }
                }
                Err(e) => {
                    tracing::error!(job = %job.name, "the run could not be recorded: {e}");
                    SchedulerEvent::Skipped {
                        job_id: job.id.clone(),
                        job_name: job.name.clone(),
                        reason: e.to_string(),
                    }
                }
            };
            let _ = this.events.send(event);
        });
        Ok(())
    }

    /// Waits until every run this scheduler started has ended.
    pub async fn idle(&self) {
        let mut tasks = self.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
    }

    /// Ticks until `stop`, sleeping until the next due time (at most [`MAX_SLEEP`]).
    /// On stop, running jobs are cancelled and awaited, so none is left half-done.
    pub async fn run(self: Arc<Self>, clock: impl Fn() -> Timestamp, stop: CancellationToken) {
        if let Err(e) = self.engine.recover_interrupted_runs(clock()) {
            tracing::warn!("cannot check for interrupted runs: {e}");
        }
        let mut last_prune: Option<Timestamp> = None;
        while !stop.is_cancelled() {
            let now = clock();
            if last_prune.is_none_or(|t| now.duration_since(t).as_secs() > 86_400) {
                if let Err(e) = self.engine.prune_history(now) {
                    tracing::warn!("cannot prune the history: {e}");
                }
                last_prune = Some(now);
            }
            let sleep = match self.tick(now).await {
                Ok(Some(next)) => next
                    .duration_since(now)
                    .unsigned_abs()
                    .min(MAX_SLEEP)
                    .max(Duration::from_millis(200)),
                Ok(None) => MAX_SLEEP,
                Err(e) => {
                    tracing::error!("the scheduler could not read the jobs: {e}");
                    MAX_SLEEP
                }
            };
            // Finished runs are reaped so the task set does not grow.
            {
                let mut tasks = self.tasks.lock().await;
                while tasks.try_join_next().is_some() {}
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        for running in self.running().values() {
            running.cancel.cancel();
        }
        self.idle().await;
    }
}

/// The right to schedule the jobs of one state database, held until dropped.
#[derive(Debug)]
pub struct SchedulerLock {
    _file: File,
    path: PathBuf,
}

impl SchedulerLock {
    /// Takes the lock, or says who holds it. `who` describes this process, e.g.
    /// "dbackup daemon" or "the DBackup app".
    pub fn acquire(engine: &Engine, who: &str, now: Timestamp) -> Result<Self, EngineError> {
        let path = engine.paths.data_dir().join("scheduler.lock");
        let io = |e: std::io::Error| EngineError::Internal {
            detail: format!("cannot use the scheduler lock {}: {e}", path.display()),
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(EngineError::SchedulerBusy {
                    holder: holder.trim().to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{who} (process {}) since {now}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

#[cfg(test)]
mod tests;

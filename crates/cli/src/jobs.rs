//! `dbackup job`, `history`, `retention`, `backup list|lock|unlock`, `daemon`, `rescan`:
//! argument handling around engine calls.

use std::sync::Arc;

use dbackup_engine::glacier::GlacierState;
use dbackup_engine::jobs::{CompressionChoice, JobInput, JobTarget, JobView};
use dbackup_engine::retention::{GfsTiers, Retention};
use dbackup_engine::runs::{RunStatus, RunView, Trigger};
use dbackup_engine::schedule::{CatchUp, Schedule, Weekday};
use dbackup_engine::scheduler::{Scheduler, SchedulerEvent, SchedulerLock};
use dbackup_engine::transfer::progress::ProgressReporter;
use dbackup_engine::{Engine, EngineError, ErrorCode};
use dbackup_storage::{ObjectKey, RestoreTier};
use jiff::Timestamp;

use crate::args::{
    BackupAction, CatchUpArg, CompressionArg, GlacierRestoreArgs, HistoryArgs, JobCommand, JobSpec,
    LockArgs, LockModeArg, RetentionArgs, RetentionCommand, RetentionTarget, TierArg,
};
use crate::output::{self, Output};

/// The retention the flags describe, if any flag was given.
pub fn retention(args: &RetentionArgs) -> Option<Retention> {
    if args.keep_all {
        return Some(Retention::None);
    }
    if let Some(count) = args.keep_last {
        return Some(Retention::Last { count });
    }
    let tiers = [
        args.keep_hourly,
        args.keep_daily,
        args.keep_weekly,
        args.keep_monthly,
        args.keep_yearly,
    ];
    if tiers.iter().all(Option::is_none) {
        return None;
    }
    Some(Retention::Gfs(GfsTiers {
        hourly: args.keep_hourly.unwrap_or(0),
        daily: args.keep_daily.unwrap_or(0),
        weekly: args.keep_weekly.unwrap_or(0),
        monthly: args.keep_monthly.unwrap_or(0),
        yearly: args.keep_yearly.unwrap_or(0),
    }))
}

fn time_of_day(text: &str, field: &'static str) -> Result<(u8, u8), EngineError> {
    let bad = || {
        EngineError::invalid(
            field,
            format!("{text:?} is not a time; write HH:MM, e.g. 02:30"),
        )
    };
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let hour: u8 = h.parse().map_err(|_| bad())?;
    let minute: u8 = m.parse().map_err(|_| bad())?;
    Ok((hour, minute))
}

/// The schedule the flags describe, if any flag was given.
fn schedule(spec: &JobSpec) -> Result<Option<Schedule>, EngineError> {
    if spec.manual {
        return Ok(Some(Schedule::Manual));
    }
    if let Some(expression) = &spec.schedule {
        return Ok(Some(Schedule::Cron {
            expression: expression.clone(),
        }));
    }
    if let Some(minute) = spec.hourly {
        return Ok(Some(Schedule::Hourly { minute }));
    }
    if let Some(time) = &spec.daily {
        let (hour, minute) = time_of_day(time, "daily")?;
        return Ok(Some(Schedule::Daily { hour, minute }));
    }
    if let Some(text) = &spec.weekly {
        let (day, time) = text
            .split_once('@')
            .ok_or_else(|| EngineError::invalid("weekly", "write DAY@HH:MM, e.g. sun@23:00"))?;
        let weekday = Weekday::parse(day).ok_or_else(|| {
            EngineError::invalid(
                "weekly",
                format!("{day:?} is not a weekday; write mon, tue, ... sun"),
            )
        })?;
        let (hour, minute) = time_of_day(time, "weekly")?;
        return Ok(Some(Schedule::Weekly {
            weekday,
            hour,
            minute,
        }));
    }
    if let Some(text) = &spec.monthly {
        let (day, time) = text.split_once('@').ok_or_else(|| {
            EngineError::invalid("monthly", "write DAY@HH:MM, e.g. 1@04:00 or last@04:00")
        })?;
        let day: u8 = if day.eq_ignore_ascii_case("last") {
            0
        } else {
            day.parse().map_err(|_| {
                EngineError::invalid(
                    "monthly",
                    format!("{day:?} is not a day; write 1 to 28, or last"),
                )
            })?
        };
        if day == 0 && !text.to_ascii_lowercase().starts_with("last") {
            return Err(EngineError::invalid(
                "monthly",
                "days start at 1 (or write last)",
            ));
        }
        let (hour, minute) = time_of_day(time, "monthly")?;
        return Ok(Some(Schedule::Monthly { day, hour, minute }));
    }
    Ok(None)
}

/// Applies the given flags over `base` (a new job's defaults, or the job being edited).
fn job_input(engine: &Engine, spec: &JobSpec, base: JobInput) -> Result<JobInput, EngineError> {
    let mut input = base;
    if let Some(name) = &spec.name {
        input.name = name.clone();
    }
    if let Some(source) = &spec.source {
        input.source_id = engine.find_source(source)?.id;
    }
    let rule = retention(&spec.retention);
    if !spec.to.is_empty() {
        let keep = rule.or_else(|| input.targets.first().map(|t| t.retention));
        input.targets = spec
            .to
            .iter()
            .map(|d| {
                Ok(JobTarget {
                    destination_id: crate::resolve_destination(engine, d)?,
                    retention: keep.unwrap_or_default(),
                })
            })
            .collect::<Result<_, EngineError>>()?;
    } else if let Some(rule) = rule {
        for target in &mut input.targets {
            target.retention = rule;
        }
    }
    if let Some(schedule) = schedule(spec)? {
        input.schedule = schedule;
    }
    if let Some(catch_up) = spec.catch_up {
        input.catch_up = match catch_up {
            CatchUpArg::Once => CatchUp::Once,
            CatchUpArg::Skip => CatchUp::Skip,
        };
    }
    if spec.no_encryption {
        input.key_profile_id = None;
    } else if let Some(key) = &spec.key {
        input.key_profile_id = Some(engine.key_profile_id(key)?);
    }
    if let Some(compression) = spec.compression {
        input.compression = match compression {
            CompressionArg::Zstd => CompressionChoice::Zstd,
            CompressionArg::None => CompressionChoice::None,
        };
    }
    if let Some(level) = spec.level {
        input.level = level;
    }
    if let Some(on) = spec.notify_success {
        input.notify_on_success = on;
    }
    Ok(input)
}

fn input_of(view: &JobView) -> JobInput {
    JobInput {
        name: view.name.clone(),
        source_id: view.source_id.clone(),
        targets: view
            .targets
            .iter()
            .map(|t| JobTarget {
                destination_id: t.destination_id.clone(),
                retention: t.retention,
            })
            .collect(),
        schedule: view.schedule.clone(),
        catch_up: view.catch_up,
        compression: view.compression,
        level: view.level,
        key_profile_id: view.key_profile_id.clone(),
        notify_on_failure: view.notify_on_failure,
        notify_on_success: view.notify_on_success,
        enabled: view.enabled,
    }
}

pub fn job(command: JobCommand, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let now = Timestamp::now();
    match command {
        JobCommand::List => {
            let jobs = engine.list_jobs(now)?;
            out.value(&jobs, || output::jobs_table(&jobs));
        }
        JobCommand::Create(spec) => {
            let (Some(_), Some(_), false) = (&spec.name, &spec.source, spec.to.is_empty()) else {
                return Err(EngineError::invalid(
                    "job",
                    "a new job needs --name, --source and at least one --to",
                ));
            };
            if spec.key.is_none() && !spec.no_encryption {
                return Err(EngineError::invalid(
                    "encryption",
                    "choose --key PROFILE (create one with `dbackup key create`) or --no-encryption",
                ));
            }
            let base = JobInput {
                name: String::new(),
                source_id: String::new(),
                targets: Vec::new(),
                schedule: Schedule::Manual,
                catch_up: CatchUp::Once,
                compression: CompressionChoice::Zstd,
                level: 3,
                key_profile_id: None,
                notify_on_failure: true,
                notify_on_success: false,
                enabled: true,
            };
            let input = job_input(&engine, &spec, base)?;
            let view = engine.create_job(input, now)?;
            if view.key_profile_id.is_none() {
                eprintln!("dbackup: warning: this job's backups will not be encrypted; anyone who can read the destination can read them");
            }
            out.value(&view, || {
                format!(
                    "created the job {} ({})\n{}",
                    view.name,
                    view.id,
                    output::job_details(&view)
                )
            });
        }
        JobCommand::Edit { job, spec } => {
            let id = engine.find_job(&job)?;
            let current = engine.job_view(&id, now)?;
            let input = job_input(&engine, &spec, input_of(&current))?;
            let view = engine.update_job(&id, input, now)?;
            out.value(&view, || {
                format!(
                    "updated the job {}\n{}",
                    view.name,
                    output::job_details(&view)
                )
            });
        }
        JobCommand::Show { job } => {
            let view = engine.job_view(&engine.find_job(&job)?, now)?;
            out.value(&view, || output::job_details(&view));
        }
        JobCommand::Run { job } => return run_now(engine, &job, out),
        JobCommand::Cancel { job } => {
            let run = engine.cancel_job(&engine.find_job(&job)?)?;
            out.value(&run, || {
                format!(
                    "asked the run {} of {} to cancel; it stops and cleans up within seconds\n",
                    run.id, run.job_name
                )
            });
        }
        JobCommand::Pause { job, all } | JobCommand::Resume { job, all }
            if all && job.is_some() =>
        {
            let _ = job;
            return Err(EngineError::invalid("job", "give a job or --all, not both"));
        }
        JobCommand::Pause { job, all } => pause(&engine, job, all, true, now, out)?,
        JobCommand::Resume { job, all } => pause(&engine, job, all, false, now, out)?,
        JobCommand::Remove {
            job,
            delete_backups,
        } => {
            let id = engine.find_job(&job)?;
            let rt = crate::commands::runtime()?;
            let removed =
                rt.block_on(engine.remove_job_with_backups(&id, delete_backups, Timestamp::now()))?;
            out.value(&removed, || {
                if !delete_backups {
                    return format!(
                        "removed the job {job}; its backups and history are left in place\n"
                    );
                }
                let mut text = format!(
                    "removed the job {job} and {} of its backups; its history is left in place\n",
                    removed.deleted_backups
                );
                for kept in &removed.kept_locked {
                    text.push_str(&format!("kept {kept}: it is locked\n"));
                }
                text
            });
        }
    }
    Ok(())
}

fn pause(
    engine: &Engine,
    job: Option<String>,
    all: bool,
    paused: bool,
    now: Timestamp,
    out: &Output,
) -> Result<(), EngineError> {
    let verb = if paused { "paused" } else { "resumed" };
    if all {
        engine.set_all_paused(paused)?;
        out.value(&serde_json::json!({ "allPaused": paused }), || {
            format!("{verb} every schedule\n")
        });
        return Ok(());
    }
    let wanted = job.unwrap_or_default();
    let id = engine.find_job(&wanted)?;
    engine.set_job_enabled(&id, !paused, now)?;
    let view = engine.job_view(&id, now)?;
    out.value(&view, || format!("{verb} {}\n", view.name));
    Ok(())
}

/// Runs a job in this process, with progress, and exits by how it went.
fn run_now(engine: Engine, wanted: &str, out: &Output) -> Result<(), EngineError> {
    let id = engine.find_job(wanted)?;
    let rt = crate::commands::runtime()?;
    let cancel = crate::commands::cancel_on_ctrl_c(&rt);
    let (progress, rx) = ProgressReporter::new(None);
    crate::progress::show(&rt, rx, "backing up");
    let run =
        rt.block_on(engine.run_job(&id, Trigger::Cli, Timestamp::now(), &progress, &cancel))?;
    out.value(&run, || output::run_details(&run));
    run_result(&run)
}

/// The exit status a finished run gives the command.
fn run_result(run: &RunView) -> Result<(), EngineError> {
    match run.status {
        RunStatus::Success => Ok(()),
        RunStatus::Cancelled => Err(EngineError::Cancelled),
        _ => {
            let message = run
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "see the run above".into());
            Err(match run.error.as_ref().map(|e| e.code) {
                Some(ErrorCode::Source) => EngineError::SourceFailed { detail: message },
                Some(ErrorCode::InvalidInput) => EngineError::invalid("job", message),
                _ => EngineError::AllDestinationsFailed { failures: message },
            })
        }
    }
}

pub fn history(args: HistoryArgs, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    if let Some(days) = args.prune {
        if days > 0 {
            engine.set_history_days(days)?;
        }
        let removed = engine.prune_history(Timestamp::now())?;
        let kept = engine.history_days()?;
        out.value(
            &serde_json::json!({ "removed": removed, "keptDays": kept }),
            || format!("removed {removed} run(s) older than {kept} days\n"),
        );
        return Ok(());
    }
    if let Some(run) = &args.run {
        let view = engine.run_view(run)?;
        out.value(&view, || output::run_details(&view));
        return Ok(());
    }
    let job = args
        .job
        .as_deref()
        .map(|j| engine.find_job(j))
        .transpose()?;
    let page = engine.history(job.as_deref(), args.before.as_deref(), args.limit)?;
    out.value(&page, || output::history_table(&page));
    Ok(())
}

pub fn retention_command(command: RetentionCommand, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let rt = crate::commands::runtime()?;
    let now = Timestamp::now();
    let (apply, target) = match command {
        RetentionCommand::Preview(t) => (false, t),
        RetentionCommand::Apply(t) => (true, t),
    };
    let RetentionTarget {
        job,
        destination,
        rule,
        adopt,
    } = target;
    let job = engine.find_job(&job)?;
    let destination = destination
        .map(|d| crate::resolve_destination(&engine, &d))
        .transpose()?;
    let rule = retention(&rule);
    if apply {
        let reports =
            rt.block_on(engine.apply_retention(&job, destination.as_deref(), rule, &adopt, now))?;
        let json: Vec<_> = reports
            .iter()
            .map(|(d, r)| serde_json::json!({ "destination": d, "report": r }))
            .collect();
        out.value(&json, || {
            let mut text = String::new();
            for (destination, report) in &reports {
                text.push_str(&format!(
                    "{destination}: kept {}, deleted {}\n",
                    report.kept,
                    report.deleted.len()
                ));
                for object in &report.deleted {
                    text.push_str(&format!("  deleted  {object}\n"));
                }
                if let Some(e) = &report.error {
                    text.push_str(&format!("  not deleted: {e}\n"));
                }
            }
            text
        });
        if let Some(e) = reports.iter().find_map(|(_, r)| r.error.clone()) {
            return Err(EngineError::AllDestinationsFailed { failures: e });
        }
    } else {
        let previews =
            rt.block_on(engine.retention_preview(&job, destination.as_deref(), rule, &adopt, now))?;
        out.value(&previews, || output::retention_preview(&previews));
    }
    Ok(())
}

pub fn backup_action(action: BackupAction, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    match action {
        BackupAction::List { destination, job } => {
            let destination = destination
                .map(|d| crate::resolve_destination(&engine, &d))
                .transpose()?;
            let job = job.map(|j| engine.find_job(&j)).transpose()?;
            let list = engine.list_backups(destination.as_deref(), job.as_deref())?;
            let names: std::collections::HashMap<String, String> = engine
                .list_destinations()?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            out.value(&list, || output::backups_table(&list, &names));
        }
        BackupAction::Lock(args) => lock(&engine, args, true, out)?,
        BackupAction::Unlock(args) => lock(&engine, args, false, out)?,
        BackupAction::GlacierRestore(args) => glacier_restore(&engine, args, out)?,
        BackupAction::GlacierCheck => {
            let rt = crate::commands::runtime()?;
            let check = rt.block_on(engine.check_glacier_restores(Timestamp::now()))?;
            out.value(&check, || {
                let mut text = String::new();
                for ready in &check.ready {
                    let alert = dbackup_engine::alerts::glacier_ready(ready);
                    text.push_str(&format!("{}: {}\n", alert.title, alert.body));
                }
                text
            });
            if !check.errors.is_empty() {
                return Err(EngineError::GlacierCheckFailed {
                    failures: check.errors.join("; "),
                });
            }
        }
    }
    Ok(())
}

fn glacier_restore(
    engine: &Engine,
    args: GlacierRestoreArgs,
    out: &Output,
) -> Result<(), EngineError> {
    let named = crate::location::resolve(&args.from, &args.s3)?;
    let saved = crate::resolve_destination(engine, &args.from).ok();
    let object = ObjectKey::new(args.object.trim_start_matches('/'))?;
    let rt = crate::commands::runtime()?;
    let tier = match args.tier {
        TierArg::Expedited => RestoreTier::Expedited,
        TierArg::Standard => RestoreTier::Standard,
        TierArg::Bulk => RestoreTier::Bulk,
    };
    let mut status = if args.check {
        rt.block_on(engine.glacier_status(&named.destination, &object))?
    } else {
        rt.block_on(engine.request_glacier_restore(
            &named.destination,
            saved.as_deref(),
            &object,
            tier,
            args.days,
            Timestamp::now(),
        ))?
    };
    if let Some(minutes) = args.wait {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(minutes * 60);
        while status.state != GlacierState::Restored && std::time::Instant::now() < deadline {
            eprintln!("{}; checking again in a minute", status.summary);
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            std::thread::sleep(left.min(std::time::Duration::from_secs(60)));
            status = rt.block_on(engine.glacier_status(&named.destination, &object))?;
        }
    }
    out.value(&status, || format!("{}\n", status.summary));
    if args.wait.is_some() && status.state != GlacierState::Restored {
        return Err(EngineError::NeedsRestore {
            object: object.to_string(),
            class: status.storage_class,
            state: "is not restored yet".into(),
            what_to_do:
                "Wait longer (`--check` tells how it goes), or ask again with a faster tier".into(),
        });
    }
    Ok(())
}

/// `2027-12-31` (through the end of that day, UTC) or an RFC 3339 time.
fn lock_until(text: &str) -> Result<Timestamp, EngineError> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.at(23, 59, 59, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            EngineError::invalid(
                "until",
                format!("{text:?} is not a date; write YYYY-MM-DD or an RFC 3339 time"),
            )
        })
}

fn lock(engine: &Engine, args: LockArgs, locked: bool, out: &Output) -> Result<(), EngineError> {
    let named = crate::location::resolve(&args.from, &args.s3)?;
    let saved = crate::resolve_destination(engine, &args.from).ok();
    let object = ObjectKey::new(args.object.trim_start_matches('/'))?;
    let rt = crate::commands::runtime()?;
    let now = Timestamp::now();
    let manifest = match (&args.until, locked) {
        (Some(_), false) => {
            return Err(EngineError::invalid(
                "until",
                "an S3 Object Lock cannot be removed early by DBackup; it ends on its date",
            ))
        }
        (Some(until), true) => {
            let retention = dbackup_storage::ObjectRetention {
                mode: match args.mode {
                    LockModeArg::Governance => dbackup_storage::LockMode::Governance,
                    LockModeArg::Compliance => dbackup_storage::LockMode::Compliance,
                },
                until: lock_until(until)?,
            };
            rt.block_on(engine.set_object_lock(
                &named.destination,
                saved.as_deref(),
                &object,
                retention,
                now,
            ))?
        }
        (None, _) => rt.block_on(engine.set_backup_lock(
            &named.destination,
            saved.as_deref(),
            &object,
            locked,
            now,
        ))?,
    };
    out.value(&manifest, || match (&manifest.object_lock, locked, &args.until) {
        (Some(lock), true, Some(_)) => format!(
            "locked {object} with S3 Object Lock ({:?}) until {}: the server refuses to delete it before then\n",
            lock.mode, lock.until
        ),
        (_, true, _) => format!("locked {object}: retention will not delete it\n"),
        _ => format!("unlocked {object}\n"),
    });
    Ok(())
}

pub fn rescan(destination: &str, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let id = crate::resolve_destination(&engine, destination)?;
    let rt = crate::commands::runtime()?;
    let report = rt.block_on(engine.rescan(&id, Timestamp::now()))?;
    out.value(&report, || {
        let mut text = format!(
            "{}: {} backup(s) of {} job(s) now known{}\n",
            report.destination,
            report.backups,
            report.jobs.len(),
            if report.jobs.is_empty() {
                String::new()
            } else {
                format!(" ({})", report.jobs.join(", "))
            }
        );
        if !report.without_manifest.is_empty() {
            text.push_str(&format!(
                "{} file(s) without a DBackup manifest were left alone\n",
                report.without_manifest.len()
            ));
        }
        text
    });
    Ok(())
}

/// Runs the schedules until Ctrl-C or SIGTERM; running jobs are then cancelled cleanly.
pub fn daemon(out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let _lock = SchedulerLock::acquire(&engine, "dbackup daemon", Timestamp::now())?;
    let rt = crate::commands::runtime()?;
    let stop = tokio_util::sync::CancellationToken::new();
    {
        let stop = stop.clone();
        rt.spawn(async move {
            wait_for_stop_signal().await;
            stop.cancel();
        });
    }
    let scheduler = Scheduler::new(Arc::new(engine));
    let mut events = scheduler.subscribe();
    let json = out.is_json();
    rt.spawn(async move {
        while let Ok(event) = events.recv().await {
            print_event(&event, json);
        }
    });
    eprintln!("dbackup: the scheduler is running; stop it with Ctrl-C");
    rt.block_on(scheduler.run(Timestamp::now, stop));
    eprintln!("dbackup: the scheduler stopped");
    Ok(())
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// One line per event (JSON lines with --json), as they happen.
fn print_event(event: &SchedulerEvent, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
        return;
    }
    match event {
        SchedulerEvent::Started {
            job_name, trigger, ..
        } => println!(
            "{} started {job_name} ({})",
            Timestamp::now(),
            trigger.as_str()
        ),
        SchedulerEvent::Finished { run, .. } => println!(
            "{} finished {}: {}{}",
            Timestamp::now(),
            run.job_name,
            run.status.as_str(),
            run.error
                .as_ref()
                .map(|e| format!(" ({})", e.message))
                .unwrap_or_default()
        ),
        SchedulerEvent::Skipped {
            job_name, reason, ..
        } => println!("{} skipped {job_name}: {reason}", Timestamp::now()),
    }
}

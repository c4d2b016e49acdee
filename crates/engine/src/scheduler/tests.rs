use super::*;
use crate::runs::RunStatus;
use crate::schedule::{CatchUp, Schedule};
use crate::test_bench::{ts, Bench};

async fn tick(scheduler: &Arc<Scheduler>, now: &str) {
    scheduler.tick(ts(now)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), scheduler.idle())
        .await
        .expect("the runs finish");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_time_runs_once_and_is_not_repeated() {
    let bench = Bench::new();
    let daily = Schedule::Daily { hour: 2, minute: 0 };
    let job = bench.job("notes", daily, CatchUp::Once, "2026-11-24T12:00:00Z");
    let scheduler = Scheduler::new(bench.engine.clone());
    // 01:59 Berlin: not yet.
    tick(&scheduler, "2026-11-25T00:59:00Z").await;
    assert!(bench.runs(&job).is_empty());
    // 02:00:30 Berlin: on time.
    tick(&scheduler, "2026-11-25T01:00:30Z").await;
    tick(&scheduler, "2026-11-25T01:01:00Z").await;
    tick(&scheduler, "2026-11-25T01:30:00Z").await;
    let runs = bench.runs(&job);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].trigger, Trigger::Schedule);
    assert_eq!(runs[0].status, RunStatus::Success, "{:?}", runs[0].error);
    assert_eq!(
        bench.stored(),
        [
            "notes_2026-11-25T01-00-30Z_be0c4a11.dbk",
            "notes_2026-11-25T01-00-30Z_be0c4a11.dbk.meta.json"
        ]
    );
    // A new scheduler (an app restart) does not run it again either.
    let restarted = Scheduler::new(bench.engine.clone());
    tick(&restarted, "2026-11-25T01:45:00Z").await;
    assert_eq!(bench.runs(&job).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn missed_times_catch_up_once_or_are_skipped_by_policy() {
    let bench = Bench::new();
    let hourly = Schedule::Hourly { minute: 0 };
    let once = bench.job(
        "once",
        hourly.clone(),
        CatchUp::Once,
        "2026-11-25T00:00:00Z",
    );
    let skip = bench.job("skip", hourly, CatchUp::Skip, "2026-11-25T00:00:00Z");
    let scheduler = Scheduler::new(bench.engine.clone());
    // The computer was off from midnight until 05:30 UTC: five times missed.
    tick(&scheduler, "2026-11-25T05:30:00Z").await;
    let runs = bench.runs(&once);
    assert_eq!(runs.len(), 1, "one catch-up run, not a burst: {runs:?}");
    assert_eq!(runs[0].trigger, Trigger::CatchUp);
    assert_eq!(runs[0].status, RunStatus::Success);
    let runs = bench.runs(&skip);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].status, RunStatus::Skipped);
    let reason = &runs[0].error.as_ref().unwrap().message;
    assert!(
        reason.contains("5 scheduled run(s) were missed"),
        "{reason}"
    );
    assert_eq!(
        bench.stored().len(),
        2,
        "only the catch-up run stored a backup"
    );
    // Then both are back on schedule.
    tick(&scheduler, "2026-11-25T06:00:10Z").await;
    assert_eq!(bench.runs(&once).last().unwrap().trigger, Trigger::Schedule);
    assert_eq!(bench.runs(&skip).last().unwrap().trigger, Trigger::Schedule);
    assert_eq!(bench.runs(&skip).last().unwrap().status, RunStatus::Success);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_still_running_is_not_started_twice() {
    let bench = Bench::new();
    let job = bench.job(
        "notes",
        Schedule::Hourly { minute: 0 },
        CatchUp::Once,
        "2026-11-25T00:00:00Z",
    );
    // Another process is running the job: its run row is in the shared state.
    bench
        .engine
        .store()
        .begin_run(
            "other-process",
            &job,
            "notes",
            "manual",
            ts("2026-11-25T00:59:00Z"),
        )
        .unwrap();
    let scheduler = Scheduler::new(bench.engine.clone());
    let mut events = scheduler.subscribe();
    tick(&scheduler, "2026-11-25T01:00:05Z").await;
    let runs = bench.runs(&job);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[1].status, RunStatus::Skipped);
    assert!(runs[1]
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("another DBackup process"));
    assert!(bench.stored().is_empty());
    let mut saw_skip = false;
    while let Ok(event) = events.try_recv() {
        saw_skip |= matches!(event, SchedulerEvent::Skipped { .. });
    }
    assert!(saw_skip);
    // In-process: a second start while the first runs is refused.
    bench
        .engine
        .store()
        .finish_run(
            "other-process",
            &dbackup_store::RunEnd {
                status: "success",
                finished_at: ts("2026-11-25T01:00:06Z"),
                bytes_in: 0,
                bytes_out: 0,
                outcome: serde_json::json!({}),
                error_code: None,
                error_message: None,
            },
        )
        .unwrap();
    scheduler.running().insert(
        job.clone(),
        Running {
            cancel: CancellationToken::new(),
            progress: ProgressReporter::new(None).1,
        },
    );
    tick(&scheduler, "2026-11-25T02:00:05Z").await;
    let last = bench.runs(&job).pop().unwrap();
    assert_eq!(last.status, RunStatus::Skipped);
    assert!(last.error.unwrap().message.contains("still going"));
}

#[tokio::test(flavor = "multi_thread")]
async fn paused_jobs_do_not_run_and_do_not_owe_runs_on_resume() {
    let bench = Bench::new();
    let job = bench.job(
        "notes",
        Schedule::Hourly { minute: 0 },
        CatchUp::Once,
        "2026-11-25T00:00:00Z",
    );
    let scheduler = Scheduler::new(bench.engine.clone());
    bench
        .engine
        .set_job_enabled(&job, false, ts("2026-11-25T00:10:00Z"))
        .unwrap();
    tick(&scheduler, "2026-11-25T01:00:05Z").await;
    tick(&scheduler, "2026-11-25T03:30:00Z").await;
    assert!(bench.runs(&job).is_empty());
    bench
        .engine
        .set_job_enabled(&job, true, ts("2026-11-25T03:31:00Z"))
        .unwrap();
    tick(&scheduler, "2026-11-25T03:40:00Z").await;
    assert!(
        bench.runs(&job).is_empty(),
        "no catch-up for times passed while paused"
    );
    tick(&scheduler, "2026-11-25T04:00:05Z").await;
    assert_eq!(bench.runs(&job).len(), 1);
    // Pausing everything works the same way.
    bench.engine.set_all_paused(true).unwrap();
    tick(&scheduler, "2026-11-25T05:00:05Z").await;
    assert_eq!(bench.runs(&job).len(), 1);
    bench.engine.set_all_paused(false).unwrap();
    tick(&scheduler, "2026-11-25T06:00:05Z").await;
    assert_eq!(bench.runs(&job).len(), 2);
    assert_eq!(bench.runs(&job)[1].trigger, Trigger::Schedule);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_job_runs_once_a_day_across_both_dst_changes() {
    let bench = Bench::new();
    let daily = Schedule::Daily {
        hour: 2,
        minute: 30,
    };
    let job = bench.job("notes", daily, CatchUp::Once, "2026-03-27T12:00:00Z");
    let scheduler = Scheduler::new(bench.engine.clone());
    // Tick every ten minutes, as the loop would, over the spring-forward weekend.
    let mut now = ts("2026-03-27T12:00:00Z");
    while now < ts("2026-03-30T12:00:00Z") {
        tick(&scheduler, &now.to_string()).await;
        now += jiff::SignedDuration::from_mins(10);
    }
    let starts: Vec<String> = bench
        .runs(&job)
        .iter()
        .map(|r| r.started_at.clone())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-03-28T01:30:00Z", // 02:30 CET
            "2026-03-29T01:00:00Z", // 02:30 does not exist: 03:00 CEST
            "2026-03-30T00:30:00Z", // 02:30 CEST
        ]
    );
    // And over the fall-back weekend, where 02:30 happens twice: still once a day.
    let job2 = bench.job(
        "notes autumn",
        Schedule::Daily {
            hour: 2,
            minute: 30,
        },
        CatchUp::Once,
        "2026-10-23T12:00:00Z",
    );
    let mut now = ts("2026-10-23T12:00:00Z");
    while now < ts("2026-10-26T12:00:00Z") {
        tick(&scheduler, &now.to_string()).await;
        now += jiff::SignedDuration::from_mins(10);
    }
    let runs = bench.runs(&job2);
    assert_eq!(
        runs.len(),
        3,
        "{:?}",
        runs.iter().map(|r| &r.started_at).collect::<Vec<_>>()
    );
    assert!(runs.iter().all(|r| r.trigger == Trigger::Schedule));
}

#[test]
fn only_one_scheduler_per_state_and_the_second_says_who() {
    let bench = Bench::new();
    let first =
        SchedulerLock::acquire(&bench.engine, "test daemon A", ts("2026-11-25T10:00:00Z")).unwrap();
    let err = SchedulerLock::acquire(&bench.engine, "test daemon B", ts("2026-11-25T10:01:00Z"))
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("test daemon A (process"), "{message}");
    assert!(message.contains("2026-11-25T10:00:00Z"), "{message}");
    assert_eq!(err.code(), crate::ErrorCode::Conflict);
    drop(first);
    SchedulerLock::acquire(&bench.engine, "test daemon B", ts("2026-11-25T10:02:00Z")).unwrap();
}

#[test]
fn runs_whose_process_died_are_marked_interrupted_and_live_ones_are_not() {
    let bench = Bench::new();
    let job = bench.job(
        "notes",
        Schedule::Manual,
        CatchUp::Once,
        "2026-11-25T00:00:00Z",
    );
    let job2 = bench.job(
        "live",
        Schedule::Manual,
        CatchUp::Once,
        "2026-11-25T00:00:00Z",
    );
    // A dead run: a row, and no process holding its lock.
    bench
        .engine
        .store()
        .begin_run("dead", &job, "notes", "manual", ts("2026-11-25T01:00:00Z"))
        .unwrap();
    // A live run: this process holds its lock.
    let claim = bench.engine.claim_run("live").unwrap();
    bench
        .engine
        .store()
        .begin_run("live", &job2, "live", "manual", ts("2026-11-25T01:00:00Z"))
        .unwrap();
    assert_eq!(
        bench
            .engine
            .recover_interrupted_runs(ts("2026-11-25T02:00:00Z"))
            .unwrap(),
        1
    );
    let dead = bench.engine.run_view("dead").unwrap();
    assert_eq!(dead.status, RunStatus::Interrupted);
    assert!(dead
        .error
        .unwrap()
        .message
        .contains("stopped while this backup ran"));
    assert_eq!(
        bench.engine.run_view("live").unwrap().status,
        RunStatus::Running
    );
    drop(claim);
    assert_eq!(
        bench
            .engine
            .recover_interrupted_runs(ts("2026-11-25T02:00:00Z"))
            .unwrap(),
        1
    );
}

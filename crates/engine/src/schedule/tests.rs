use super::*;

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn utc_times(schedule: &Schedule, after: &str, count: usize) -> Vec<String> {
    let cron = schedule.compile().unwrap().unwrap();
    next_times(&cron, ts(after), &berlin(), count)
        .iter()
        .map(|z| z.timestamp().to_string())
        .collect()
}

#[test]
fn presets_mean_the_cron_expressions_users_would_write() {
    let cases = [
        (Schedule::Hourly { minute: 15 }, "15 * * * *"),
        (
            Schedule::Daily {
                hour: 2,
                minute: 30,
            },
            "30 2 * * *",
        ),
        (
            Schedule::Weekly {
                weekday: Weekday::Sunday,
                hour: 23,
                minute: 0,
            },
            "0 23 * * SUN",
        ),
        (
            Schedule::Monthly {
                day: 1,
                hour: 4,
                minute: 5,
            },
            "5 4 1 * *",
        ),
        (
            Schedule::Monthly {
                day: 0,
                hour: 4,
                minute: 5,
            },
            "5 4 L * *",
        ),
    ];
    for (schedule, expression) in cases {
        assert_eq!(schedule.expression().as_deref(), Some(expression));
        assert!(schedule.compile().unwrap().is_some());
    }
    assert_eq!(Schedule::Manual.compile().unwrap(), None);
    assert_eq!(Weekday::parse("tue"), Some(Weekday::Tuesday));
    assert_eq!(Weekday::parse("Sunday"), Some(Weekday::Sunday));
    assert_eq!(Weekday::parse("s"), None);
}

#[test]
fn bad_schedules_are_refused_with_what_to_write() {
    let err = Schedule::Cron {
        expression: "every day".into(),
    }
    .compile()
    .unwrap_err();
    assert!(err.to_string().contains("five fields"), "{err}");
    assert!(Schedule::Daily {
        hour: 24,
        minute: 0
    }
    .compile()
    .is_err());
    assert!(Schedule::Hourly { minute: 60 }.compile().is_err());
    let err = Schedule::Monthly {
        day: 31,
        hour: 1,
        minute: 0,
    }
    .compile()
    .unwrap_err();
    assert!(err.to_string().contains("last day"), "{err}");
}

#[test]
fn daily_times_are_local_and_run_once_a_day_across_dst() {
    // Berlin springs forward at 02:00 on 2026-03-29 (02:30 does not exist) and falls
    // back at 03:00 on 2026-10-25 (02:30 happens twice).
    let daily = Schedule::Daily {
        hour: 2,
        minute: 30,
    };
    assert_eq!(
        utc_times(&daily, "2026-03-27T12:00:00Z", 3),
        [
            "2026-03-28T01:30:00Z", // 02:30 CET
            "2026-03-29T01:00:00Z", // the gap: 03:00 CEST, right after it
            "2026-03-30T00:30:00Z", // 02:30 CEST
        ]
    );
    let times = utc_times(&daily, "2026-10-23T12:00:00Z", 3);
    assert_eq!(times[0], "2026-10-24T00:30:00Z"); // 02:30 CEST
    assert_eq!(times[2], "2026-10-26T01:30:00Z"); // 02:30 CET
                                                  // Once on the fall-back day, not twice.
    assert!(
        times[1] == "2026-10-25T00:30:00Z" || times[1] == "2026-10-25T01:30:00Z",
        "{times:?}"
    );
}

#[test]
fn the_preview_lists_the_next_five_times() {
    let weekly = Schedule::Weekly {
        weekday: Weekday::Monday,
        hour: 9,
        minute: 0,
    };
    assert_eq!(
        utc_times(&weekly, "2026-11-25T00:00:00Z", 5),
        [
            "2026-11-30T08:00:00Z",
            "2026-12-07T08:00:00Z",
            "2026-12-14T08:00:00Z",
            "2026-12-21T08:00:00Z",
            "2026-12-28T08:00:00Z",
        ]
    );
    let last_day = Schedule::Monthly {
        day: 0,
        hour: 12,
        minute: 0,
    };
    assert_eq!(
        utc_times(&last_day, "2027-01-15T00:00:00Z", 2),
        ["2027-01-31T11:00:00Z", "2027-02-28T11:00:00Z"]
    );
}

#[test]
fn due_runs_on_time_catches_up_once_or_skips() {
    let tz = berlin();
    let cron = Schedule::Hourly { minute: 0 }.compile().unwrap().unwrap();
    let handled = ts("2026-11-25T10:00:00Z");
    // Before the next time: wait, and say when.
    assert_eq!(
        due(
            &cron,
            handled,
            ts("2026-11-25T10:59:59Z"),
            &tz,
            CatchUp::Once
        ),
        Due::Wait {
            next: Some(ts("2026-11-25T11:00:00Z"))
        }
    );
    // At it, and a little late: run as scheduled.
    for now in ["2026-11-25T11:00:00Z", "2026-11-25T11:04:00Z"] {
        assert_eq!(
            due(&cron, handled, ts(now), &tz, CatchUp::Once),
            Due::Run {
                slot: ts("2026-11-25T11:00:00Z"),
                catch_up: false
            }
        );
    }
    // Asleep for three hours: one catch-up run for the newest missed time, not three.
    assert_eq!(
        due(
            &cron,
            handled,
            ts("2026-11-25T13:30:00Z"),
            &tz,
            CatchUp::Once
        ),
        Due::Run {
            slot: ts("2026-11-25T13:00:00Z"),
            catch_up: true
        }
    );
    assert_eq!(
        due(
            &cron,
            handled,
            ts("2026-11-25T13:30:00Z"),
            &tz,
            CatchUp::Skip
        ),
        Due::Skip {
            missed: 3,
            last: ts("2026-11-25T13:00:00Z")
        }
    );
    // Woken right at a scheduled time: that run is on time, the missed ones fold into it.
    assert_eq!(
        due(
            &cron,
            handled,
            ts("2026-11-25T14:01:00Z"),
            &tz,
            CatchUp::Skip
        ),
        Due::Run {
            slot: ts("2026-11-25T14:00:00Z"),
            catch_up: false
        }
    );
}

#[test]
fn due_judges_years_off_quickly() {
    let cron = Schedule::Cron {
        expression: "* * * * *".into(),
    }
    .compile()
    .unwrap()
    .unwrap();
    let started = std::time::Instant::now();
    let decision = due(
        &cron,
        ts("2020-01-01T00:00:00Z"),
        ts("2026-01-01T00:00:00Z"),
        &TimeZone::UTC,
        CatchUp::Skip,
    );
    assert!(
        matches!(decision, Due::Skip { missed: 10_000, .. }),
        "{decision:?}"
    );
    // A bound, not a benchmark: counting is capped.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn schedules_describe_themselves_in_words() {
    assert_eq!(
        Schedule::Daily { hour: 2, minute: 5 }.describe(),
        "daily at 02:05"
    );
    let every = Schedule::Cron {
        expression: "* * * * *".into(),
    }
    .describe();
    assert!(every.to_lowercase().contains("every minute"), "{every}");
    let weekdays = Schedule::Cron {
        expression: "30 2 * * 1-5".into(),
    }
    .describe();
    assert!(
        weekdays.contains("02:30") || weekdays.contains("2:30"),
        "{weekdays}"
    );
}

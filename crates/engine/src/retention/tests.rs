use super::*;

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// One backup a day at 02:00 Berlin time, from `first` to `last` (civil dates).
fn daily(first: &str, last: &str) -> Vec<Candidate> {
    let tz = berlin();
    let mut date: Date = first.parse().unwrap();
    let last: Date = last.parse().unwrap();
    let mut out = Vec::new();
    while date <= last {
        let at = date
            .at(2, 0, 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp();
        out.push(Candidate {
            object: format!("job/job_{date}.dbk"),
            created_at: at,
            locked: false,
            lock_until: None,
        });
        date = date.tomorrow().unwrap();
    }
    out
}

/// The kept backups' (local date, reason), newest first.
fn kept(decisions: &[Decision]) -> Vec<(String, String)> {
    decisions
        .iter()
        .filter(|d| d.keep)
        .map(|d| {
            let date = d
                .object
                .trim_start_matches("job/job_")
                .trim_end_matches(".dbk");
            (date.to_owned(), d.reason.clone())
        })
        .collect()
}

fn gfs(hourly: u32, daily: u32, weekly: u32, monthly: u32, yearly: u32) -> Retention {
    Retention::Gfs(GfsTiers {
        hourly,
        daily,
        weekly,
        monthly,
        yearly,
    })
}

#[test]
fn gfs_over_four_years_of_daily_backups_keeps_exactly_the_tiers_in_sequence() {
    let backups = daily("2023-01-01", "2026-11-24");
    let now = ts("2026-11-24T12:00:00Z");
    let decisions = plan(&gfs(0, 7, 4, 12, 2), &backups, now, &berlin());
    assert_eq!(decisions.len(), backups.len());
    let expected: Vec<(&str, &str)> = vec![
        // Seven days.
        ("2026-11-24", "daily 2026-11-24"),
        ("2026-11-23", "daily 2026-11-23"),
        ("2026-11-22", "daily 2026-11-22"),
        ("2026-11-21", "daily 2026-11-21"),
        ("2026-11-20", "daily 2026-11-20"),
        ("2026-11-19", "daily 2026-11-19"),
        ("2026-11-18", "daily 2026-11-18"),
        // Then four weeks before them: W47 (Mon 16 - Sun 22) holds the oldest daily.
        ("2026-11-15", "weekly 2026-W46"),
        ("2026-11-08", "weekly 2026-W45"),
        ("2026-11-01", "weekly 2026-W44"),
        ("2026-10-25", "weekly 2026-W43"),
        // Then twelve months before October, which the oldest weekly is in.
        ("2026-09-30", "monthly 2026-09"),
        ("2026-08-31", "monthly 2026-08"),
        ("2026-07-31", "monthly 2026-07"),
        ("2026-06-30", "monthly 2026-06"),
        ("2026-05-31", "monthly 2026-05"),
        ("2026-04-30", "monthly 2026-04"),
        ("2026-03-31", "monthly 2026-03"),
        ("2026-02-28", "monthly 2026-02"),
        ("2026-01-31", "monthly 2026-01"),
        ("2025-12-31", "monthly 2025-12"),
        ("2025-11-30", "monthly 2025-11"),
        ("2025-10-31", "monthly 2025-10"),
        // Then two years before 2025.
        ("2024-12-31", "yearly 2024"),
        ("2023-12-31", "yearly 2023"),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    assert_eq!(kept(&decisions), expected);
    assert_eq!(decisions.iter().filter(|d| d.keep).count(), 25);
    assert!(decisions
        .iter()
        .filter(|d| !d.keep)
        .all(|d| d.reason == "beyond every tier"));
}

#[test]
fn a_tier_counts_periods_that_have_backups_not_wall_clock_time() {
    // Backups only on three days of the last two weeks: daily 3 keeps all three.
    let mut backups = daily("2026-11-01", "2026-11-01");
    backups.extend(daily("2026-11-10", "2026-11-10"));
    backups.extend(daily("2026-11-20", "2026-11-20"));
    let decisions = plan(
        &gfs(0, 3, 0, 0, 0),
        &backups,
        ts("2026-11-24T00:00:00Z"),
        &berlin(),
    );
    assert!(decisions.iter().all(|d| d.keep), "{decisions:?}");
}

#[test]
fn locked_backups_are_kept_and_count_toward_no_tier() {
    let mut backups = daily("2026-11-20", "2026-11-24");
    backups[4].locked = true; // the newest
    backups[0].locked = true; // the oldest
    let decisions = plan(
        &Retention::Last { count: 2 },
        &backups,
        ts("2026-11-25T00:00:00Z"),
        &berlin(),
    );
    assert_eq!(
        kept(&decisions),
        vec![
            ("2026-11-24".to_owned(), "locked".to_owned()),
            ("2026-11-23".to_owned(), "last 1 of 2".to_owned()),
            ("2026-11-22".to_owned(), "last 2 of 2".to_owned()),
            ("2026-11-20".to_owned(), "locked".to_owned()),
        ]
    );
    let deleted: Vec<_> = decisions.iter().filter(|d| !d.keep).collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].object, "job/job_2026-11-21.dbk");
    assert_eq!(deleted[0].reason, "older than the last 2");

    // In GFS too: a locked backup does not fill the day it is in.
    let decisions = plan(
        &gfs(0, 1, 0, 0, 0),
        &backups,
        ts("2026-11-25T00:00:00Z"),
        &berlin(),
    );
    assert_eq!(
        kept(&decisions)[1],
        ("2026-11-23".to_owned(), "daily 2026-11-23".to_owned())
    );
}

#[test]
fn month_and_year_periods_follow_the_users_time_zone() {
    // 23:30 UTC on New Year's Eve is already 00:30 on 1 January in Berlin.
    let backups = vec![
        Candidate {
            object: "a".into(),
            created_at: ts("2026-12-31T23:30:00Z"),
            locked: false,
            lock_until: None,
        },
        Candidate {
            object: "b".into(),
            created_at: ts("2026-12-31T22:30:00Z"),
            locked: false,
            lock_until: None,
        },
    ];
    let now = ts("2027-01-02T00:00:00Z");
    let berlin_plan = plan(&gfs(0, 0, 0, 0, 2), &backups, now, &berlin());
    assert!(berlin_plan.iter().all(|d| d.keep), "{berlin_plan:?}");
    assert_eq!(berlin_plan[0].reason, "yearly 2027");
    assert_eq!(berlin_plan[1].reason, "yearly 2026");
    // In UTC both are in 2026: one yearly period, the newer backup kept.
    let utc_plan = plan(&gfs(0, 0, 0, 0, 2), &backups, now, &TimeZone::UTC);
    assert!(utc_plan[0].keep && !utc_plan[1].keep, "{utc_plan:?}");
    // Months likewise.
    let month_plan = plan(&gfs(0, 0, 0, 1, 0), &backups, now, &berlin());
    assert_eq!(month_plan[0].reason, "monthly 2027-01");
    assert!(!month_plan[1].keep);
}

#[test]
fn the_hour_repeated_when_dst_ends_is_one_hourly_period() {
    // Berlin falls back at 03:00 CEST on 2026-10-25: 02:00-03:00 happens twice.
    let backups: Vec<Candidate> = [
        "2026-10-24T22:00:00Z", // 00:00 CEST
        "2026-10-24T23:00:00Z", // 01:00 CEST
        "2026-10-25T00:00:00Z", // 02:00 CEST
        "2026-10-25T01:00:00Z", // 02:00 CET
        "2026-10-25T02:00:00Z", // 03:00 CET
        "2026-10-25T03:00:00Z", // 04:00 CET
    ]
    .iter()
    .map(|t| Candidate {
        object: (*t).to_owned(),
        created_at: ts(t),
        locked: false,
        lock_until: None,
    })
    .collect();
    let decisions = plan(
        &gfs(10, 0, 0, 0, 0),
        &backups,
        ts("2026-10-26T00:00:00Z"),
        &berlin(),
    );
    let dropped: Vec<_> = decisions
        .iter()
        .filter(|d| !d.keep)
        .map(|d| d.object.as_str())
        .collect();
    assert_eq!(dropped, ["2026-10-25T00:00:00Z"]);
    let reasons: Vec<_> = decisions
        .iter()
        .filter(|d| d.keep)
        .map(|d| d.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "hourly 2026-10-25 04:00",
            "hourly 2026-10-25 03:00",
            "hourly 2026-10-25 02:00",
            "hourly 2026-10-25 01:00",
            "hourly 2026-10-25 00:00"
        ]
    );
}

#[test]
fn the_short_day_when_dst_starts_is_one_daily_period() {
    // Every 30 minutes across 2026-03-29, the 23-hour day in Berlin.
    let mut backups = Vec::new();
    let mut at = ts("2026-03-27T23:00:00Z");
    while at < ts("2026-03-30T22:00:00Z") {
        backups.push(Candidate {
            object: at.to_string(),
            created_at: at,
            locked: false,
            lock_until: None,
        });
        at += jiff::SignedDuration::from_mins(30);
    }
    let decisions = plan(
        &gfs(0, 3, 0, 0, 0),
        &backups,
        ts("2026-04-01T00:00:00Z"),
        &berlin(),
    );
    let kept: Vec<_> = decisions
        .iter()
        .filter(|d| d.keep)
        .map(|d| (d.object.as_str(), d.reason.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            ("2026-03-30T21:30:00Z", "daily 2026-03-30"), // 23:30 CEST
            ("2026-03-29T21:30:00Z", "daily 2026-03-29"), // 23:30 CEST, after the jump
            ("2026-03-28T22:30:00Z", "daily 2026-03-28"), // 23:30 CET
        ]
    );
}

#[test]
fn nothing_to_delete_and_nothing_stored_are_plain_outcomes() {
    let now = ts("2026-11-25T00:00:00Z");
    assert!(plan(&gfs(0, 7, 4, 12, 2), &[], now, &berlin()).is_empty());
    let few = daily("2026-11-22", "2026-11-24");
    let decisions = plan(&Retention::Last { count: 5 }, &few, now, &berlin());
    assert!(decisions.iter().all(|d| d.keep));
    let off = plan(&Retention::None, &few, now, &berlin());
    assert!(off.iter().all(|d| d.keep && d.reason == "retention is off"));
}

#[test]
fn backups_dated_after_now_are_kept_and_not_counted() {
    let backups = daily("2026-11-20", "2026-11-24");
    let now = ts("2026-11-22T12:00:00Z");
    let decisions = plan(&Retention::Last { count: 1 }, &backups, now, &berlin());
    let kept_now = kept(&decisions);
    assert_eq!(kept_now.len(), 3, "{kept_now:?}");
    assert!(kept_now[0].1.contains("check the clock"));
    assert_eq!(
        kept_now[2],
        ("2026-11-22".to_owned(), "last 1 of 1".to_owned())
    );
}

#[test]
fn settings_that_would_delete_everything_are_refused() {
    assert!(Retention::Last { count: 0 }.validate().is_err());
    assert!(gfs(0, 0, 0, 0, 0).validate().is_err());
    assert!(gfs(0, 0, 0, 0, 1).validate().is_ok());
    assert_eq!(gfs(0, 7, 4, 12, 2).summary(), "GFS 7d 4w 12m 2y");
    assert_eq!(Retention::Last { count: 3 }.summary(), "keep last 3");
    // The stored shape.
    assert_eq!(
        serde_json::to_value(gfs(0, 7, 0, 0, 0)).unwrap(),
        serde_json::json!({"mode": "gfs", "hourly": 0, "daily": 7, "weekly": 0, "monthly": 0, "yearly": 0})
    );
    let parsed: Retention = serde_json::from_str(r#"{"mode":"last","count":2}"#).unwrap();
    assert_eq!(parsed, Retention::Last { count: 2 });
}

#[test]
fn gfs_over_two_years_of_hourly_backups_fills_each_tier_below_the_last() {
    let mut backups = Vec::new();
    let mut at = ts("2025-01-01T00:00:00Z");
    let end = ts("2026-11-24T12:00:00Z");
    while at <= end {
        backups.push(Candidate {
            object: at.to_string(),
            created_at: at,
            locked: false,
            lock_until: None,
        });
        at += jiff::SignedDuration::from_hours(1);
    }
    let decisions = plan(&gfs(24, 7, 4, 12, 1), &backups, end, &berlin());
    let kept: Vec<_> = decisions
        .iter()
        .filter(|d| d.keep)
        .map(|d| (d.object.as_str(), d.reason.as_str()))
        .collect();
    // The yearly tier starts below 2025, which the oldest monthly is in: no backups there.
    assert_eq!(kept.len(), 24 + 7 + 4 + 12, "{kept:?}");
    // 24 hours, newest first: 13:00 Berlin back to 14:00 the day before.
    assert_eq!(kept[0], ("2026-11-24T12:00:00Z", "hourly 2026-11-24 13:00"));
    assert_eq!(
        kept[23],
        ("2026-11-23T13:00:00Z", "hourly 2026-11-23 14:00")
    );
    // The days before the 23rd (which the oldest hourly is in), each at 23:00 Berlin.
    assert_eq!(kept[24], ("2026-11-22T22:00:00Z", "daily 2026-11-22"));
    assert_eq!(kept[30], ("2026-11-16T22:00:00Z", "daily 2026-11-16"));
    // Weeks before W47 (16 Nov is its Monday), each on its Sunday at 23:00.
    assert_eq!(kept[31], ("2026-11-15T22:00:00Z", "weekly 2026-W46"));
    assert_eq!(kept[34], ("2026-10-25T22:00:00Z", "weekly 2026-W43"));
    // Months before October, each on its last day at 23:00 (CEST until October).
    assert_eq!(kept[35], ("2026-09-30T21:00:00Z", "monthly 2026-09"));
    assert_eq!(kept[46], ("2025-10-31T22:00:00Z", "monthly 2025-10"));
}

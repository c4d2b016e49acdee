//! When jobs run: presets and cron expressions, evaluated in the user's time zone,
//! and the scheduler's one decision ("is this job due, and how?"). Pure: `now` and
//! the time zone come in, so tests control both.

use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use crate::EngineError;

/// A scheduled time this late is still run as scheduled; later, it counts as missed.
pub const ON_TIME_GRACE: SignedDuration = SignedDuration::from_mins(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    fn cron(self) -> &'static str {
        match self {
            Weekday::Monday => "MON",
            Weekday::Tuesday => "TUE",
            Weekday::Wednesday => "WED",
            Weekday::Thursday => "THU",
            Weekday::Friday => "FRI",
            Weekday::Saturday => "SAT",
            Weekday::Sunday => "SUN",
        }
    }

    /// `mon`, `Monday`, `TUE`...
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let all = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        all.into_iter().find(|d| {
            let full = format!("{d:?}").to_ascii_lowercase();
            t.len() >= 3 && full.starts_with(&t)
        })
    }
}

/// When a job runs by itself. Times are local to the user's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// Only when started by hand.
    #[default]
    Manual,
    Hourly {
        minute: u8,
    },
    Daily {
        hour: u8,
        minute: u8,
    },
    Weekly {
        weekday: Weekday,
        hour: u8,
        minute: u8,
    },
    /// `day` 1-28, or 0 for the last day of the month.
    Monthly {
        day: u8,
        hour: u8,
        minute: u8,
    },
    /// Five fields: minute hour day-of-month month day-of-week.
    Cron {
        expression: String,
    },
}

/// What to do about scheduled times missed while the computer was off or asleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// One run at start, however many were missed.
    #[default]
    Once,
    /// Record them as skipped and wait for the next time.
    Skip,
}

impl Schedule {
    /// The cron expression this schedule means, or `None` for manual jobs.
    pub fn expression(&self) -> Option<String> {
        match self {
            Schedule::Manual => None,
            Schedule::Hourly { minute } => Some(format!("{minute} * * * *")),
            Schedule::Daily { hour, minute } => Some(format!("{minute} {hour} * * *")),
            Schedule::Weekly {
                weekday,
                hour,
                minute,
            } => Some(format!("{minute} {hour} * * {}", weekday.cron())),
            Schedule::Monthly {
                day: 0,
                hour,
                minute,
            } => Some(format!("{minute} {hour} L * *")),
            Schedule::Monthly { day, hour, minute } => Some(format!("{minute} {hour} {day} * *")),
            Schedule::Cron { expression } => Some(expression.trim().to_owned()),
        }
    }

    /// Checks the fields, and parses the expression. `None` for manual jobs.
    pub fn compile(&self) -> Result<Option<Cron>, EngineError> {
        let field = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(EngineError::invalid("schedule", what.to_owned()))
            }
        };
        match self {
            Schedule::Hourly { minute } => field(*minute < 60, "the minute must be 0 to 59")?,
            Schedule::Daily { hour, minute } | Schedule::Weekly { hour, minute, .. } => field(
                *hour < 24 && *minute < 60,
                "give a time from 00:00 to 23:59",
            )?,
            Schedule::Monthly { day, hour, minute } => {
                field(
                    *hour < 24 && *minute < 60,
                    "give a time from 00:00 to 23:59",
                )?;
                field(
                    *day <= 28,
                    "choose a day from 1 to 28, or the last day of the month (not every month has a 29th)",
                )?;
            }
            Schedule::Manual | Schedule::Cron { .. } => {}
        }
        let Some(expression) = self.expression() else {
            return Ok(None);
        };
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build();
        parser.parse(&expression).map(Some).map_err(|e| {
            EngineError::invalid(
                "schedule",
                format!(
                    "{expression:?} is not a cron expression ({e}); use five fields: minute hour day-of-month month day-of-week, e.g. \"30 2 * * *\" for 02:30 every day"
                ),
            )
        })
    }

    /// In words, e.g. "daily at 02:30".
    pub fn describe(&self) -> String {
        match self {
            Schedule::Manual => "manual only".into(),
            Schedule::Hourly { minute } => format!("hourly at :{minute:02}"),
            Schedule::Daily { hour, minute } => format!("daily at {hour:02}:{minute:02}"),
            Schedule::Weekly {
                weekday,
                hour,
                minute,
            } => format!("every {weekday:?} at {hour:02}:{minute:02}"),
            Schedule::Monthly {
                day: 0,
                hour,
                minute,
            } => {
                format!("monthly on the last day at {hour:02}:{minute:02}")
            }
            Schedule::Monthly { day, hour, minute } => {
                format!("monthly on day {day} at {hour:02}:{minute:02}")
            }
            Schedule::Cron { expression } => match self.compile() {
                // croner's own words, e.g. "At 02:30 on Monday through Friday"; the
                // expression itself is shown next to it where there is room.
                Ok(Some(cron)) => cron.describe().trim_end_matches('.').to_owned(),
                _ => format!("cron {expression}"),
            },
        }
    }
}

/// The next `count` times after `after`, in `tz`.
pub fn next_times(cron: &Cron, after: Timestamp, tz: &TimeZone, count: usize) -> Vec<Zoned> {
    cron.iter_after(after.to_zoned(tz.clone()))
        .take(count)
        .collect()
}

/// What the scheduler should do about a job now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Not yet; the next time, if there is one.
    Wait { next: Option<Timestamp> },
    /// Run it: on time (`catch_up` false) or once for missed times.
    Run { slot: Timestamp, catch_up: bool },
    /// Times were missed and the job's policy is to skip them.
    Skip { missed: u32, last: Timestamp },
}

/// Decides from the schedule, the time up to which it was handled, and `now`.
pub fn due(
    cron: &Cron,
    handled_until: Timestamp,
    now: Timestamp,
    tz: &TimeZone,
    catch_up: CatchUp,
) -> Due {
    // Counting stops early: a job off for years must not take long to judge.
    const MAX_COUNT: u32 = 10_000;
    let mut missed = 0u32;
    let mut last: Option<Timestamp> = None;
    let mut next: Option<Timestamp> = None;
    for time in cron.iter_after(handled_until.to_zoned(tz.clone())) {
        let t = time.timestamp();
        if t > now {
            next = Some(t);
            break;
        }
        missed += 1;
        last = Some(t);
        if missed >= MAX_COUNT {
            break;
        }
    }
    match last {
        None => Due::Wait { next },
        Some(slot) if now.duration_since(slot) <= ON_TIME_GRACE => Due::Run {
            slot,
            catch_up: false,
        },
        Some(slot) => match catch_up {
            CatchUp::Once => Due::Run {
                slot,
                catch_up: true,
            },
            CatchUp::Skip => Due::Skip { missed, last: slot },
        },
    }
}

#[cfg(test)]
mod tests;

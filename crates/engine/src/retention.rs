//! Which backups of a job to keep on a destination. Pure: the backups, `now` and the
//! time zone come in, a decision per backup comes out, so every rule is testable.
//!
//! Rules (shown next to the numbers in the app):
//! - Locked backups (and those under S3 Object Lock until a later date) are always
//!   kept and count toward nothing.
//! - Backups dated after `now` (a clock that was ahead) are kept and count toward nothing.
//! - Keep last N: the N newest.
//! - GFS: tiers hourly, daily, weekly (ISO weeks), monthly, yearly, in that order. A tier
//!   keeps the newest backup of each of its periods, for as many periods as its number,
//!   counting periods that have backups (a skipped run does not lose a slot). Tiers add
//!   up: each starts below the oldest backup the tiers before it kept, and skips the
//!   period that backup falls in. So daily 7 + weekly 4 keeps seven days, then four
//!   weeks before them. Periods are in the user's time zone; the hour repeated when DST
//!   ends is one hourly period.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::EngineError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GfsTiers {
    #[serde(default)]
    pub hourly: u32,
    #[serde(default)]
    pub daily: u32,
    #[serde(default)]
    pub weekly: u32,
    #[serde(default)]
    pub monthly: u32,
    #[serde(default)]
    pub yearly: u32,
}

/// A destination's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Retention {
    /// Keep everything.
    #[default]
    None,
    /// Keep the newest `count`.
    Last { count: u32 },
    /// Grandfather-father-son.
    Gfs(GfsTiers),
}

impl Retention {
    pub fn validate(&self) -> Result<(), EngineError> {
        match self {
            Retention::None => Ok(()),
            Retention::Last { count: 0 } => Err(EngineError::invalid(
                "retention",
                "keep at least the last 1 backup (or turn retention off)",
            )),
            Retention::Last { .. } => Ok(()),
            Retention::Gfs(t) => {
                if t.hourly + t.daily + t.weekly + t.monthly + t.yearly == 0 {
                    return Err(EngineError::invalid(
                        "retention",
                        "give at least one tier a number above 0 (or turn retention off)",
                    ));
                }
                Ok(())
            }
        }
    }

    /// One line for lists, e.g. `keep last 3` or `GFS 7d 4w 12m 2y`.
    pub fn summary(&self) -> String {
        match self {
            Retention::None => "keep all".into(),
            Retention::Last { count } => format!("keep last {count}"),
            Retention::Gfs(t) => {
                let parts: Vec<String> = [
                    (t.hourly, "h"),
                    (t.daily, "d"),
                    (t.weekly, "w"),
                    (t.monthly, "m"),
                    (t.yearly, "y"),
                ]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, unit)| format!("{n}{unit}"))
                .collect();
                format!("GFS {}", parts.join(" "))
            }
        }
    }
}

/// A backup retention judges: its object and the creation time from its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub object: String,
    pub created_at: Timestamp,
    pub locked: bool,
    /// S3 Object Lock retention: the server refuses deletion until then.
    pub lock_until: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub object: String,
    /// The series it was judged in, e.g. `database shop, from this computer`: each
    /// database (and each computer's backups) is judged on its own.
    pub series: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub keep: bool,
    /// Why, e.g. `daily 2026-11-20`, `locked`, `last 2 of 3`, `beyond every tier`.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// A period of a tier, comparable within that tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Hour(Date, i8),
    Day(Date),
    Week(i16, i8),
    Month(i16, i8),
    Year(i16),
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Tier::Hourly => "hourly",
            Tier::Daily => "daily",
            Tier::Weekly => "weekly",
            Tier::Monthly => "monthly",
            Tier::Yearly => "yearly",
        }
    }

    fn period(self, at: Timestamp, tz: &TimeZone) -> Period {
        // Civil time: the two 02:00s of a DST fall-back day are one hourly period.
        let civil = at.to_zoned(tz.clone()).datetime();
        let date = civil.date();
        match self {
            Tier::Hourly => Period::Hour(date, civil.hour()),
            Tier::Daily => Period::Day(date),
            Tier::Weekly => {
                let week = date.iso_week_date();
                Period::Week(week.year(), week.week())
            }
            Tier::Monthly => Period::Month(date.year(), date.month()),
            Tier::Yearly => Period::Year(date.year()),
        }
    }
}

impl Period {
    fn label(self) -> String {
        match self {
            Period::Hour(d, h) => format!("{d} {h:02}:00"),
            Period::Day(d) => d.to_string(),
            Period::Week(y, w) => format!("{y:04}-W{w:02}"),
            Period::Month(y, m) => format!("{y:04}-{m:02}"),
            Period::Year(y) => format!("{y:04}"),
        }
    }
}

/// Decides, for every backup, whether it stays and why. Output is newest first.
pub fn plan(
    retention: &Retention,
    backups: &[Candidate],
    now: Timestamp,
    tz: &TimeZone,
) -> Vec<Decision> {
    let mut order: Vec<&Candidate> = backups.iter().collect();
    order.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.object.cmp(&a.object))
    });
    let mut reasons: Vec<Option<String>> = vec![None; order.len()];
    // The backups tiers may count: not locked, not from the future.
    let mut countable = Vec::new();
    for (i, b) in order.iter().enumerate() {
        if b.locked {
            reasons[i] = Some("locked".into());
        } else if let Some(until) = b.lock_until.filter(|u| *u > now) {
            reasons[i] = Some(format!(
                "object lock until {}",
                until.strftime("%Y-%m-%d %H:%M UTC")
            ));
        } else if b.created_at > now {
            reasons[i] = Some("dated after now (check the clock); kept".into());
        } else {
            countable.push(i);
        }
    }

    match retention {
        Retention::None => {
            for &i in &countable {
                reasons[i] = Some("retention is off".into());
            }
        }
        Retention::Last { count } => {
            for (rank, &i) in countable.iter().take(*count as usize).enumerate() {
                reasons[i] = Some(format!("last {} of {count}", rank + 1));
            }
        }
        Retention::Gfs(tiers) => {
            let mut oldest_kept: Option<Timestamp> = None;
            for (tier, wanted) in [
                (Tier::Hourly, tiers.hourly),
                (Tier::Daily, tiers.daily),
                (Tier::Weekly, tiers.weekly),
                (Tier::Monthly, tiers.monthly),
                (Tier::Yearly, tiers.yearly),
            ] {
                if wanted == 0 {
                    continue;
                }
                let boundary = oldest_kept.map(|t| tier.period(t, tz));
                let mut last: Option<Period> = None;
                let mut taken = 0u32;
                for &i in &countable {
                    if taken == wanted {
                        break;
                    }
                    let at = order[i].created_at;
                    if reasons[i].is_some() || oldest_kept.is_some_and(|o| at >= o) {
                        continue;
                    }
                    let period = tier.period(at, tz);
                    if Some(period) == boundary || Some(period) == last {
                        continue;
                    }
                    reasons[i] = Some(format!("{} {}", tier.name(), period.label()));
                    last = Some(period);
                    taken += 1;
                    oldest_kept = Some(oldest_kept.map_or(at, |o| o.min(at)));
                }
            }
        }
    }

    order
        .iter()
        .zip(reasons)
        .map(|(b, reason)| Decision {
            object: b.object.clone(),
            series: String::new(),
            created_at: b.created_at.to_string(),
            keep: reason.is_some(),
            reason: reason.unwrap_or_else(|| match retention {
                Retention::Last { count } => format!("older than the last {count}"),
                _ => "beyond every tier".into(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests;

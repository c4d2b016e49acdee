//! The one-line state of all jobs, for the tray (its icon and status line) and the
//! dashboard: running (with progress), needing attention (last run failed), or idle.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

use crate::jobs::JobView;
use crate::runs::RunStatus;
use crate::transfer::progress::Progress;
use crate::{Engine, EngineError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OverallState {
    Idle,
    Running,
    /// A job's last run failed, was partial or was interrupted.
    Attention,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StatusSummary {
    pub state: OverallState,
    /// e.g. "Backing up orders: 42%", "orders failed", "Next: orders at 02:30".
    pub line: String,
}

fn needs_attention(status: RunStatus) -> bool {
    matches!(
        status,
        RunStatus::Failed | RunStatus::Partial | RunStatus::Interrupted
    )
}

fn percent(progress: &Progress) -> Option<u64> {
    let total = progress.total.filter(|t| *t > 0)?;
    Some((progress.bytes_in.min(total) * 100) / total)
}

/// `running` is what runs now, by job id, with its progress.
pub fn summarize(
    jobs: &[JobView],
    running: &[(String, Progress)],
    all_paused: bool,
    now: Timestamp,
    tz: &TimeZone,
) -> StatusSummary {
    let name_of = |id: &str| {
        jobs.iter()
            .find(|j| j.id == id)
            .map(|j| j.name.clone())
            .unwrap_or_else(|| "a job".into())
    };
    if let Some((id, progress)) = running.first() {
        let mut line = format!("Backing up {}", name_of(id));
        if let Some(p) = percent(progress) {
            line.push_str(&format!(": {p}%"));
        }
        if running.len() > 1 {
            line.push_str(&format!(" (+{} more)", running.len() - 1));
        }
        return StatusSummary {
            state: OverallState::Running,
            line,
        };
    }
    let failing: Vec<&JobView> = jobs
        .iter()
        .filter(|j| {
            j.last_run
                .as_ref()
                .is_some_and(|r| needs_attention(r.status))
        })
        .collect();
    if let Some(first) = failing.first() {
        let line = match failing.len() {
            1 => format!("Last backup of {} failed", first.name),
            n => format!("{n} jobs need attention"),
        };
        return StatusSummary {
            state: OverallState::Attention,
            line,
        };
    }
    if jobs.is_empty() {
        return StatusSummary {
            state: OverallState::Idle,
            line: "No jobs yet".into(),
        };
    }
    if all_paused {
        return StatusSummary {
            state: OverallState::Idle,
            line: "All schedules paused".into(),
        };
    }
    let next = jobs
        .iter()
        .filter(|j| j.enabled)
        .filter_map(|j| {
            let at = j.next_runs.first()?.parse::<Timestamp>().ok()?;
            Some((at, j))
        })
        .filter(|(at, _)| *at > now)
        .min_by_key(|(at, _)| *at);
    let line = match next {
        Some((at, job)) => {
            let local = at.to_zoned(tz.clone());
            let today = now.to_zoned(tz.clone()).date();
            let when = if local.date() == today {
                local.strftime("%H:%M").to_string()
            } else if Some(local.date()) == today.tomorrow().ok() {
                local.strftime("tomorrow %H:%M").to_string()
            } else {
                local.strftime("%a %d %b %H:%M").to_string()
            };
            format!("Next: {} at {when}", job.name)
        }
        None => "Up to date; no scheduled runs".into(),
    };
    StatusSummary {
        state: OverallState::Idle,
        line,
    }
}

impl Engine {
    /// The state of all jobs now; `running` comes from the scheduler of this process.
    pub fn status(
        &self,
        running: &[(String, Progress)],
        now: Timestamp,
    ) -> Result<StatusSummary, EngineError> {
        let jobs = self.list_jobs(now)?;
        Ok(summarize(
            &jobs,
            running,
            self.all_paused()?,
            now,
            &self.time_zone,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::CompressionChoice;
    use crate::runs::{RunOutcome, RunView, Trigger};
    use crate::schedule::{CatchUp, Schedule};
    use crate::transfer::progress::Phase;

    fn job(id: &str, next: Option<&str>, last: Option<RunStatus>) -> JobView {
        JobView {
            id: id.into(),
            name: id.into(),
            source_id: "s".into(),
            source_name: "s".into(),
            targets: Vec::new(),
            schedule: Schedule::Manual,
            schedule_summary: String::new(),
            next_runs: next.into_iter().map(String::from).collect(),
            catch_up: CatchUp::Once,
            compression: CompressionChoice::Zstd,
            level: 3,
            key_profile_id: None,
            key_profile_name: None,
            notify_on_failure: true,
            notify_on_success: false,
            enabled: true,
            last_run: last.map(|status| RunView {
                id: "r".into(),
                job_id: Some(id.into()),
                job_name: id.into(),
                trigger: Trigger::Schedule,
                status,
                started_at: "2026-12-01T00:00:00Z".into(),
                finished_at: None,
                duration_seconds: None,
                bytes_in: 0,
                bytes_out: 0,
                ratio: None,
                outcome: RunOutcome::default(),
                error: None,
            }),
            running: false,
        }
    }

    fn progress(bytes_in: u64, total: Option<u64>) -> Progress {
        Progress {
            phase: Phase::Transferring,
            bytes_in,
            bytes_out: 0,
            total,
            rate: 0.0,
            eta_seconds: None,
        }
    }

    const NOW: &str = "2026-12-02T10:00:00Z";

    #[test]
    fn running_beats_failure_and_shows_the_percent() {
        let jobs = [
            job("orders", None, Some(RunStatus::Failed)),
            job("files", None, None),
        ];
        let running = [("files".to_owned(), progress(42, Some(100)))];
        let s = summarize(&jobs, &running, false, NOW.parse().unwrap(), &TimeZone::UTC);
        assert_eq!(s.state, OverallState::Running);
        assert_eq!(s.line, "Backing up files: 42%");
        let unknown_size = [("files".to_owned(), progress(42, None))];
        let s = summarize(
            &jobs,
            &unknown_size,
            false,
            NOW.parse().unwrap(),
            &TimeZone::UTC,
        );
        assert_eq!(s.line, "Backing up files");
    }

    #[test]
    fn a_failed_partial_or_interrupted_last_run_needs_attention() {
        for status in [
            RunStatus::Failed,
            RunStatus::Partial,
            RunStatus::Interrupted,
        ] {
            let jobs = [
                job("orders", None, Some(status)),
                job("files", None, Some(RunStatus::Success)),
            ];
            let s = summarize(&jobs, &[], false, NOW.parse().unwrap(), &TimeZone::UTC);
            assert_eq!(s.state, OverallState::Attention, "{status:?}");
            assert_eq!(s.line, "Last backup of orders failed");
        }
        let jobs = [job("a", None, Some(RunStatus::Cancelled))];
        let s = summarize(&jobs, &[], false, NOW.parse().unwrap(), &TimeZone::UTC);
        assert_eq!(
            s.state,
            OverallState::Idle,
            "a cancel is the user's choice, not a fault"
        );
    }

    #[test]
    fn idle_names_the_soonest_next_run_in_local_time() {
        let jobs = [
            job("weekly", Some("2026-12-05T02:30:00Z"), None),
            job(
                "nightly",
                Some("2026-12-03T02:30:00Z"),
                Some(RunStatus::Success),
            ),
            job("soon", Some("2026-12-02T18:15:00Z"), None),
        ];
        let tz = TimeZone::get("Europe/Paris").unwrap();
        let s = summarize(&jobs, &[], false, NOW.parse().unwrap(), &tz);
        assert_eq!(s.state, OverallState::Idle);
        assert_eq!(s.line, "Next: soon at 19:15");
        let s = summarize(&jobs[..2], &[], false, NOW.parse().unwrap(), &tz);
        assert_eq!(s.line, "Next: nightly at tomorrow 03:30");
        let s = summarize(&jobs, &[], true, NOW.parse().unwrap(), &tz);
        assert_eq!(s.line, "All schedules paused");
        assert_eq!(
            summarize(&[], &[], false, NOW.parse().unwrap(), &tz).line,
            "No jobs yet"
        );
    }
}

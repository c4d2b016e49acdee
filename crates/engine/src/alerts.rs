//! Which finished runs deserve a desktop notification, and what it says. A failure
//! notifies once per streak: a job failing every minute notifies once, then again only
//! after it has succeeded in between. Successes notify when the job asks.

use std::collections::HashSet;

use serde::Serialize;

use crate::runs::{RunStatus, RunView};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Success,
    Failure,
}

/// A notification to show: it names the job, the destination and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub level: AlertLevel,
    pub title: String,
    pub body: String,
    /// What a click on the notification opens.
    pub opens: AlertOpens,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AlertOpens {
    /// The run in the history.
    Run { run_id: String },
    /// The Storage Explorer on a destination.
    Explorer { destination_id: String },
}

/// `text` as a notification shows it literally. Notification servers read the body
/// as markup (`<a href>`, `<img src>`): an error message quoted from a server or a
/// bucket must not become a link or an image.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The notification that retention deleted backups after a run, if it deleted any.
pub fn retention_deleted(run: &RunView) -> Option<Alert> {
    let deleted: Vec<(&str, usize)> = run
        .outcome
        .destinations
        .iter()
        .filter_map(|d| {
            let n = d.retention.as_ref()?.deleted.len();
            (n > 0).then_some((d.destination.as_str(), n))
        })
        .collect();
    if deleted.is_empty() {
        return None;
    }
    let total: usize = deleted.iter().map(|(_, n)| n).sum();
    let places = deleted
        .iter()
        .map(|(d, n)| format!("{n} on {d}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Alert {
        level: AlertLevel::Success,
        title: format!("Retention: {}", run.job_name),
        body: format!(
            "Deleted {total} old backup{} of {} as its retention asks ({places}).",
            if total == 1 { "" } else { "s" },
            run.job_name
        ),
        opens: AlertOpens::Run {
            run_id: run.id.clone(),
        },
    })
}

/// The notification that a backup restored from Glacier can be read.
pub fn glacier_ready(ready: &crate::glacier::GlacierReady) -> Alert {
    let what = match &ready.job_name {
        Some(job) => format!("A backup of {job}"),
        None => "A backup".to_owned(),
    };
    let until = match &ready.ready_until {
        Some(until) => format!(
            " until {}",
            until
                .parse::<jiff::Timestamp>()
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|_| until.clone())
        ),
        None => String::new(),
    };
    Alert {
        level: AlertLevel::Success,
        title: "Restored from Glacier".to_owned(),
        body: format!(
            "{what} on {} ({}) can now be downloaded, verified or restored{until}.",
            ready.destination, ready.object
        ),
        opens: AlertOpens::Explorer {
            destination_id: ready.destination_id.clone(),
        },
    }
}

/// Remembers which jobs are in a failure streak (for this process's lifetime).
#[derive(Debug, Default)]
pub struct AlertGate {
    failing: HashSet<String>,
}

impl AlertGate {
    /// The alert for a finished run, if one is due.
    pub fn judge(
        &mut self,
        run: &RunView,
        notify_on_failure: bool,
        notify_on_success: bool,
    ) -> Option<Alert> {
        let job = run.job_id.clone().unwrap_or_else(|| run.job_name.clone());
        match run.status {
            RunStatus::Success => {
                let recovered = self.failing.remove(&job);
                (notify_on_success || (recovered && notify_on_failure)).then(|| Alert {
                    level: AlertLevel::Success,
                    title: if recovered {
                        format!("Backup works again: {}", run.job_name)
                    } else {
                        format!("Backup done: {}", run.job_name)
                    },
                    body: success_body(run),
                    opens: AlertOpens::Run {
                        run_id: run.id.clone(),
                    },
                })
            }
            RunStatus::Failed | RunStatus::Partial | RunStatus::Interrupted => {
                if !notify_on_failure || !self.failing.insert(job) {
                    return None;
                }
                Some(Alert {
                    level: AlertLevel::Failure,
                    title: match run.status {
                        RunStatus::Partial => format!("Backup partly failed: {}", run.job_name),
                        _ => format!("Backup failed: {}", run.job_name),
                    },
                    body: failure_body(run),
                    opens: AlertOpens::Run {
                        run_id: run.id.clone(),
                    },
                })
            }
            // Asked for (cancel) or not started (skip): nothing went wrong to report.
            RunStatus::Cancelled | RunStatus::Skipped | RunStatus::Running => None,
        }
    }
}

fn success_body(run: &RunView) -> String {
    let places: Vec<&str> = run
        .outcome
        .destinations
        .iter()
        .filter(|d| d.stored)
        .map(|d| d.destination.as_str())
        .collect();
    format!(
        "{} stored on {}",
        human_size(run.bytes_out),
        if places.is_empty() {
            "its destinations".to_owned()
        } else {
            places.join(", ")
        }
    )
}

fn failure_body(run: &RunView) -> String {
    let mut lines: Vec<String> = run
        .outcome
        .destinations
        .iter()
        .filter(|d| !d.errors.is_empty())
        .map(|d| format!("{}: {}", d.destination, d.errors[0]))
        .collect();
    if lines.is_empty() {
        if let Some(e) = &run.error {
            lines.push(e.message.clone());
        }
    }
    if lines.is_empty() {
        lines.push("see the run in DBackup".into());
    }
    lines.join("\n")
}

/// Decimal units, as file managers show sizes: "1.5 MB".
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::{DestinationOutcome, RunOutcome, Trigger};
    use crate::source_run::FailureView;
    use crate::ErrorCode;

    fn run(id: &str, status: RunStatus) -> RunView {
        let failed = status != RunStatus::Success;
        RunView {
            id: id.into(),
            job_id: Some("job-1".into()),
            job_name: "orders".into(),
            trigger: Trigger::Schedule,
            status,
            started_at: "2026-11-25T02:30:00Z".into(),
            finished_at: None,
            duration_seconds: None,
            bytes_in: 10_000_000,
            bytes_out: 2_500_000,
            ratio: None,
            outcome: RunOutcome {
                destinations: vec![DestinationOutcome {
                    destination_id: "d".into(),
                    destination: "Office NAS".into(),
                    stored: !failed,
                    errors: if failed {
                        vec!["orders: the folder /mnt/nas is not mounted".into()]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                }],
                unit_errors: vec![],
            },
            error: failed.then(|| FailureView {
                code: ErrorCode::Storage,
                message: "stored on no destination".into(),
            }),
        }
    }

    #[test]
    fn a_failure_streak_notifies_once_and_recovery_says_so() {
        let mut gate = AlertGate::default();
        let first = gate
            .judge(&run("r1", RunStatus::Failed), true, false)
            .unwrap();
        assert_eq!(first.level, AlertLevel::Failure);
        assert_eq!(first.title, "Backup failed: orders");
        assert_eq!(
            first.body,
            "Office NAS: orders: the folder /mnt/nas is not mounted"
        );
        assert_eq!(
            first.opens,
            AlertOpens::Run {
                run_id: "r1".into()
            }
        );
        // Failing every minute: no storm.
        assert_eq!(gate.judge(&run("r2", RunStatus::Failed), true, false), None);
        assert_eq!(
            gate.judge(&run("r3", RunStatus::Partial), true, false),
            None
        );
        // It works again: said once, even though successes are not notified.
        let back = gate
            .judge(&run("r4", RunStatus::Success), true, false)
            .unwrap();
        assert_eq!(back.title, "Backup works again: orders");
        assert_eq!(back.body, "2.5 MB stored on Office NAS");
        assert_eq!(
            gate.judge(&run("r5", RunStatus::Success), true, false),
            None
        );
        // A new streak notifies again.
        assert!(gate
            .judge(&run("r6", RunStatus::Failed), true, false)
            .is_some());
    }

    #[test]
    fn the_job_decides_about_successes_and_muted_failures() {
        let mut gate = AlertGate::default();
        let done = gate
            .judge(&run("r1", RunStatus::Success), true, true)
            .unwrap();
        assert_eq!(done.title, "Backup done: orders");
        assert_eq!(gate.judge(&run("r2", RunStatus::Failed), false, true), None);
        assert_eq!(
            gate.judge(&run("r3", RunStatus::Cancelled), true, true),
            None
        );
        assert_eq!(gate.judge(&run("r4", RunStatus::Skipped), true, true), None);
        let partial = gate
            .judge(&run("r5", RunStatus::Partial), true, false)
            .unwrap();
        assert_eq!(partial.title, "Backup partly failed: orders");
    }

    #[test]
    fn retention_notifies_only_when_it_deleted_something() {
        let mut r = run("r1", RunStatus::Success);
        assert_eq!(retention_deleted(&r), None);
        r.outcome.destinations[0].retention = Some(crate::catalog::RetentionReport {
            kept: 7,
            deleted: vec![],
            error: None,
        });
        assert_eq!(retention_deleted(&r), None);
        r.outcome.destinations[0].retention = Some(crate::catalog::RetentionReport {
            kept: 7,
            deleted: vec!["orders/a.dbk".into(), "orders/b.dbk".into()],
            error: None,
        });
        let alert = retention_deleted(&r).unwrap();
        assert_eq!(alert.title, "Retention: orders");
        assert_eq!(
            alert.body,
            "Deleted 2 old backups of orders as its retention asks (2 on Office NAS)."
        );
        assert_eq!(
            alert.opens,
            AlertOpens::Run {
                run_id: "r1".into()
            }
        );
    }

    #[test]
    fn text_from_servers_is_shown_literally_in_a_notification() {
        assert_eq!(
            escape_markup("AccessDenied <a href=\"https://x\">fix</a> & <img src=x>\u{1b}[31m"),
            "AccessDenied &lt;a href=\"https://x\"&gt;fix&lt;/a&gt; &amp; &lt;img src=x&gt; [31m"
        );
        assert_eq!(escape_markup("two\nlines"), "two\nlines");
    }
}

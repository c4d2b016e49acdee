use std::process::ExitCode;

use dbackup_engine::catalog::{BackupView, RetentionPreview};
use dbackup_engine::jobs::JobView;
use dbackup_engine::keys::KeyProfileView;
use dbackup_engine::runs::{HistoryPage, RunStatus, RunView};
use dbackup_engine::{DestinationView, EngineError, SourceView};
use serde::Serialize;

/// Prints results as text for people or JSON for scripts.
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    pub fn value<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("dbackup: cannot print the result as JSON: {e}"),
            }
        } else {
            print!("{}", text());
        }
    }

    pub fn error(&self, e: &EngineError) -> ExitCode {
        let code = e.code();
        eprintln!("dbackup: {e}");
        if self.json {
            let body = serde_json::json!({ "error": { "code": code, "message": e.to_string() } });
            println!("{body}");
        }
        ExitCode::from(crate::exit_code(code))
    }
}

/// Left-aligned columns, each as wide as its widest cell; the last is not padded.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  "));
            }
        }
        text.push('\n');
        text
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn kind_name<T: Serialize>(kind: T) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn destinations_table(list: &[DestinationView]) -> String {
    if list.is_empty() {
        return "No destinations yet - add one with `dbackup destination add-local`\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                kind_name(d.kind),
                d.id.clone(),
                d.location.clone(),
            ]
        })
        .collect();
    table(&["NAME", "KIND", "ID", "LOCATION"], &rows)
}

pub fn sources_table(list: &[SourceView]) -> String {
    if list.is_empty() {
        return "No sources yet - add one with `dbackup source add-postgres` (or add-mysql, add-sqlite, add-folder)\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                kind_name(s.kind),
                s.id.clone(),
                s.location.clone(),
            ]
        })
        .collect();
    table(&["NAME", "KIND", "ID", "LOCATION"], &rows)
}

pub fn key_profiles_table(list: &[KeyProfileView]) -> String {
    if list.is_empty() {
        return "No key profiles yet - create one with `dbackup key create --name NAME`\n"
            .to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|k| {
            vec![
                k.name.clone(),
                k.key_id.to_string(),
                k.created_at.clone(),
                if k.exported {
                    "exported"
                } else {
                    "NOT EXPORTED - run `dbackup key export`"
                }
                .to_owned(),
            ]
        })
        .collect();
    table(&["NAME", "KEY ID", "CREATED", "RECOVERY KIT"], &rows)
}

pub fn probe_report(r: &dbackup_storage::probe::ProbeReport) -> String {
    use dbackup_storage::probe::Outcome;
    let mut out = String::new();
    for a in &r.actions {
        let mark = match a.outcome {
            Outcome::Ok => "ok     ",
            Outcome::Denied => "DENIED ",
            Outcome::Failed => "FAILED ",
            Outcome::Skipped => "skipped",
        };
        out.push_str(&format!("{mark}  {}\n", a.action));
        if let Some(d) = &a.detail {
            out.push_str(&format!("         {d}\n"));
        }
    }
    let unknown = if r.answered {
        "unknown (not permitted or not supported)"
    } else {
        "not checked (the server did not answer)"
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| unknown.into());
    if let Some(region) = &r.bucket_region {
        out.push_str(&format!("bucket region: {region}\n"));
    }
    if let Some(m) = &r.region_mismatch {
        out.push_str(&format!("REGION MISMATCH: {m}\n"));
    }
    if !r.iam_policy.is_empty() {
        out.push_str(&format!(
            "versioning: {}\nMFA delete: {}\ndefault encryption: {}\n",
            opt(&r.versioning),
            opt(&r.mfa_delete),
            opt(&r.default_encryption)
        ));
        if r.stale_uploads_aborted > 0 {
            out.push_str(&format!(
                "aborted {} incomplete uploads older than a day\n",
                r.stale_uploads_aborted
            ));
        }
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    if !r.iam_policy.is_empty() {
        out.push_str(&format!(
            "\nMinimal IAM policy for this bucket and prefix:\n{}\n",
            r.iam_policy
        ));
    }
    out
}

/// An RFC 3339 time as people read it: local, to the second.
fn when(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        Err(_) => rfc3339.to_owned(),
    }
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn run_status(run: &RunView) -> String {
    match &run.error {
        Some(e) if run.status != RunStatus::Success => {
            format!("{}: {}", run.status.as_str(), e.message)
        }
        _ => run.status.as_str().to_owned(),
    }
}

pub fn jobs_table(list: &[JobView]) -> String {
    if list.is_empty() {
        return "No jobs yet - create one with `dbackup job create --name NAME --source SOURCE --to DESTINATION --daily 02:30 --key PROFILE`\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|j| {
            vec![
                j.name.clone(),
                if j.running {
                    "running".into()
                } else if j.enabled {
                    "on".into()
                } else {
                    "paused".into()
                },
                j.schedule_summary.clone(),
                j.next_runs.first().cloned().unwrap_or_else(|| "-".into()),
                j.last_run
                    .as_ref()
                    .map(|r| format!("{} {}", when(&r.started_at), r.status.as_str()))
                    .unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    table(&["NAME", "STATE", "SCHEDULE", "NEXT", "LAST RUN"], &rows)
}

pub fn job_details(j: &JobView) -> String {
    let mut text = format!(
        "job:          {} ({})\nsource:       {}\nschedule:     {}{}\ncatch-up:     {}\nstate:        {}\n",
        j.name,
        j.id,
        j.source_name,
        j.schedule_summary,
        if j.schedule.expression().is_some() {
            format!(" [{}]", j.schedule.expression().unwrap_or_default())
        } else {
            String::new()
        },
        kind_name(j.catch_up),
        if j.running {
            "running"
        } else if j.enabled {
            "on"
        } else {
            "paused"
        }
    );
    text.push_str(&format!(
        "compression:  {}\nencryption:   {}\nnotify:       failures{}\n",
        match j.compression {
            dbackup_engine::jobs::CompressionChoice::Zstd => format!("zstd level {}", j.level),
            dbackup_engine::jobs::CompressionChoice::None => "none".into(),
        },
        match &j.key_profile_name {
            Some(name) => format!("key profile {name}"),
            None => "NONE - anyone who can read the destination can read the backups".into(),
        },
        if j.notify_on_success {
            " and successes"
        } else {
            ""
        }
    ));
    for t in &j.targets {
        text.push_str(&format!(
            "destination:  {} ({})\n",
            t.destination_name, t.retention_summary
        ));
    }
    if !j.next_runs.is_empty() {
        text.push_str("next runs:\n");
        for time in &j.next_runs {
            text.push_str(&format!("  {time}\n"));
        }
    }
    if let Some(run) = &j.last_run {
        text.push_str(&format!(
            "last run:     {} {}\n",
            when(&run.started_at),
            run_status(run)
        ));
    }
    text
}

pub fn run_details(r: &RunView) -> String {
    let mut text = format!(
        "run {} of {} ({}), started {}\nstatus: {}\n",
        r.id,
        r.job_name,
        r.trigger.as_str(),
        when(&r.started_at),
        run_status(r)
    );
    if r.bytes_in > 0 {
        text.push_str(&format!(
            "read {} -> stored {}{}{}\n",
            size(r.bytes_in),
            size(r.bytes_out),
            r.ratio
                .map(|x| format!(" (ratio {x:.2})"))
                .unwrap_or_default(),
            r.duration_seconds
                .map(|s| format!(" in {s:.1} s"))
                .unwrap_or_default()
        ));
    }
    for e in &r.outcome.unit_errors {
        text.push_str(&format!("  failed   {}\n", e.message));
    }
    for d in &r.outcome.destinations {
        text.push_str(&format!(
            "{}: {}\n",
            d.destination,
            if d.stored { "stored" } else { "NOT STORED" }
        ));
        if let Some(swept) = &d.swept {
            text.push_str(&format!(
                "  freed    {} incomplete upload(s) an interrupted run had left ({:.1} MiB)\n",
                swept.uploads,
                swept.bytes as f64 / (1024.0 * 1024.0)
            ));
        }
        for object in &d.objects {
            text.push_str(&format!("  stored   {object}\n"));
        }
        for e in &d.errors {
            text.push_str(&format!("  failed   {e}\n"));
        }
        if let Some(ret) = &d.retention {
            text.push_str(&format!(
                "  retention: kept {}, deleted {}\n",
                ret.kept,
                ret.deleted.len()
            ));
            for object in &ret.deleted {
                text.push_str(&format!("  deleted  {object}\n"));
            }
            if let Some(e) = &ret.error {
                text.push_str(&format!("  retention: {e}\n"));
            }
        }
    }
    text
}

pub fn history_table(page: &HistoryPage) -> String {
    if page.runs.is_empty() {
        return "No runs yet\n".to_owned();
    }
    let rows: Vec<Vec<String>> = page
        .runs
        .iter()
        .map(|r| {
            vec![
                when(&r.started_at),
                r.job_name.clone(),
                r.trigger.as_str().to_owned(),
                r.duration_seconds
                    .map(|s| format!("{s:.1} s"))
                    .unwrap_or_else(|| "-".into()),
                if r.bytes_out > 0 {
                    size(r.bytes_out)
                } else {
                    "-".into()
                },
                r.id.clone(),
                run_status(r),
            ]
        })
        .collect();
    let mut text = table(
        &[
            "STARTED", "JOB", "TRIGGER", "TOOK", "STORED", "RUN", "STATUS",
        ],
        &rows,
    );
    if let Some(next) = &page.next {
        text.push_str(&format!("more: --before {next}\n"));
    }
    text
}

pub fn retention_preview(previews: &[RetentionPreview]) -> String {
    let mut text = String::new();
    for p in previews {
        let deleted = p.decisions.iter().filter(|d| !d.keep).count();
        text.push_str(&format!(
            "{} ({}): keep {}, delete {}\n",
            p.destination,
            p.summary,
            p.decisions.len() - deleted,
            deleted
        ));
        let rows: Vec<Vec<String>> = p
            .decisions
            .iter()
            .map(|d| {
                vec![
                    if d.keep { "keep" } else { "DELETE" }.to_owned(),
                    when(&d.created_at),
                    d.series.clone(),
                    d.object.clone(),
                    d.reason.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            text.push_str(&table(&["", "CREATED", "SERIES", "BACKUP", "WHY"], &rows));
        }
    }
    text
}

/// The storage class, and for Glacier whether the backup can be read.
fn storage(b: &BackupView) -> String {
    use dbackup_engine::glacier::GlacierState;
    let class = b.storage_class.clone().unwrap_or_else(|| "-".into());
    match &b.glacier {
        None => class,
        Some(g) => match (g.state, &g.ready_until) {
            (GlacierState::Archived, _) => format!("{class} (needs restore)"),
            (GlacierState::Restoring, _) => format!("{class} (restoring)"),
            (GlacierState::Restored, Some(until)) => {
                format!("{class} (restored until {})", when(until))
            }
            (GlacierState::Restored, None) => format!("{class} (restored)"),
        },
    }
}

pub fn backups_table(
    list: &[BackupView],
    destinations: &std::collections::HashMap<String, String>,
) -> String {
    if list.is_empty() {
        return "No backups known - run a job, or `dbackup rescan DESTINATION` to read what a destination holds\n".to_owned();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|b| {
            vec![
                when(&b.created_at),
                b.job_name.clone().unwrap_or_else(|| "-".into()),
                destinations
                    .get(&b.destination_id)
                    .cloned()
                    .unwrap_or_else(|| b.destination_id.clone()),
                size(b.stored_size),
                match (&b.object_lock_until, b.locked) {
                    (Some(until), _) => format!(
                        "{}object lock until {}",
                        if b.locked { "locked, " } else { "" },
                        when(until)
                    ),
                    (None, true) => "locked".to_owned(),
                    (None, false) => String::new(),
                },
                storage(b),
                b.object.clone(),
            ]
        })
        .collect();
    table(
        &[
            "CREATED",
            "JOB",
            "DESTINATION",
            "SIZE",
            "LOCK",
            "STORAGE",
            "BACKUP",
        ],
        &rows,
    )
}

/// What a configuration import did, or would do, item by item.
pub fn import_report(report: &dbackup_engine::config_file::ImportReport) -> String {
    use dbackup_engine::config_file::ImportOutcome;
    let rows: Vec<Vec<String>> = report
        .items
        .iter()
        .map(|item| {
            let outcome = match (item.outcome, report.applied) {
                (ImportOutcome::Added, true) => "added",
                (ImportOutcome::Added, false) => "will add",
                (ImportOutcome::NeedsSecret, true) => "needs secret",
                (ImportOutcome::NeedsSecret, false) => "will need secret",
                (ImportOutcome::Exists, _) => "already here",
                (ImportOutcome::Skipped, true) => "skipped",
                (ImportOutcome::Skipped, false) => "will skip",
            };
            vec![
                kind_name(item.what),
                item.name.clone(),
                outcome.to_owned(),
                item.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut text = table(&["WHAT", "NAME", "OUTCOME", "DETAIL"], &rows);
    if !report.applied {
        text.push_str("nothing was changed (--dry-run)\n");
    }
    text
}

use std::process::ExitCode;

use dbackup_engine::keys::KeyProfileView;
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
    let opt = |v: &Option<String>| {
        v.clone()
            .unwrap_or_else(|| "unknown (not permitted or not supported)".into())
    };
    if let Some(region) = &r.bucket_region {
        out.push_str(&format!("bucket region: {region}\n"));
    }
    if let Some(m) = &r.region_mismatch {
        out.push_str(&format!("REGION MISMATCH: {m}\n"));
    }
    if !r.iam_policy.is_empty() {
        out.push_str(&format!(
            "versioning: {}\ndefault encryption: {}\n",
            opt(&r.versioning),
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

use std::process::ExitCode;

use dbackup_engine::keys::KeyProfileView;
use dbackup_engine::{DestinationView, EngineError};
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

pub fn destinations_table(list: &[DestinationView]) -> String {
    if list.is_empty() {
        return "No destinations yet - add one with `dbackup destination add-local`\n".to_owned();
    }
    let name_width = list
        .iter()
        .map(|d| d.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:<name_width$}  {:<5}  {:<36}  LOCATION\n",
        "NAME", "KIND", "ID"
    );
    for d in list {
        let kind = serde_json::to_value(d.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<name_width$}  {:<5}  {:<36}  {}\n",
            d.name, kind, d.id, d.location
        ));
    }
    out
}

pub fn key_profiles_table(list: &[KeyProfileView]) -> String {
    if list.is_empty() {
        return "No key profiles yet - create one with `dbackup key create --name NAME`\n"
            .to_owned();
    }
    let width = list
        .iter()
        .map(|k| k.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:<width$}  {:<8}  {:<25}  RECOVERY KIT\n",
        "NAME", "KEY ID", "CREATED"
    );
    for k in list {
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<25}  {}\n",
            k.name,
            k.key_id,
            k.created_at,
            if k.exported {
                "exported"
            } else {
                "NOT EXPORTED - run `dbackup key export`"
            }
        ));
    }
    out
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

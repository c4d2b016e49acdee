//! The backup, restore, verify, inspect and key commands: argument handling around
//! engine calls, on a tokio runtime of their own.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use dbackup_archive::{
    ArchiveMetadata, Argon2Params, Compression, EncryptionSetting, Key, WriterSettings,
};
use dbackup_engine::backup::{
    run_backup, BackupPlan, BackupReport, BackupStatus, NamedDestination,
};
use dbackup_engine::restore::{
    restore_to_file, verify as verify_backup, ReadReport, SharedKeys, Trust,
};
use dbackup_engine::source_run::{
    backup_source as backup_source_run, restore_to_source, RestoreInto, SourceBackupPlan,
};
use dbackup_engine::transfer::progress::ProgressReporter;
use dbackup_engine::EngineError;
use dbackup_storage::ObjectKey;
use tokio_util::sync::CancellationToken;

use crate::args::{BackupArgs, CompressionArg, InspectArgs, RestoreArgs, VerifyArgs};
use crate::keys;
use crate::location;
use crate::output::Output;

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, EngineError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Internal {
            detail: format!("cannot start the async runtime: {e}"),
        })
}

/// Ctrl-C cancels cleanly: uploads are aborted and nothing half-done is left.
pub(crate) fn cancel_on_ctrl_c(rt: &tokio::runtime::Runtime) -> CancellationToken {
    let token = CancellationToken::new();
    let child = token.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("dbackup: cancelling...");
            child.cancel();
        }
    });
    token
}

/// The keys given on the command line, else the key profiles in the OS keyring.
fn read_keys(opts: &crate::args::KeyOptions) -> Result<SharedKeys, EngineError> {
    if keys::given(opts) {
        return Ok(Arc::new(keys::key_set(opts)?));
    }
    Ok(Arc::new(crate::open_engine()?.key_lookup()?))
}

fn object_key(object: &str) -> Result<ObjectKey, EngineError> {
    Ok(ObjectKey::new(object.trim_start_matches('/'))?)
}

fn encryption(args: &BackupArgs) -> Result<EncryptionSetting, EngineError> {
    if args.no_encryption {
        eprintln!("dbackup: warning: this backup is not encrypted; anyone who can read the bucket can read it");
        return Ok(EncryptionSetting::None);
    }
    if let Some(passphrase) = keys::passphrase(&args.keys)? {
        return Ok(EncryptionSetting::Passphrase {
            passphrase,
            params: Argon2Params::default(),
        });
    }
    if let Some(profile) = &args.key {
        let key = crate::open_engine()?.key_profile_key(profile)?;
        return Ok(EncryptionSetting::KeyProfile(key));
    }
    match args.keys.key_file.as_slice() {
        [one] => Ok(EncryptionSetting::KeyProfile(keys::read_key_file(one)?)),
        [] => Err(EngineError::invalid(
            "encryption",
            "choose how to encrypt: --key PROFILE (create one with `dbackup key create`), --key-file KIT, --passphrase-env VAR, or --no-encryption",
        )),
        _ => Err(EngineError::invalid("key-file", "give exactly one --key-file to encrypt with")),
    }
}

fn compression(args: &BackupArgs) -> Compression {
    match args.compression {
        CompressionArg::Zstd => Compression::Zstd,
        CompressionArg::None => Compression::None,
    }
}

pub fn backup(args: BackupArgs, out: &Output) -> Result<(), EngineError> {
    let encryption = encryption(&args)?;
    let destinations = args
        .to
        .iter()
        .map(|spec| location::resolve(spec, &args.s3))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(source) = &args.source {
        return backup_source(source, &args, encryption, destinations, out);
    }
    let (input, default_name, total): (Box<dyn Read + Send>, String, Option<u64>) = match &args.file
    {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| EngineError::SourceFailed {
                detail: format!("cannot open {}: {e}", path.display()),
            })?;
            let size = file.metadata().ok().map(|m| m.len());
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "backup".into());
            (Box::new(file), name, size)
        }
        None => (Box::new(std::io::stdin()), "stdin".into(), None),
    };
    let now = jiff::Timestamp::now();
    let job = args.name.clone().unwrap_or(default_name);
    say_stored_name(&job);
    // No state database is opened here (an s3:// address needs none), so no installation.
    let object = dbackup_engine::source_run::object_name(&job, None, None, now)?;
    let mut metadata = ArchiveMetadata::new(now);
    metadata.job_name = Some(job);
    metadata.source_kind = Some(if args.stdin { "stdin" } else { "file" }.into());
    let mut settings = WriterSettings::new(encryption, metadata);
    settings.compression = compression(&args);
    settings.level = args.level;

    let rt = runtime()?;
    let object = rt.block_on(dbackup_engine::backup::free_object_name(
        &destinations,
        object,
    ))?;
    let cancel = cancel_on_ctrl_c(&rt);
    let (progress, rx) = ProgressReporter::new(total);
    crate::progress::show(&rt, rx, "backing up");
    let report = rt.block_on(run_backup(
        input,
        BackupPlan {
            object,
            settings,
            destinations,
            trigger: "cli".into(),
            installation_id: None,
            manifest_key: None,
            size_hint: total.map(|t| t + t / 1024 + 65536),
        },
        &progress,
        &cancel,
    ))?;
    // A backup stored nowhere has no report to show: its manifest describes nothing.
    if report.status == BackupStatus::Failed {
        return Err(copies_failed(&report));
    }
    record_in_catalog(&args.to, &report);
    out.value(&report, || backup_lines(&report));
    match report.status {
        BackupStatus::Success => Ok(()),
        _ => Err(copies_failed(&report)),
    }
}

/// Saved destinations that took the backup list it in the catalog at once (the
/// explorer and `backup list` read the catalog); addresses and folders have none.
fn record_in_catalog(specs: &[String], report: &BackupReport) {
    let saved: Vec<(String, String)> = specs
        .iter()
        .filter_map(|spec| Some((spec.clone(), location::saved_destination_id(spec)?)))
        .collect();
    if saved.is_empty() {
        return;
    }
    let Ok(engine) = crate::open_engine() else {
        return;
    };
    let names: std::collections::HashMap<String, String> = engine
        .list_destinations()
        .map(|all| all.into_iter().map(|d| (d.id, d.name)).collect())
        .unwrap_or_default();
    for (_, id) in saved {
        let Some(name) = names.get(&id) else {
            continue;
        };
        if !report
            .copies
            .iter()
            .any(|c| c.stored && &c.destination == name)
        {
            continue;
        }
        if let Err(e) = engine.record_stored_backup(&id, &report.manifest, jiff::Timestamp::now()) {
            eprintln!("dbackup: note: stored, but not listed in the catalog ({e}); `dbackup rescan {name}` adds it");
        }
    }
}

/// Object names keep letters, digits, `-`, `_` and `.`: say so when a name changes.
fn say_stored_name(name: &str) {
    if let Ok(folder) = dbackup_engine::source_run::job_folder(name) {
        if folder != name {
            eprintln!(
                "dbackup: note: the name {name:?} is stored as {folder:?} (object names keep letters, digits, '-', '_' and '.')"
            );
        }
    }
}

fn copies_failed(report: &BackupReport) -> EngineError {
    EngineError::AllDestinationsFailed {
        failures: report
            .copies
            .iter()
            .filter_map(|c| c.error.as_ref().map(|e| format!("{}: {e}", c.destination)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn backup_lines(report: &BackupReport) -> String {
    let m = &report.manifest;
    let mut text = format!(
        "{}: {} ({} bytes -> {} stored, sha256 {})\n",
        match report.status {
            BackupStatus::Success => "stored",
            BackupStatus::Partial => "PARTIAL",
            BackupStatus::Failed => "FAILED",
        },
        report.object,
        m.plain_size,
        m.stored_size,
        m.sha256
    );
    for copy in &report.copies {
        match &copy.error {
            None => text.push_str(&format!("  ok      {}\n", copy.destination)),
            Some(e) => text.push_str(&format!("  failed  {}: {e}\n", copy.destination)),
        }
    }
    text
}

fn backup_source(
    wanted: &str,
    args: &BackupArgs,
    encryption: EncryptionSetting,
    destinations: Vec<NamedDestination>,
    out: &Output,
) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let found = engine.find_source(wanted)?;
    let source = Arc::new(engine.open_source(&found.id)?);
    let now = jiff::Timestamp::now();
    let mut settings = WriterSettings::new(encryption, ArchiveMetadata::new(now));
    settings.compression = compression(args);
    settings.level = args.level;
    if let Some(name) = &args.name {
        say_stored_name(name);
    }
    // No job: no retention judges these, so their manifests need no signature.
    let plan = SourceBackupPlan {
        job_name: args.name.clone().unwrap_or_else(|| found.name.clone()),
        job_id: None,
        settings,
        destinations,
        trigger: "cli".into(),
        installation_id: Some(engine.installation_id().to_owned()),
        manifest_key: None,
        now,
    };
    let rt = runtime()?;
    let cancel = cancel_on_ctrl_c(&rt);
    let (progress, rx) = ProgressReporter::new(None);
    crate::progress::show(&rt, rx, "backing up");
    let report = rt.block_on(backup_source_run(source, plan, &progress, &cancel))?;
    out.value(&report, || {
        let mut text = String::new();
        for unit in &report.units {
            match (&unit.backup, &unit.error) {
                (Some(backup), _) => text.push_str(&backup_lines(backup)),
                (None, Some(e)) => text.push_str(&format!(
                    "FAILED: {} ({}): {}\n",
                    unit.unit, found.name, e.message
                )),
                (None, None) => {}
            }
        }
        text
    });
    if report.status == BackupStatus::Success {
        return Ok(());
    }
    // The first failure decides the exit code, with its own code and message.
    for unit in &report.units {
        if let Some(e) = &unit.error {
            return Err(EngineError::UnitFailed {
                unit: unit.unit.clone(),
                code: e.code,
                message: e.message.clone(),
            });
        }
        if let Some(backup) = &unit.backup {
            if backup.status != BackupStatus::Success {
                return Err(copies_failed(backup));
            }
        }
    }
    Err(EngineError::Internal {
        detail: "the run failed without saying why".into(),
    })
}

pub fn restore(args: RestoreArgs, out: &Output) -> Result<(), EngineError> {
    if let Some(source) = &args.into_source {
        return restore_into_source(source, &args, out);
    }
    let from = location::resolve(&args.from, &args.s3)?;
    let object = object_key(&args.object)?;
    let keys = read_keys(&args.keys)?;
    let output = args.output.clone().ok_or_else(|| {
        EngineError::invalid("output", "give --output FILE, or --into-source SOURCE")
    })?;
    let output = std::path::absolute(&output).unwrap_or(output);
    let rt = runtime()?;
    let cancel = cancel_on_ctrl_c(&rt);
    let (progress, rx) = ProgressReporter::new(None);
    crate::progress::show(&rt, rx, "restoring");
    let report = rt.block_on(restore_to_file(
        from.destination,
        &object,
        keys,
        Trust::allowing_unencrypted(args.allow_unencrypted),
        &output,
        args.overwrite,
        &progress,
        &cancel,
    ))?;
    print_warnings(&report);
    out.value(&report, || {
        format!(
            "restored {} to {} ({} bytes, {}{})\n",
            report.object,
            output.display(),
            report.plain_size,
            checked_note(&report),
            manifest_note(&report)
        )
    });
    Ok(())
}

fn restore_into_source(wanted: &str, args: &RestoreArgs, out: &Output) -> Result<(), EngineError> {
    let from = location::resolve(&args.from, &args.s3)?;
    let object = object_key(&args.object)?;
    let keys = read_keys(&args.keys)?;
    let engine = crate::open_engine()?;
    let found = engine.find_source(wanted)?;
    let source = Arc::new(engine.open_source(&found.id)?);
    let into = RestoreInto {
        database: args.database.clone(),
        path: args
            .output
            .clone()
            .map(|p| std::path::absolute(&p).unwrap_or(p)),
        clean: args.clean,
        overwrite: args.overwrite,
        count_rows: args.check,
        trust: Trust::allowing_unencrypted(args.allow_unencrypted),
    };
    let rt = runtime()?;
    let cancel = cancel_on_ctrl_c(&rt);
    let (progress, rx) = ProgressReporter::new(None);
    crate::progress::show(&rt, rx, "restoring");
    let report = rt.block_on(restore_to_source(
        from.destination,
        &object,
        keys,
        source.clone(),
        into,
        &progress,
        &cancel,
    ))?;
    print_warnings(&report.read);
    let mismatches = match (&report.row_counts, args.check) {
        (Some(restored), true) => {
            let info = rt.block_on(dbackup_engine::inspect::inspect(
                location::resolve(&args.from, &args.s3)?.destination,
                &object,
            ))?;
            let original = info.database.clone();
            let counted = {
                let source = source.clone();
                rt.block_on(async move {
                    tokio::task::spawn_blocking(move || {
                        dbackup_engine::source_run::count_rows(&source, original.as_deref())
                    })
                    .await
                })
                .map_err(|e| EngineError::Internal {
                    detail: format!("counting rows failed: {e}"),
                })??
            };
            compare_counts(counted.as_ref(), restored)
        }
        _ => Vec::new(),
    };
    out.value(&report, || {
        let mut text = format!(
            "restored {} into {} ({} bytes, {}{})\n",
            report.read.object,
            report.target,
            report.read.plain_size,
            checked_note(&report.read),
            manifest_note(&report.read)
        );
        for warning in &report.warnings {
            text.push_str(&format!("  note: {warning}\n"));
        }
        if let Some(counts) = &report.row_counts {
            text.push_str(&format!(
                "  {} tables, {} rows\n",
                counts.len(),
                counts.values().sum::<u64>()
            ));
        }
        text
    });
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Mismatch {
            object: report.read.object.clone(),
            detail: format!(
                "row counts differ from the database it was taken from: {} (expected if that database changed since the backup)",
                mismatches.join("; ")
            ),
        })
    }
}

/// Tables whose row counts differ, as "table: source N, restored M".
fn compare_counts(
    original: Option<&BTreeMap<String, u64>>,
    restored: &BTreeMap<String, u64>,
) -> Vec<String> {
    let Some(original) = original else {
        return vec![
            "the original database is not on this source, so there is nothing to compare with"
                .into(),
        ];
    };
    let mut tables: Vec<&String> = original.keys().chain(restored.keys()).collect();
    tables.sort();
    tables.dedup();
    tables
        .into_iter()
        .filter_map(|t| {
            let (a, b) = (original.get(t), restored.get(t));
            (a != b).then(|| {
                let show = |n: Option<&u64>| n.map_or("missing".to_owned(), u64::to_string);
                format!("{t}: source {}, restored {}", show(a), show(b))
            })
        })
        .collect()
}

pub fn verify(args: VerifyArgs, out: &Output) -> Result<(), EngineError> {
    let from = location::resolve(&args.from, &args.s3)?;
    let object = object_key(&args.object)?;
    let keys = read_keys(&args.keys)?;
    let rt = runtime()?;
    let cancel = cancel_on_ctrl_c(&rt);
    let (progress, rx) = ProgressReporter::new(None);
    crate::progress::show(&rt, rx, "verifying");
    let result = rt.block_on(verify_backup(
        from.destination,
        &object,
        keys,
        &progress,
        &cancel,
    ));
    // The explorer shows the verdict of a saved destination's backup.
    if let Some(id) = location::saved_destination_id(&args.from) {
        if let Ok(engine) = crate::open_engine() {
            engine.record_check(
                &id,
                object.as_str(),
                result.as_ref().err(),
                jiff::Timestamp::now(),
            );
        }
    }
    let report = result?;
    print_warnings(&report);
    out.value(&report, || {
        format!(
            "ok: {} ({} bytes stored, {} bytes of data, sha256 {}{})\n",
            report.object,
            report.stored_size,
            report.plain_size,
            report.sha256,
            manifest_note(&report)
        )
    });
    Ok(())
}

fn print_warnings(report: &ReadReport) {
    for w in &report.warnings {
        eprintln!("dbackup: warning: {w}");
    }
}

/// What reading proved: authenticity needs encryption.
fn checked_note(report: &ReadReport) -> &'static str {
    if report.authenticated {
        "every chunk authenticated"
    } else {
        "not encrypted: checked by its checksums, not authenticated"
    }
}

fn manifest_note(report: &ReadReport) -> &'static str {
    if report.manifest_checked {
        ", matches its manifest"
    } else {
        ""
    }
}

pub fn inspect(args: InspectArgs, out: &Output) -> Result<(), EngineError> {
    let from = location::resolve(&args.from, &args.s3)?;
    let object = object_key(&args.object)?;
    let rt = runtime()?;
    let info = rt.block_on(dbackup_engine::inspect::inspect(from.destination, &object))?;
    out.value(&info, || {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        format!(
            "object:       {}\nsize:         {} bytes{}\nformat:       version {}\ncreated:      {}\njob:          {}\nsource:       {} {} {}\ncompression:  {} (level {})\nencryption:   {}{}\nmanifest:     {}\n",
            info.object,
            info.stored_size,
            info.storage_class.as_ref().map(|c| format!(" ({c})")).unwrap_or_default(),
            info.format_version,
            info.created_at,
            opt(&info.job_name),
            opt(&info.source_kind),
            opt(&info.db_engine),
            opt(&info.db_version),
            info.compression,
            info.compression_level,
            info.encryption,
            info.key_id.as_ref().map(|k| format!(" (key id {k})")).unwrap_or_default(),
            match &info.manifest {
                Some(m) => format!("present, sha256 {}, locked: {}", m.sha256, m.locked),
                None => "missing or damaged (the header above is authoritative)".into(),
            }
        )
    });
    Ok(())
}

pub fn generate_key(name: &str, output: &Path, out: &Output) -> Result<(), EngineError> {
    let key = Key::generate()?;
    let kit = keys::recovery_kit(&key, name, &jiff::Timestamp::now().to_string());
    write_private(output, kit.as_bytes())?;
    out.value(&serde_json::json!({ "keyId": key.id().to_string(), "kit": output }), || {
        format!(
            "wrote the recovery kit for key {} ({name}) to {}\nKeep a copy offline: without it, backups made with this key cannot be read.\n",
            key.id(),
            output.display()
        )
    });
    Ok(())
}

pub use dbackup_engine::keys::write_private;

//! Moving the configuration to another computer, against the real OS keyring
//! (gnome-keyring inside dbus-run-session in CI): export writes no secret, import adds
//! what is missing and names what needs a secret, a job waits for its encryption key,
//! and importing again is harmless. Also: editing a source keeps its password unless
//! retyped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use dbackup_engine::config_file::{ImportOutcome, ImportReport, ImportedKind};
use dbackup_engine::jobs::{CompressionChoice, JobInput, JobTarget};
use dbackup_engine::retention::Retention;
use dbackup_engine::s3_destination::{CredentialSource, NewS3Destination, S3Provider, SseMode};
use dbackup_engine::schedule::{CatchUp, Schedule};
use dbackup_engine::secrets::ExposeSecret;
use dbackup_engine::sources::FolderSettings;
use dbackup_engine::{Engine, ErrorCode, NewLocalDestination, NewSource, Secret, SourceSettings};
use dbackup_sources::postgres::{PostgresConfig, SslMode};
use jiff::Timestamp;

const S3_SECRET: &str = "s3-secret-never-exported";
const DB_PASSWORD: &str = "db-password-never-exported";

fn engine(dir: &std::path::Path, computer: &str) -> Option<Engine> {
    common::engine_with_keyring(dir, &format!("config-{computer}"))
}

fn now() -> Timestamp {
    "2026-12-04T12:00:00Z".parse().unwrap()
}

fn s3(name: &str) -> NewS3Destination {
    NewS3Destination {
        name: name.into(),
        provider: S3Provider::Custom,
        region: "us-east-1".into(),
        bucket: "team-backups".into(),
        prefix: "db".into(),
        endpoint: Some("http://127.0.0.1:7480".into()),
        path_style: true,
        account_id: None,
        jurisdiction: None,
        access_key_id: "AKIAEXPORT".into(),
        secret_access_key: S3_SECRET.into(),
        credentials: CredentialSource::AccessKey,
        profile: None,
        storage_class: None,
        sse: SseMode::BucketDefault,
        kms_key_id: None,
        transfer_acceleration: false,
        allow_plain_http: false,
    }
}

fn postgres(name: &str, password: Option<&str>) -> NewSource {
    NewSource {
        name: name.into(),
        settings: SourceSettings::Postgres(PostgresConfig {
            host: "db.internal".into(),
            port: 5432,
            user: "backup".into(),
            database: Some("shop".into()),
            ssl_mode: SslMode::Prefer,
            tools_dir: None,
        }),
        password: password.map(|p| Secret::from(p.to_owned())),
    }
}

fn outcome(report: &ImportReport, what: ImportedKind, name: &str) -> (ImportOutcome, String) {
    let item = report
        .items
        .iter()
        .find(|i| i.what == what && i.name == name)
        .unwrap_or_else(|| panic!("no {what:?} {name:?} in {report:#?}"));
    (item.outcome, item.detail.clone().unwrap_or_default())
}

/// The first computer: two destinations, two sources, an encrypted and a plain job.
struct Exported {
    file: std::path::PathBuf,
    kit: String,
    encrypted_job: String,
    plain_job: String,
}

fn first_computer(dir: &std::path::Path, engine: &Engine) -> Exported {
    let folder = dir.join("nas");
    std::fs::create_dir_all(&folder).unwrap();
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();

    let s3 = engine.add_s3_destination(s3("Ceph"), now()).unwrap();
    let nas = engine
        .add_local_destination(
            NewLocalDestination {
                name: "NAS".into(),
                path: folder.display().to_string(),
            },
            now(),
        )
        .unwrap();
    let shop = engine
        .add_source(postgres("Shop", Some(DB_PASSWORD)), now())
        .unwrap();
    let photos = engine
        .add_source(
            NewSource {
                name: "Photos".into(),
                settings: SourceSettings::Folder(FolderSettings {
                    root: photos,
                    include: vec![],
                    exclude: vec!["*.tmp".into()],
                }),
                password: None,
            },
            now(),
        )
        .unwrap();
    let key = engine.create_key_profile("Office key", now()).unwrap();
    // A kit that could not be written is not an exported kit: the warning stays.
    let unwritable = dir.join("no such folder").join("kit.txt");
    assert!(engine
        .save_recovery_kit(&key.id, Some(unwritable), now())
        .is_err());
    let listed = |id: &str| {
        engine
            .list_key_profiles()
            .unwrap()
            .into_iter()
            .find(|k| k.id == id)
            .unwrap()
    };
    assert!(
        !listed(&key.id).exported,
        "marked exported before the kit was written"
    );
    let written = engine
        .save_recovery_kit(&key.id, Some(dir.join("kit.txt")), now())
        .unwrap();
    assert!(listed(&key.id).exported);
    let kit = std::fs::read_to_string(written).unwrap();
    let job = |name: &str, source: &str, targets: Vec<JobTarget>, key: Option<String>| JobInput {
        name: name.into(),
        source_id: source.into(),
        targets,
        schedule: Schedule::Daily {
            hour: 2,
            minute: 30,
        },
        catch_up: CatchUp::Once,
        compression: CompressionChoice::Zstd,
        level: 7,
        key_profile_id: key,
        notify_on_failure: true,
        notify_on_success: true,
        enabled: true,
    };
    let encrypted = engine
        .create_job(
            job(
                "Shop nightly",
                &shop.id,
                vec![
                    JobTarget {
                        destination_id: s3.destination.id.clone(),
                        retention: Retention::Last { count: 14 },
                    },
                    JobTarget {
                        destination_id: nas.id.clone(),
                        retention: Retention::None,
                    },
                ],
                Some(key.id.clone()),
            ),
            now(),
        )
        .unwrap();
    let plain = engine
        .create_job(
            job(
                "Photos",
                &photos.id,
                vec![JobTarget {
                    destination_id: nas.id.clone(),
                    retention: Retention::Last { count: 3 },
                }],
                None,
            ),
            now(),
        )
        .unwrap();
    let file = engine
        .save_config_export(Some(dir.join("config.json")), now())
        .unwrap();
    Exported {
        file,
        kit,
        encrypted_job: encrypted.id,
        plain_job: plain.id,
    }
}

#[test]
fn a_configuration_moves_without_its_secrets_and_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let (Some(here), Some(there)) = (engine(dir.path(), "here"), engine(dir.path(), "there"))
    else {
        return;
    };
    let exported = first_computer(dir.path(), &here);

    // No secret leaves the keyring: not the S3 secret, the password or the key.
    let text = std::fs::read_to_string(&exported.file).unwrap();
    assert!(!text.contains(S3_SECRET), "the S3 secret was exported");
    assert!(
        !text.contains(DB_PASSWORD),
        "the database password was exported"
    );
    let key_hex = exported
        .kit
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 64)
        .unwrap()
        .to_lowercase();
    assert!(
        !text.to_lowercase().contains(&key_hex),
        "the key was exported"
    );
    assert!(
        text.contains("AKIAEXPORT"),
        "the access key id is configuration"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&exported.file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the file names servers: only its owner reads it"
        );
    }

    // A preview changes nothing and says what would happen.
    let preview = there
        .import_config_file(&exported.file, false, now())
        .unwrap();
    assert!(!preview.applied);
    assert!(there.list_destinations().unwrap().is_empty());
    assert!(there.list_sources().unwrap().is_empty());
    assert_eq!(
        outcome(&preview, ImportedKind::Destination, "Ceph").0,
        ImportOutcome::NeedsSecret
    );
    assert_eq!(
        outcome(&preview, ImportedKind::Job, "Photos").0,
        ImportOutcome::Added
    );

    // Imported: everything but the job whose key this computer lacks.
    let report = there
        .import_config_file(&exported.file, true, now())
        .unwrap();
    assert!(report.applied);
    assert_eq!(
        report
            .items
            .iter()
            .map(|i| (i.what, i.name.as_str(), i.outcome))
            .collect::<Vec<_>>(),
        [
            (ImportedKind::Settings, "Preferences", ImportOutcome::Added),
            (ImportedKind::Key, "Office key", ImportOutcome::NeedsSecret),
            (
                ImportedKind::Destination,
                "Ceph",
                ImportOutcome::NeedsSecret
            ),
            (ImportedKind::Destination, "NAS", ImportOutcome::Added),
            (ImportedKind::Source, "Photos", ImportOutcome::Added),
            (ImportedKind::Source, "Shop", ImportOutcome::NeedsSecret),
            (ImportedKind::Job, "Photos", ImportOutcome::Added),
            (ImportedKind::Job, "Shop nightly", ImportOutcome::Skipped),
        ]
    );
    let (_, why) = outcome(&report, ImportedKind::Job, "Shop nightly");
    assert!(why.contains("recovery kit"), "{why}");
    let (_, what_to_do) = outcome(&report, ImportedKind::Destination, "Ceph");
    assert!(what_to_do.contains("secret access key"), "{what_to_do}");

    // The plain job kept its id (its backups carry it) and its settings.
    let photos = there.job_view(&exported.plain_job, now()).unwrap();
    assert_eq!(photos.name, "Photos");
    assert_eq!(
        photos.schedule,
        Schedule::Daily {
            hour: 2,
            minute: 30
        }
    );
    assert_eq!(photos.level, 7);
    assert_eq!(photos.targets[0].destination_name, "NAS");
    assert_eq!(photos.targets[0].retention, Retention::Last { count: 3 });
    // Paused whatever the file said, and the preview says why in words.
    assert!(
        !photos.enabled,
        "an imported job must not start sending data"
    );
    let (_, detail) = outcome(&report, ImportedKind::Job, "Photos");
    assert!(detail.contains("imported paused"), "{detail}");
    let warnings = &report
        .items
        .iter()
        .find(|i| i.what == ImportedKind::Job && i.name == "Photos")
        .unwrap()
        .warnings;
    assert!(
        warnings.iter().any(|w| w.contains("not encrypted")),
        "{warnings:?}"
    );

    let ceph = there
        .list_destinations()
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Ceph")
        .unwrap();
    assert!(
        ceph.secret_missing,
        "the imported S3 destination has no secret yet"
    );
    let err = there.open_destination(&ceph.id).map(|_| ()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert!(
        err.to_string().contains("type the secret access key"),
        "{err}"
    );
    let shop = there.find_source("Shop").unwrap();
    assert!(!there.source_form(&shop.id).unwrap().has_password);

    // With the key imported from its kit, importing again adds the job, paused until
    // its secrets are typed, and leaves everything else alone.
    there
        .import_key_profile("Office key", &exported.kit, now())
        .unwrap();
    let again = there
        .import_config_file(&exported.file, true, now())
        .unwrap();
    assert_eq!(
        outcome(&again, ImportedKind::Destination, "Ceph").0,
        ImportOutcome::Exists
    );
    assert_eq!(
        outcome(&again, ImportedKind::Job, "Photos").0,
        ImportOutcome::Exists
    );
    let (added, detail) = outcome(&again, ImportedKind::Job, "Shop nightly");
    assert_eq!(added, ImportOutcome::Added);
    assert!(detail.contains("paused"), "{detail}");
    assert_eq!(
        there.list_destinations().unwrap().len(),
        2,
        "nothing doubled"
    );
    let nightly = there.job_view(&exported.encrypted_job, now()).unwrap();
    assert!(
        !nightly.enabled,
        "a job waiting for secrets must not run and fail"
    );
    assert_eq!(nightly.key_profile_name.as_deref(), Some("Office key"));
    assert_eq!(nightly.targets.len(), 2);

    // Typing the secrets makes them usable.
    there
        .set_destination_secret(&ceph.id, &Secret::from(format!(" {S3_SECRET} ")))
        .unwrap();
    there
        .set_source_password(&shop.id, &Secret::from(DB_PASSWORD.to_owned()))
        .unwrap();
    let ceph = there
        .list_destinations()
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Ceph")
        .unwrap();
    assert!(!ceph.secret_missing);
    assert!(there.source_form(&shop.id).unwrap().has_password);
    let account = format!("destination/{}/secret-access-key", ceph.id);
    assert_eq!(
        there.keyring().get(&account).unwrap().expose_secret(),
        S3_SECRET,
        "spaces around a pasted key are stripped"
    );

    for engine in [&here, &there] {
        for d in engine.list_destinations().unwrap() {
            let _ = engine
                .keyring()
                .delete(&format!("destination/{}/secret-access-key", d.id));
        }
        for s in engine.list_sources().unwrap() {
            let _ = engine
                .keyring()
                .delete(&format!("source/{}/password", s.id));
        }
        for k in engine.list_key_profiles().unwrap() {
            let _ = engine.keyring().delete(&format!("key-profile/{}", k.id));
        }
    }
}

#[test]
fn files_that_are_not_a_configuration_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = engine(dir.path(), "refuse") else {
        return;
    };
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases = [
        (write("notes.txt", "hello"), "not JSON"),
        (
            write("other.json", r#"{"destinations": []}"#),
            "not a DBackup configuration file",
        ),
        (
            write(
                "future.json",
                r#"{"format": "dbackup-config", "version": 99, "exportedAt": "2030-01-01T00:00:00Z", "appVersion": "9.0.0"}"#,
            ),
            "update DBackup",
        ),
        (
            write(
                "damaged.json",
                r#"{"format": "dbackup-config", "version": 1, "exportedAt": "x", "appVersion": "0.1.0", "jobs": [{"name": 3}]}"#,
            ),
            "damaged",
        ),
        (dir.path().join("missing.json"), "cannot open"),
    ];
    for (path, expected) in cases {
        let err = engine.import_config_file(&path, true, now()).unwrap_err();
        // A file from a newer DBackup is not bad input: this one is too old for it.
        let code = if expected.contains("update DBackup") {
            ErrorCode::NeedsUpdate
        } else {
            ErrorCode::InvalidInput
        };
        assert_eq!(err.code(), code, "{err}");
        assert!(err.to_string().contains(expected), "{path:?}: {err}");
    }

    // Items that are wrong are skipped one by one, with the reason; the rest imports.
    let path = write(
        "mixed.json",
        r#"{"format": "dbackup-config", "version": 1, "exportedAt": "2026-12-04T12:00:00Z",
            "appVersion": "0.1.0",
            "destinations": [
              {"name": "Bad bucket", "kind": "s3", "config": {"provider": "aws", "region": "us-east-1",
               "bucket": "Not_A_Bucket", "prefix": "", "endpoint": null, "pathStyle": false,
               "accountId": null, "jurisdiction": null, "accessKeyId": "AKIA", "storageClass": "STANDARD",
               "sse": "bucket_default", "kmsKeyId": null, "transferAcceleration": false}},
              {"name": "Tape", "kind": "tape", "config": {}},
              {"name": "Later NAS", "kind": "local", "config": {"path": "/mnt/not-mounted-yet"}}
            ],
            "jobs": [{"id": "not-a-uuid", "name": "Orphan", "source": "Nowhere", "targets": [],
              "schedule": {"kind": "manual"}, "compression": "zstd", "level": 3,
              "encryptionKeyId": null, "notifyOnFailure": true, "notifyOnSuccess": false, "enabled": true}]
        }"#,
    );
    let report = engine.import_config_file(&path, true, now()).unwrap();
    let (bad, why) = outcome(&report, ImportedKind::Destination, "Bad bucket");
    assert_eq!(bad, ImportOutcome::Skipped);
    assert!(why.contains("bucket"), "{why}");
    assert_eq!(
        outcome(&report, ImportedKind::Destination, "Tape").0,
        ImportOutcome::Skipped
    );
    let (later, note) = outcome(&report, ImportedKind::Destination, "Later NAS");
    assert_eq!(later, ImportOutcome::Added);
    assert!(note.contains("mount"), "{note}");
    let (orphan, why) = outcome(&report, ImportedKind::Job, "Orphan");
    assert_eq!(orphan, ImportOutcome::Skipped);
    assert!(why.contains("Nowhere"), "{why}");
    assert_eq!(
        engine
            .list_destinations()
            .unwrap()
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["Later NAS"]
    );
}

#[test]
fn editing_a_source_keeps_its_password_unless_retyped_or_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = engine(dir.path(), "edit") else {
        return;
    };
    let id = engine
        .add_source(postgres("Shop", Some("first")), now())
        .unwrap()
        .id;
    let account = format!("source/{id}/password");
    let stored = || {
        engine
            .keyring()
            .get(&account)
            .ok()
            .map(|s| s.expose_secret().to_owned())
    };

    let view = engine
        .update_source(&id, postgres("Shop (primary)", Some("")), false, now())
        .unwrap();
    assert_eq!(view.name, "Shop (primary)");
    assert_eq!(
        stored().as_deref(),
        Some("first"),
        "an empty password keeps it"
    );

    // The stored password never follows the source to another server, port, user,
    // connection security or tools folder: it must be typed again.
    let moved = |change: &dyn Fn(&mut PostgresConfig)| {
        let mut edit = postgres("Shop (primary)", Some(""));
        if let SourceSettings::Postgres(c) = &mut edit.settings {
            change(c);
        }
        edit
    };
    type Change = dyn Fn(&mut PostgresConfig);
    let changes: [&Change; 5] = [
        &|c| c.host = "evil.example.net".into(),
        &|c| c.port = 5433,
        &|c| c.user = "someone".into(),
        &|c| c.ssl_mode = SslMode::Disable,
        &|c| c.tools_dir = Some("/tmp/tools".into()),
    ];
    for change in changes {
        let err = engine
            .update_source(&id, moved(change), false, now())
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert_eq!(err.field(), Some("password"));
        assert!(err.to_string().contains("type the password again"), "{err}");
        // Nor does Test connection on the edit form send it there.
        let err = engine.check_source_change(&id, moved(change)).unwrap_err();
        assert_eq!(err.field(), Some("password"), "{err}");
    }
    assert_eq!(
        stored().as_deref(),
        Some("first"),
        "a refused edit keeps it"
    );

    let mut retyped = postgres("Shop (primary)", Some("second"));
    if let SourceSettings::Postgres(c) = &mut retyped.settings {
        c.port = 5433;
    }
    let view = engine.update_source(&id, retyped, false, now()).unwrap();
    assert!(view.location.contains(":5433/"), "{}", view.location);
    assert_eq!(stored().as_deref(), Some("second"));

    engine
        .update_source(&id, postgres("Shop (primary)", None), true, now())
        .unwrap();
    assert_eq!(stored(), None, "cleared for trust authentication");
    assert!(!engine.source_form(&id).unwrap().has_password);

    // The kind cannot change, and a refused edit changes nothing.
    let folder = NewSource {
        name: "Shop (primary)".into(),
        settings: SourceSettings::Folder(FolderSettings {
            root: dir.path().to_path_buf(),
            include: vec![],
            exclude: vec![],
        }),
        password: None,
    };
    let err = engine.update_source(&id, folder, false, now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("add a new source"), "{err}");
    let mut bad_port = postgres("Shop (primary)", Some("third"));
    if let SourceSettings::Postgres(c) = &mut bad_port.settings {
        c.host = String::new();
    }
    assert!(engine.update_source(&id, bad_port, false, now()).is_err());
    assert_eq!(stored(), None, "a refused edit stores no password");
    let form = engine.source_form(&id).unwrap();
    assert_eq!(form.name, "Shop (primary)");
}

#[test]
fn a_shared_file_cannot_quietly_send_a_source_of_this_computer_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = engine(dir.path(), "shared") else {
        return;
    };
    let production = engine
        .add_source(postgres("Production", None), now())
        .unwrap();
    let file = serde_json::json!({
        "format": "dbackup-config",
        "version": 1,
        "exportedAt": "2026-12-04T12:00:00Z",
        "appVersion": "0.1.0",
        "destinations": [
            {"name": "Theirs", "kind": "s3", "config": {
                "provider": "custom", "region": "us-east-1", "bucket": "drop", "prefix": "",
                "endpoint": "http://203.0.113.7:9000", "pathStyle": true, "accountId": null,
                "jurisdiction": null, "accessKeyId": "", "credentials": "default_chain",
                "storageClass": "STANDARD", "sse": "bucket_default", "kmsKeyId": null,
                "transferAcceleration": false}},
            {"name": "Local NAS", "kind": "s3", "config": {
                "provider": "custom", "region": "us-east-1", "bucket": "nas", "prefix": "",
                "endpoint": "http://192.168.1.20:9000", "pathStyle": true, "accountId": null,
                "jurisdiction": null, "accessKeyId": "", "credentials": "default_chain",
                "storageClass": "STANDARD", "sse": "bucket_default", "kmsKeyId": null,
                "transferAcceleration": false}}
        ],
        "sources": [
            {"name": "Tools", "kind": "postgres", "hasSecret": false, "config": {
                "host": "db.internal", "port": 5432, "user": "backup", "database": "shop",
                "sslMode": "prefer", "toolsDir": "/tmp/not-pg-dump"}}
        ],
        "jobs": [{
            "id": "not-a-uuid", "name": "Hourly", "source": "Production",
            "targets": [{"destination": "Theirs", "retention": {"mode": "none"}}],
            "schedule": {"kind": "hourly", "minute": 0}, "catchUp": "once",
            "compression": "zstd", "level": 3, "encryptionKeyId": null,
            "notifyOnFailure": true, "notifyOnSuccess": false, "enabled": true
        }]
    });
    let file: dbackup_engine::config_file::ConfigFile = serde_json::from_value(file).unwrap();
    let report = engine.import_config(&file, true, now()).unwrap();
    let warnings = |what: ImportedKind, name: &str| {
        report
            .items
            .iter()
            .find(|i| i.what == what && i.name == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#?}"))
            .warnings
            .join(" | ")
    };
    let theirs = warnings(ImportedKind::Destination, "Theirs");
    assert!(
        theirs.contains("plain HTTP") && theirs.contains("anyone on the network path"),
        "{theirs}"
    );
    assert!(warnings(ImportedKind::Destination, "Local NAS").contains("private network"));
    let tools = warnings(ImportedKind::Source, "Tools");
    assert!(
        tools.contains("tools folder") && tools.contains("dropped"),
        "{tools}"
    );
    let job = warnings(ImportedKind::Job, "Hourly");
    assert!(
        job.contains("\"Production\", a source that was already on this computer"),
        "{job}"
    );
    assert!(job.contains("not encrypted"), "{job}");

    let hourly = engine.find_job("Hourly").unwrap();
    assert!(
        !engine.job_view(&hourly, now()).unwrap().enabled,
        "imported enabled"
    );
    let tools_source = engine.find_source("Tools").unwrap();
    let form = serde_json::to_value(engine.source_form(&tools_source.id).unwrap()).unwrap();
    assert!(
        !form.to_string().contains("not-pg-dump"),
        "the tools folder was kept: {form}"
    );
    // Even resumed, the public plain-HTTP destination is refused before any byte goes.
    let theirs = engine
        .list_destinations()
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Theirs")
        .unwrap();
    let err = engine.open_destination(&theirs.id).map(|_| ()).unwrap_err();
    assert_eq!(err.field(), Some("endpoint"), "{err}");
    let _ = production;
}

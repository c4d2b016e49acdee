//! Editing saved destinations, against the real OS keyring (gnome-keyring inside
//! dbus-run-session in CI): the secret is kept unless retyped, goes away with the
//! default credential chain, and survives a failed edit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use dbackup_engine::s3_destination::{
    CredentialSource, DestinationSettings, NewS3Destination, S3Provider, SseMode,
};
use dbackup_engine::secrets::ExposeSecret;
use dbackup_engine::{AppPaths, Engine, ErrorCode, Keyring, NewLocalDestination};
use jiff::Timestamp;

fn engine(dir: &std::path::Path) -> Option<Engine> {
    common::engine_with_keyring(dir, "edit")
}

fn form(name: &str, secret: &str) -> NewS3Destination {
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
        access_key_id: "AKIAFIRST".into(),
        secret_access_key: secret.into(),
        credentials: CredentialSource::AccessKey,
        profile: None,
        storage_class: None,
        sse: SseMode::BucketDefault,
        kms_key_id: None,
        transfer_acceleration: false,
        allow_plain_http: false,
    }
}

#[test]
fn editing_keeps_the_secret_unless_retyped_and_a_failed_edit_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(engine) = engine(dir.path()) else {
        return;
    };
    let now: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let id = engine
        .add_s3_destination(form("Ceph", "first-secret"), now)
        .unwrap()
        .destination
        .id;
    let account = format!("destination/{id}/secret-access-key");
    let secret = || {
        engine
            .keyring()
            .get(&account)
            .map(|s| s.expose_secret().to_owned())
    };

    // Renamed, another prefix, the secret left empty: the stored one stays.
    let mut edit = form("Ceph cluster", "");
    edit.prefix = "/laptop//db/".into();
    let edited = engine.update_s3_destination(&id, edit, now).unwrap();
    assert_eq!(edited.destination.name, "Ceph cluster");
    assert_eq!(secret().unwrap(), "first-secret");
    let DestinationSettings::S3 { name, config } = engine.destination_settings(&id).unwrap() else {
        panic!("an S3 destination's settings");
    };
    assert_eq!(name, "Ceph cluster");
    assert_eq!(config.prefix, "laptop/db/");
    assert_eq!(config.access_key_id, "AKIAFIRST");

    // A retyped secret replaces it (spaces trimmed, with a notice).
    let edited = engine
        .update_s3_destination(&id, form("Ceph cluster", " second-secret "), now)
        .unwrap();
    assert_eq!(secret().unwrap(), "second-secret");
    assert!(!edited.notices.is_empty());

    // A failed edit (the name of another destination) keeps the old secret.
    let nas = dir.path().join("nas");
    std::fs::create_dir(&nas).unwrap();
    engine
        .add_local_destination(
            NewLocalDestination {
                name: "NAS".into(),
                path: nas.display().to_string(),
            },
            now,
        )
        .unwrap();
    let err = engine
        .update_s3_destination(&id, form("nas", "third-secret"), now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(secret().unwrap(), "second-secret");

    // The provider cannot change.
    let mut aws = form("Ceph cluster", "");
    aws.provider = S3Provider::Aws;
    aws.endpoint = None;
    assert_eq!(
        engine
            .update_s3_destination(&id, aws, now)
            .unwrap_err()
            .field(),
        Some("provider")
    );

    // The default credential chain: the stored secret goes.
    let mut chain = form("Ceph cluster", "");
    chain.credentials = CredentialSource::DefaultChain;
    chain.access_key_id = String::new();
    engine.update_s3_destination(&id, chain, now).unwrap();
    assert!(secret().is_err());
    // Back to a key: now there is none to keep, so one must be given.
    let err = engine
        .update_s3_destination(&id, form("Ceph cluster", ""), now)
        .unwrap_err();
    assert_eq!(err.field(), Some("secretAccessKey"));
    engine
        .update_s3_destination(&id, form("Ceph cluster", "fourth-secret"), now)
        .unwrap();
    assert_eq!(secret().unwrap(), "fourth-secret");
    engine.remove_destination(&id).unwrap();
    assert!(secret().is_err());
}

#[test]
fn a_local_folder_is_renamed_and_moved_but_not_turned_into_s3() {
    let dir = tempfile::tempdir().unwrap();
    // No secret is involved: a keyring-free engine will do.
    let engine = Engine::open(
        AppPaths::new(dir.path().join("data"), dir.path().join("logs")),
        Keyring::new("dbackup-test-unused"),
    )
    .unwrap();
    let now: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir(&old).unwrap();
    std::fs::create_dir(&new).unwrap();
    let id = engine
        .add_local_destination(
            NewLocalDestination {
                name: "Disk".into(),
                path: old.display().to_string(),
            },
            now,
        )
        .unwrap()
        .id;
    let edited = engine
        .update_local_destination(
            &id,
            NewLocalDestination {
                name: "USB disk".into(),
                path: new.display().to_string(),
            },
            now,
        )
        .unwrap();
    assert_eq!(edited.name, "USB disk");
    assert_eq!(edited.location, new.display().to_string());
    let err = engine
        .update_local_destination(
            &id,
            NewLocalDestination {
                name: "USB disk".into(),
                path: dir.path().join("missing").display().to_string(),
            },
            now,
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("path"));
    assert_eq!(
        engine
            .update_s3_destination(&id, form("x", "s"), now)
            .unwrap_err()
            .field(),
        Some("kind")
    );
}

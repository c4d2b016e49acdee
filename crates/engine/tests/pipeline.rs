//! Backup, restore and verify end to end through the real archive format, against
//! local folders and (when the test server runs) Ceph radosgw.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Read};
use std::sync::Arc;

use dbackup_archive::{ArchiveMetadata, EncryptionSetting, Key, KeySet, WriterSettings};
use dbackup_engine::backup::{run_backup, BackupPlan, BackupStatus, NamedDestination};
use dbackup_engine::restore::{restore_to_file, verify, SharedKeys, Trust};
use dbackup_engine::transfer::progress::{Phase, ProgressReporter};
use dbackup_engine::ErrorCode;
use dbackup_storage::{Destination, LocalFolder, ObjectKey, S3Destination, S3Settings};
use tokio_util::sync::CancellationToken;

/// SQL-dump-like text: compressible but not trivially.
fn sample(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 100);
    let mut i = 0u64;
    while out.len() < len {
        i += 1;
        let line = format!(
            "INSERT INTO orders VALUES ({i}, 'customer-{}', {}.{:02}, '2026-11-{:02}T10:00:00Z');\n",
            i.wrapping_mul(2654435761) % 100_000,
            i % 997,
            i % 100,
            1 + i % 28
        );
        out.extend_from_slice(line.as_bytes());
    }
    out.truncate(len);
    out
}

fn key() -> Key {
    Key::from_bytes([7u8; 32])
}

fn settings(encryption: EncryptionSetting) -> WriterSettings {
    let mut metadata = ArchiveMetadata::new("2026-11-25T10:00:00Z".parse().unwrap());
    metadata.job_name = Some("orders".into());
    metadata.source_kind = Some("file".into());
    WriterSettings::new(encryption, metadata)
}

fn local(name: &str, dir: &std::path::Path) -> NamedDestination {
    NamedDestination {
        name: name.into(),
        destination: Arc::new(LocalFolder::new(dir)),
    }
}

fn object() -> ObjectKey {
    ObjectKey::new("orders/orders_2026-11-25T10-00-00Z.dbk").unwrap()
}

fn keys(k: Key) -> SharedKeys {
    Arc::new(KeySet::new().with_key(k))
}

async fn backup(
    input: impl Read + Send + 'static,
    destinations: Vec<NamedDestination>,
    encryption: EncryptionSetting,
) -> Result<dbackup_engine::backup::BackupReport, dbackup_engine::EngineError> {
    let (progress, _rx) = ProgressReporter::new(None);
    run_backup(
        input,
        BackupPlan {
            object: object(),
            settings: settings(encryption),
            destinations,
            trigger: "manual".into(),
            installation_id: None,
            manifest_key: None,
            size_hint: None,
        },
        &progress,
        &CancellationToken::new(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_to_two_folders_then_restore_and_verify_each() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let data = sample(5 * 1024 * 1024 + 123);
    let report = backup(
        io::Cursor::new(data.clone()),
        vec![local("A", &a), local("B", &b)],
        EncryptionSetting::KeyProfile(key()),
    )
    .await
    .unwrap();
    assert_eq!(report.status, BackupStatus::Success);
    assert_eq!(report.manifest.plain_size, data.len() as u64);
    assert!(
        report.manifest.stored_size < data.len() as u64 / 3,
        "zstd should shrink SQL text"
    );
    assert_eq!(
        report.manifest.key_id.as_deref(),
        Some(key().id().to_string().as_str())
    );
    assert_eq!(report.manifest.encryption, "key");

    for folder in [&a, &b] {
        let dest: Arc<dyn Destination> = Arc::new(LocalFolder::new(folder));
        let listed: Vec<String> = dest
            .list("")
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key.to_string())
            .collect();
        assert_eq!(
            listed,
            [
                "orders/orders_2026-11-25T10-00-00Z.dbk",
                "orders/orders_2026-11-25T10-00-00Z.dbk.meta.json"
            ]
        );
        let (progress, rx) = ProgressReporter::new(None);
        let checked = verify(
            dest.clone(),
            &object(),
            keys(key()),
            &progress,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        assert!(checked.manifest_checked);
        assert_eq!(checked.plain_size, data.len() as u64);
        assert_eq!(rx.borrow().phase, Phase::Done);

        let target = dir.path().join(format!(
            "restored-{}",
            folder.file_name().unwrap().to_string_lossy()
        ));
        restore_to_file(
            dest,
            &object(),
            keys(key()),
            Trust::allowing_unencrypted(true),
            &target,
            false,
            &progress,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        assert!(std::fs::read(&target).unwrap() == data);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_destination_gives_partial_and_the_other_copy_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"a file where a folder should be").unwrap();
    let good = dir.path().join("good");
    let data = sample(300_000);
    let report = backup(
        io::Cursor::new(data.clone()),
        vec![local("Broken", &blocker), local("Good", &good)],
        EncryptionSetting::None,
    )
    .await
    .unwrap();
    assert_eq!(report.status, BackupStatus::Partial);
    let broken = report
        .copies
        .iter()
        .find(|c| c.destination == "Broken")
        .unwrap();
    assert!(!broken.stored);
    assert!(broken.error.as_ref().unwrap().contains("not-a-folder"));
    let dest: Arc<dyn Destination> = Arc::new(LocalFolder::new(&good));
    let target = dir.path().join("out");
    let (progress, _rx) = ProgressReporter::new(None);
    restore_to_file(
        dest,
        &object(),
        Arc::new(KeySet::new()),
        Trust::allowing_unencrypted(true),
        &target,
        false,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(std::fs::read(&target).unwrap() == data);
}

/// A source that fails after some bytes, like a dump tool dying mid-stream.
struct FailingSource {
    left: usize,
}

impl Read for FailingSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(
                "pg_dump exited with status 1: connection lost",
            ));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(b'x');
        self.left -= n;
        Ok(n)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_failing_mid_stream_fails_the_run_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("dest");
    let err = backup(
        FailingSource {
            left: 3 * 1024 * 1024,
        },
        vec![local("Dest", &folder)],
        EncryptionSetting::KeyProfile(key()),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Source);
    assert!(err.to_string().contains("connection lost"), "{err}");
    let left = LocalFolder::new(&folder).list("").await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    let stray: Vec<_> = walk(&folder);
    assert!(stray.is_empty(), "temp files left: {stray:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .flat_map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p)
            } else {
                vec![p]
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_key_and_damage_are_told_apart_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("dest");
    backup(
        io::Cursor::new(sample(3 * 1024 * 1024)),
        vec![local("Dest", &folder)],
        EncryptionSetting::KeyProfile(key()),
    )
    .await
    .unwrap();
    let dest: Arc<dyn Destination> = Arc::new(LocalFolder::new(&folder));
    let (progress, _rx) = ProgressReporter::new(None);
    let target = dir.path().join("restored.sql");

    let err = restore_to_file(
        dest.clone(),
        &object(),
        keys(Key::from_bytes([8u8; 32])),
        Trust::allowing_unencrypted(true),
        &target,
        false,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongKey, "{err}");
    assert!(!target.exists());
    assert!(walk(dir.path())
        .iter()
        .all(|p| !p.to_string_lossy().contains("dbackup-partial")));

    // Flip one byte in the body of the stored object.
    let path = folder.join(object().as_str());
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let err = verify(
        dest.clone(),
        &object(),
        keys(key()),
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
    assert!(err.to_string().contains("chunk"), "{err}");
    let err = restore_to_file(
        dest,
        &object(),
        keys(key()),
        Trust::allowing_unencrypted(true),
        &target,
        false,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
    assert!(!target.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unencrypted_object_that_disagrees_with_its_manifest_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("dest");
    let mut s = settings(EncryptionSetting::None);
    s.compression = dbackup_archive::Compression::None;
    let (progress, _rx) = ProgressReporter::new(None);
    run_backup(
        io::Cursor::new(sample(100_000)),
        BackupPlan {
            object: object(),
            settings: s,
            destinations: vec![local("D", &folder)],
            trigger: "manual".into(),
            installation_id: None,
            manifest_key: None,
            size_hint: None,
        },
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let path = folder.join(object().as_str());
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let dest: Arc<dyn Destination> = Arc::new(LocalFolder::new(&folder));
    let err = verify(
        dest,
        &object(),
        Arc::new(KeySet::new()),
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
    assert!(err.to_string().contains("SHA-256"), "{err}");
}

/// An endless source; only cancellation stops it.
struct Endless;

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(b'y');
        Ok(buf.len())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_stops_the_backup_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("dest");
    let cancel = CancellationToken::new();
    let (progress, mut rx) = ProgressReporter::new(None);
    let plan = BackupPlan {
        object: object(),
        settings: settings(EncryptionSetting::KeyProfile(key())),
        destinations: vec![local("D", &folder)],
        trigger: "manual".into(),
        installation_id: None,
        manifest_key: None,
        size_hint: None,
    };
    let run = {
        let cancel = cancel.clone();
        tokio::spawn(async move { run_backup(Endless, plan, &progress, &cancel).await })
    };
    // Cancel once real data has flowed (bounded wait).
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            rx.changed().await.unwrap();
            if rx.borrow().bytes_in > 20 * 1024 * 1024 {
                break;
            }
        }
    })
    .await
    .expect("the backup made no progress");
    cancel.cancel();
    let err = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("cancel did not stop the backup")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(walk(&folder).is_empty(), "{:?}", walk(&folder));
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_through_s3_multipart() {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let (Some(endpoint), Some(access), Some(secret)) = (
        var("DBACKUP_TEST_S3_ENDPOINT"),
        var("DBACKUP_TEST_S3_ACCESS_KEY"),
        var("DBACKUP_TEST_S3_SECRET_KEY"),
    ) else {
        assert!(
            var("DBACKUP_TEST_S3_REQUIRED").as_deref() != Some("1"),
            "DBACKUP_TEST_S3_REQUIRED=1 but no S3 test server is configured"
        );
        eprintln!("SKIPPED: no S3 test server");
        return;
    };
    let bucket = format!("pipeline-{}", std::process::id());
    let s3 = S3Destination::new(S3Settings {
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        bucket: bucket.clone(),
        prefix: "backups/".into(),
        force_path_style: true,
        credentials: dbackup_storage::S3Credentials::keys(access, secret),
        storage_class: None,
        part_size: 5 * 1024 * 1024,
        equal_parts: false,
        parts_in_flight: 2,
        sse: None,
        accelerate: false,
        answer_wait: dbackup_storage::DEFAULT_ANSWER_WAIT,
    });
    s3.client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let dest: Arc<dyn Destination> = Arc::new(s3);
    // Random-ish bytes so the stored object spans several parts.
    let mut x = 0x9E3779B97F4A7C15u64;
    let data: Vec<u8> = (0..13 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let report = backup(
        io::Cursor::new(data.clone()),
        vec![NamedDestination {
            name: "radosgw".into(),
            destination: dest.clone(),
        }],
        EncryptionSetting::KeyProfile(key()),
    )
    .await
    .unwrap();
    assert_eq!(report.status, BackupStatus::Success);
    assert!(report.manifest.stored_size > 10 * 1024 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("restored");
    let (progress, _rx) = ProgressReporter::new(None);
    let read = restore_to_file(
        dest,
        &object(),
        keys(key()),
        Trust::allowing_unencrypted(true),
        &target,
        false,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(read.manifest_checked);
    assert!(std::fs::read(&target).unwrap() == data);
}

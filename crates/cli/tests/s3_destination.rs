//! A saved S3 destination against Ceph radosgw, with its secret in the real OS
//! keyring: add it, back up to it by name, verify, remove it (and its secret).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn saved_s3_destination_keeps_its_secret_only_in_the_keyring() {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let (Some(endpoint), Some(access), Some(secret)) = (
        var("DBACKUP_TEST_S3_ENDPOINT"),
        var("DBACKUP_TEST_S3_ACCESS_KEY"),
        var("DBACKUP_TEST_S3_SECRET_KEY"),
    ) else {
        assert!(
            var("DBACKUP_TEST_S3_REQUIRED").as_deref() != Some("1"),
            "no S3 test server configured"
        );
        eprintln!("SKIPPED: no S3 test server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let service = format!("dbackup-test-s3dest-{}", std::process::id());
    let cmd = || {
        let mut c = Command::cargo_bin("dbackup").unwrap();
        c.current_dir(dir.path())
            .env("DBACKUP_DATA_DIR", dir.path().join("data"))
            .env("DBACKUP_KEYRING_SERVICE", &service)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .timeout(std::time::Duration::from_secs(120));
        c
    };
    if !cmd()
        .args(["keyring", "check"])
        .output()
        .unwrap()
        .status
        .success()
    {
        assert!(
            var("DBACKUP_TEST_KEYRING").as_deref() != Some("1"),
            "the OS keyring is unusable"
        );
        eprintln!("SKIPPED: no usable OS keyring");
        return;
    }
    let bucket = format!("saved-{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s3 = dbackup_storage::S3Destination::new(dbackup_storage::S3Settings {
            endpoint: Some(endpoint.clone()),
            region: "us-east-1".into(),
            bucket: bucket.clone(),
            prefix: String::new(),
            force_path_style: true,
            access_key_id: access.clone(),
            secret_access_key: secret.clone().into(),
            storage_class: None,
            part_size: dbackup_storage::DEFAULT_PART_SIZE,
            parts_in_flight: 2,
            sse: None,
            accelerate: false,
        });
        s3.client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
    });

    // Invalid bucket names are refused before any request.
    cmd()
        .env("MY_SECRET", &secret)
        .args([
            "destination",
            "add-s3",
            "--name",
            "x",
            "--provider",
            "custom",
            "--endpoint",
            &endpoint,
            "--bucket",
            "Bad_Name",
            "--access-key-id",
            &access,
            "--secret-env",
            "MY_SECRET",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bucket"));

    // A pasted key with spaces is accepted, with a notice.
    cmd()
        .env("MY_SECRET", format!(" {secret} "))
        .args([
            "destination",
            "add-s3",
            "--name",
            "Ceph",
            "--provider",
            "custom",
            "--endpoint",
            &endpoint,
            "--path-style",
            "--bucket",
            &bucket,
            "--prefix",
            "/laptop//db",
            "--access-key-id",
            &access,
            "--secret-env",
            "MY_SECRET",
            "--storage-class",
            "STANDARD_IA",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("removed spaces"))
        .stdout(predicate::str::contains(format!(
            "s3://{bucket}/laptop/db/"
        )));

    // Test connection: the four actions of the minimal policy, and the policy itself.
    cmd()
        .args(["destination", "test", "Ceph"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok       s3:PutObject"))
        .stdout(predicate::str::contains("ok       s3:DeleteObject"))
        .stdout(predicate::str::contains(format!(
            "arn:aws:s3:::{bucket}/laptop/db/*"
        )));

    // The secret is in the keyring, not in the state database.
    let db = std::fs::read(dir.path().join("data/dbackup.sqlite")).unwrap();
    let wal = std::fs::read(dir.path().join("data/dbackup.sqlite-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !String::from_utf8_lossy(bytes).contains(&secret),
            "secret found in the state database"
        );
    }

    std::fs::write(
        dir.path().join("db.sql"),
        b"INSERT INTO t VALUES (1);\n".repeat(20_000),
    )
    .unwrap();
    let out = cmd()
        .args([
            "--json",
            "backup",
            "--file",
            "db.sql",
            "--to",
            "ceph",
            "--no-encryption",
        ])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let object = report["object"].as_str().unwrap().to_owned();
    let out = cmd()
        .args(["--json", "inspect", &object, "--from", "Ceph"])
        .assert()
        .success();
    let info: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(info["storageClass"], "STANDARD_IA");
    cmd()
        .args(["verify", &object, "--from", "Ceph"])
        .assert()
        .success();

    // Removing the destination removes its secret: using it by name now fails, and a
    // re-added destination of the same name needs the secret again.
    cmd()
        .args(["destination", "remove", "Ceph"])
        .assert()
        .success();
    cmd()
        .args(["verify", &object, "--from", "Ceph"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("destination list"));
    let listing = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", &service])
        .output();
    if let Ok(listing) = listing {
        let text = String::from_utf8_lossy(&listing.stdout).to_string()
            + &String::from_utf8_lossy(&listing.stderr);
        assert!(!text.contains("secret-access-key"), "{text}");
    }
}

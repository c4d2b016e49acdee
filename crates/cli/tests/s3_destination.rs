//! A saved S3 destination against Ceph radosgw, with its secret in the real OS
//! keyring: add it, back up to it by name, verify, remove it (and its secret).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use predicates::prelude::*;

#[test]
fn saved_s3_destination_keeps_its_secret_only_in_the_keyring() {
    let Some((s3, m)) = common::s3_with_keyring("s3dest") else {
        return;
    };
    let (endpoint, access, secret) = (s3.endpoint.clone(), s3.access.clone(), s3.secret.clone());
    let (dir, service) = (&m.dir, &m.service);
    // Saved destinations must not fall back to credentials in the environment.
    let cmd = || {
        let mut c = m.cmd();
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        c
    };
    let bucket = s3.bucket("saved");

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
        .args(["search", "--all", "service", service])
        .output();
    if let Ok(listing) = listing {
        let text = String::from_utf8_lossy(&listing.stdout).to_string()
            + &String::from_utf8_lossy(&listing.stderr);
        assert!(!text.contains("secret-access-key"), "{text}");
    }
}

#[test]
fn a_destination_on_the_aws_default_credential_chain_stores_no_secret() {
    let Some((s3, m)) = common::s3_with_keyring("s3chain") else {
        return;
    };
    // A shared credentials file with a named profile, as `aws configure --profile` writes.
    let credentials = m.path("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[backup]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s3.access, s3.secret
        ),
    )
    .unwrap();
    let config = m.path("aws-config");
    std::fs::write(&config, "[profile backup]\nregion = us-east-1\n").unwrap();
    let cmd = || {
        let mut c = m.cmd();
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", &config)
            // No instance metadata service here: do not wait for one.
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    };
    let bucket = s3.bucket("chain");
    let add = |name: &str, profile: &str| {
        cmd()
            .args([
                "destination",
                "add-s3",
                "--name",
                name,
                "--provider",
                "custom",
                "--endpoint",
                &s3.endpoint,
                "--bucket",
                &bucket,
                "--default-credentials",
                "--profile",
                profile,
            ])
            .assert()
            .success();
    };
    add("chain", "backup");
    add("nobody", "no-such-profile");
    std::fs::write(m.path("db.sql"), b"SELECT 1;\n".repeat(1000)).unwrap();
    let out = cmd()
        .args([
            "--json",
            "backup",
            "--file",
            "db.sql",
            "--to",
            "chain",
            "--no-encryption",
        ])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let object = report["object"].as_str().unwrap().to_owned();
    cmd()
        .args(["verify", &object, "--from", "chain"])
        .assert()
        .success();

    // A profile that does not exist: the error says where credentials are looked for.
    let out = cmd()
        .args(["verify", &object, "--from", "nobody"])
        .assert()
        .code(5);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("no AWS credentials"), "{err}");
    assert!(err.contains("AWS_PROFILE"), "{err}");

    // An s3:// address without keys in the environment uses the chain too.
    cmd()
        .env("AWS_PROFILE", "backup")
        .args([
            "verify",
            &object,
            "--from",
            &format!("s3://{bucket}"),
            "--endpoint",
            &s3.endpoint,
        ])
        .assert()
        .success();

    // Nothing went to the keyring for these destinations.
    let listing = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", &m.service])
        .output();
    if let Ok(listing) = listing {
        let text = String::from_utf8_lossy(&listing.stdout).to_string()
            + &String::from_utf8_lossy(&listing.stderr);
        assert!(!text.contains("secret-access-key"), "{text}");
    }
}

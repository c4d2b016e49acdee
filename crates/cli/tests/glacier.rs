//! Backups in S3 Glacier, end to end through the real `dbackup` binary against moto
//! (radosgw has no RestoreObject): a job writing to a GLACIER destination, reads refused
//! with what to do, a restore asked for, seen ready once, and then read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Machine, S3Server};
use predicates::prelude::*;

#[test]
fn a_backup_in_glacier_is_restored_before_it_is_read() {
    let Some(s3) = S3Server::moto_from_env() else {
        return;
    };
    let m = Machine::new("glacier");
    if !m.keyring_available() {
        return;
    }
    let bucket = s3.bucket("glacier");
    s3.add_destination_with(&m, "cold", &bucket, "", &["--storage-class", "GLACIER"]);
    let folder = m.path("ledger");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("2026.csv"),
        b"date,amount\n2026-12-01,42\n".repeat(500),
    )
    .unwrap();
    let object = m.run_folder_job("ledger", &folder, "cold", &[]);

    // The catalog knows it is in Glacier and needs a restore.
    let list = m.json(&["backup", "list", "--destination", "cold"]);
    assert_eq!(list[0]["storageClass"], "GLACIER", "{list}");
    assert_eq!(list[0]["glacier"]["state"], "archived", "{list}");
    let text = m.cmd().args(["backup", "list"]).assert().success();
    assert!(String::from_utf8_lossy(&text.get_output().stdout).contains("GLACIER (needs restore)"));

    // Reading it says what to do instead of failing half-way; nothing is written.
    let out_file = m.path("restored.tar");
    let (code, err) = m.fails(&["verify", &object, "--from", "cold"]);
    assert_eq!(code, 9, "{err}");
    assert!(err.contains("must be restored from Glacier"), "{err}");
    assert!(err.contains("dbackup backup glacier-restore"), "{err}");
    let (_, err) = m.fails(&[
        "restore",
        &object,
        "--from",
        "cold",
        "--output",
        out_file.to_str().unwrap(),
    ]);
    assert!(err.contains("must be restored from Glacier"), "{err}");
    assert!(!out_file.exists());
    let checked = m.json(&[
        "backup",
        "glacier-restore",
        &object,
        "--from",
        "cold",
        "--check",
    ]);
    assert_eq!(checked["state"], "archived", "{checked}");
    assert_eq!(checked["requested"], serde_json::Value::Null);

    // Nothing awaited yet: the check is quiet.
    let quiet = m.cmd().args(["backup", "glacier-check"]).assert().success();
    assert!(quiet.get_output().stdout.is_empty());

    // Ask for it (moto restores at once; S3 takes minutes to hours).
    let asked = m.json(&[
        "backup",
        "glacier-restore",
        &object,
        "--from",
        "cold",
        "--tier",
        "expedited",
        "--days",
        "2",
    ]);
    assert_eq!(asked["requested"], "started", "{asked}");
    assert_eq!(asked["storageClass"], "GLACIER");
    let until: jiff::Timestamp = asked["readyUntil"].as_str().unwrap().parse().unwrap();
    let days = until.duration_since(jiff::Timestamp::now()).as_hours();
    assert!((24..=49).contains(&days), "restored copy kept {days} hours");

    // The check says it is ready exactly once.
    let first = m.json(&["backup", "glacier-check"]);
    assert_eq!(first["ready"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first["ready"][0]["object"], object.as_str());
    assert_eq!(first["ready"][0]["jobName"], "ledger");
    let again = m.json(&["backup", "glacier-check"]);
    assert!(again["ready"].as_array().unwrap().is_empty(), "{again}");
    let list = m.json(&["backup", "list", "--destination", "cold"]);
    assert_eq!(list[0]["glacier"]["state"], "restored", "{list}");
    assert_eq!(list[0]["glacier"]["tier"], "expedited", "{list}");

    // Now it reads: verify, and a restore identical to the source.
    m.cmd()
        .args(["verify", &object, "--from", "cold"])
        .assert()
        .success();
    let into = m.path("back");
    std::fs::create_dir_all(&into).unwrap();
    m.cmd()
        .args([
            "restore",
            &object,
            "--from",
            "cold",
            "--allow-unencrypted",
            "--into-source",
            "ledger",
            "--output",
            into.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(into.join("2026.csv")).unwrap(),
        std::fs::read(folder.join("2026.csv")).unwrap()
    );

    // Asking again extends the copy's life.
    let extended = m.json(&[
        "backup",
        "glacier-restore",
        &object,
        "--from",
        "cold",
        "--days",
        "3",
    ]);
    assert_eq!(extended["requested"], "extended", "{extended}");
}

#[test]
fn glacier_restores_are_refused_where_they_cannot_apply() {
    let Some(s3) = S3Server::moto_from_env() else {
        return;
    };
    let m = Machine::new("glacier-refused");
    let bucket = s3.bucket("deep");
    std::fs::write(m.path("dump.sql"), b"SELECT 1;\n".repeat(100)).unwrap();
    let backup = |class: &str| -> String {
        let mut cmd = m.cmd();
        s3.apply(&mut cmd);
        let out = cmd
            .args([
                "--json",
                "backup",
                "--file",
                "dump.sql",
                "--to",
                &format!("s3://{bucket}/{}", class.to_lowercase()),
                "--endpoint",
                &s3.endpoint,
                "--storage-class",
                class,
                "--no-encryption",
            ])
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        report["object"].as_str().unwrap().to_owned()
    };
    let ask = |object: &str, class: &str, tier: &str| {
        let mut cmd = m.cmd();
        s3.apply(&mut cmd);
        cmd.args([
            "backup",
            "glacier-restore",
            object,
            "--from",
            &format!("s3://{bucket}/{}", class.to_lowercase()),
            "--endpoint",
            &s3.endpoint,
            "--tier",
            tier,
        ])
        .assert()
    };

    // Deep Archive has no Expedited tier; Bulk is fine.
    let deep = backup("DEEP_ARCHIVE");
    ask(&deep, "DEEP_ARCHIVE", "expedited")
        .code(2)
        .stderr(predicate::str::contains(
            "Deep Archive has no Expedited tier",
        ));
    ask(&deep, "DEEP_ARCHIVE", "bulk")
        .success()
        .stdout(predicate::str::contains("restore"));

    // Objects read directly need no restore, and are told so.
    let instant = backup("GLACIER_IR");
    ask(&instant, "GLACIER_IR", "standard")
        .code(2)
        .stderr(predicate::str::contains(
            "GLACIER_IR, which is read directly",
        ));
}

//! The CLI's answer when the OS keyring cannot be used. Run inside a session whose
//! keyring is locked: `tests/with-session.sh --locked cargo test -p dbackup-cli
//! --test keyring_locked -- --ignored` (scripts/test runs the built test binary so).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
#[ignore = "needs a locked keyring: run through tests/with-session.sh --locked"]
fn a_locked_keyring_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("dbackup")
        .unwrap()
        .env("DBACKUP_DATA_DIR", dir.path())
        .args(["keyring", "check"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "the OS keyring is locked or not running",
        ))
        .stderr(predicate::str::contains("Unlock it"));
}

#[test]
fn no_session_bus_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("dbackup")
        .unwrap()
        .env("DBACKUP_DATA_DIR", dir.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", dir.path())
        .args(["keyring", "check"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "the OS keyring is locked or not running",
        ));
}

/// A key the keyring cannot give (locked: exit 4; gone: exit 2) is the keyring's
/// failure, said as such, not a damaged backup (exit 7).
#[test]
fn a_key_the_keyring_cannot_give_is_its_failure_not_a_damaged_backup() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let mut cmd = Command::cargo_bin("dbackup").unwrap();
        cmd.current_dir(dir.path())
            .env("DBACKUP_DATA_DIR", dir.path().join("data"))
            .timeout(std::time::Duration::from_secs(60));
        cmd
    };
    // A kit file needs no keyring; the backup is encrypted with its key.
    run()
        .args([
            "key",
            "generate",
            "--name",
            "office",
            "--output",
            "office.kit",
        ])
        .assert()
        .success();
    std::fs::write(dir.path().join("in.sql"), b"SELECT 1;\n".repeat(1000)).unwrap();
    let out = run()
        .args([
            "--json",
            "backup",
            "--file",
            "in.sql",
            "--to",
            "./d",
            "--key-file",
            "office.kit",
        ])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let object = report["object"].as_str().unwrap().to_owned();
    let key_id = report["manifest"]["keyId"].as_str().unwrap().to_owned();
    // This computer knows the key as a profile, whose key is in the (locked) keyring.
    run().args(["status"]).assert().success();
    let db = rusqlite::Connection::open(dir.path().join("data/dbackup.sqlite")).unwrap();
    db.execute(
        "INSERT INTO key_profiles (id, name, key_id, created_at) VALUES ('p1', 'office', ?1, '2026-12-06T00:00:00Z')",
        [&key_id],
    )
    .unwrap();
    drop(db);
    // The profile's key is not in the keyring (removed by hand, or another keyring).
    run()
        .args(["restore", &object, "--from", "./d", "--output", "out.sql"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("in the OS keyring"))
        .stderr(predicate::str::contains("damaged").not());
    assert!(!dir.path().join("out.sql").exists());
}

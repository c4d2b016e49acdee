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

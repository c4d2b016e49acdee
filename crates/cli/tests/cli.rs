//! The real `dbackup` binary against a real state file in a temp dir.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use predicates::prelude::*;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("dbackup").unwrap();
        cmd.env("DBACKUP_DATA_DIR", self.data())
            .env("DBACKUP_LOG_DIR", self.dir.path().join("logs"));
        cmd
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cmd().arg("--json").args(args).assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }
}

#[test]
fn version_and_help() {
    let env = Env::new();
    env.cmd()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "dbackup {}",
            env!("CARGO_PKG_VERSION")
        )));
    env.cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("destination"))
        .stdout(predicate::str::contains("DBACKUP_DATA_DIR"));
    env.cmd()
        .arg("no-such-command")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognized subcommand"));
}

#[test]
fn status_on_a_fresh_machine_creates_an_empty_state() {
    let env = Env::new();
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("No destinations yet - add one"));
    assert!(env.data().join("dbackup.sqlite").exists());
    let status = env.json(&["status"]);
    assert_eq!(status["destinations"], serde_json::json!([]));
    assert!(status["databasePath"]
        .as_str()
        .unwrap()
        .ends_with("dbackup.sqlite"));
}

#[test]
fn add_list_remove_a_local_destination() {
    let env = Env::new();
    let nas = env.dir.path().join("nas");
    std::fs::create_dir(&nas).unwrap();
    let added = env.json(&[
        "destination",
        "add-local",
        "--name",
        "NAS",
        "--path",
        nas.to_str().unwrap(),
    ]);
    assert_eq!(added["name"], "NAS");
    assert_eq!(added["kind"], "local");
    let list = env.json(&["destination", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["location"], nas.to_str().unwrap());

    env.cmd()
        .args(["destination", "test", "NAS"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok       write"))
        .stdout(predicate::str::contains("ok       delete"));
    assert_eq!(
        std::fs::read_dir(&nas).unwrap().count(),
        0,
        "the probe file was left behind"
    );

    // Same name again: a conflict, exit 2, nothing added.
    let out = env
        .cmd()
        .args([
            "--json",
            "destination",
            "add-local",
            "--name",
            "nas",
            "--path",
        ])
        .arg(&nas)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    let err: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(err["error"]["code"], "conflict");
    assert_eq!(
        env.json(&["destination", "list"]).as_array().unwrap().len(),
        1
    );

    env.cmd()
        .args(["destination", "remove", "nas"])
        .assert()
        .success()
        .stdout(predicate::str::contains("left in place"));
    assert_eq!(env.json(&["destination", "list"]), serde_json::json!([]));
    env.cmd()
        .args(["destination", "remove", "nas"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no destination with the id or name",
        ));
}

#[test]
fn missing_folder_is_refused_with_the_reason() {
    let env = Env::new();
    env.cmd()
        .args([
            "destination",
            "add-local",
            "--name",
            "x",
            "--path",
            "/no/such/folder",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist; create it"));
}

#[test]
fn a_corrupt_state_file_is_refused_and_left_untouched() {
    let env = Env::new();
    std::fs::create_dir_all(env.data()).unwrap();
    let db = env.data().join("dbackup.sqlite");
    let garbage = b"this is not an sqlite database, but it is somebody's file".repeat(200);
    std::fs::write(&db, &garbage).unwrap();
    env.cmd()
        .arg("status")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("is not a DBackup state database"))
        .stderr(predicate::str::contains("left untouched"));
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn a_state_file_from_a_newer_version_is_refused_and_left_untouched() {
    let env = Env::new();
    std::fs::create_dir_all(env.data()).unwrap();
    let db = env.data().join("dbackup.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE t(x); PRAGMA user_version = 42;")
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    env.cmd()
        .arg("status")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("newer DBackup (schema version 42"));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

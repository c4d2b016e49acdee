//! Key profiles in the real OS keyring (gnome-keyring inside tests/with-session.sh):
//! create, back up with one, restore finding it by id, export and import kits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Machine;
use predicates::prelude::*;

#[test]
fn key_profiles_encrypt_and_restore_and_kits_move_them_between_machines() {
    let laptop = Machine::new("laptop");
    if !laptop.keyring_available() {
        return;
    }
    let created = laptop.json(&["key", "create", "--name", "laptop"]);
    let key_id = created["keyId"].as_str().unwrap().to_owned();
    assert_eq!(key_id.len(), 8);
    assert_eq!(created["exported"], false);
    laptop
        .cmd()
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("NOT EXPORTED"));
    // The key never reaches the state database.
    let db = std::fs::read(laptop.path("data/dbackup.sqlite")).unwrap();
    let kit_before = laptop.path("peek.kit");
    laptop
        .cmd()
        .args(["key", "export", "laptop", "--output"])
        .arg(&kit_before)
        .assert()
        .success();
    let kit = std::fs::read_to_string(&kit_before).unwrap();
    let hex_key = kit
        .lines()
        .find(|l| l.starts_with("Key:"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    assert_eq!(hex_key.len(), 64);
    assert!(!String::from_utf8_lossy(&db).contains(&hex_key));
    let wal = std::fs::read(laptop.path("data/dbackup.sqlite-wal")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&wal).contains(&hex_key));
    assert_eq!(laptop.json(&["key", "list"])[0]["exported"], true);

    std::fs::write(laptop.path("db.sql"), b"CREATE TABLE t(x);\n".repeat(5000)).unwrap();
    let report = laptop.json(&[
        "backup", "--file", "db.sql", "--to", "./d", "--key", "laptop",
    ]);
    assert_eq!(report["manifest"]["keyId"], key_id.as_str());
    let object = report["object"].as_str().unwrap().to_owned();
    // No key options: the profile is found in the keyring by the backup's key id.
    laptop
        .cmd()
        .args(["restore", &object, "--from", "./d", "--output", "out.sql"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(laptop.path("out.sql")).unwrap(),
        std::fs::read(laptop.path("db.sql")).unwrap()
    );

    // Importing the same key again is refused, naming the profile that has it.
    laptop
        .cmd()
        .args(["key", "import", "--name", "again", "--from"])
        .arg(&kit_before)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "already stored as the key profile \"laptop\"",
        ));

    // A new machine: nothing but the folder and the kit.
    let desktop = Machine::new("desktop");
    std::fs::rename(laptop.path("d"), desktop.path("d")).unwrap();
    desktop
        .cmd()
        .args(["verify", &object, "--from", "./d"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(key_id.as_str()));
    let imported = desktop.json(&[
        "key",
        "import",
        "--name",
        "from-laptop",
        "--from",
        kit_before.to_str().unwrap(),
    ]);
    assert_eq!(imported["keyId"], key_id.as_str());
    assert_eq!(imported["exported"], true);
    desktop
        .cmd()
        .args(["verify", &object, "--from", "./d"])
        .assert()
        .success();
}

#[test]
fn backup_with_an_unknown_profile_says_how_to_see_them() {
    let m = Machine::new("unknown");
    std::fs::write(m.path("f"), b"x").unwrap();
    m.cmd()
        .args(["backup", "--file", "f", "--to", "./d", "--key", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dbackup key list"));
}

//! `dbackup config export|import` between two machines through the real binary and the
//! real OS keyring, typing the secrets afterwards; and the integrity column the explorer
//! shows, recorded by `dbackup verify` on a saved destination.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Machine;

fn item<'a>(report: &'a serde_json::Value, what: &str, name: &str) -> &'a serde_json::Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["what"] == what && i["name"] == name)
        .unwrap_or_else(|| panic!("no {what} {name} in {report:#}"))
}

#[test]
fn the_configuration_moves_to_another_machine_and_asks_for_its_secrets() {
    let here = Machine::new("config-here");
    let there = Machine::new("config-there");
    if !here.keyring_available() {
        return;
    }
    std::fs::create_dir_all(here.path("nas")).unwrap();
    std::fs::create_dir_all(here.path("docs")).unwrap();
    std::fs::write(here.path("docs/a.txt"), b"hello").unwrap();
    here.json(&[
        "destination",
        "add-local",
        "--name",
        "NAS",
        "--path",
        here.path("nas").to_str().unwrap(),
    ]);
    here.cmd()
        .env("BUCKET_SECRET", "bucket-secret-value")
        .args([
            "destination",
            "add-s3",
            "--name",
            "Offsite",
            "--provider",
            "custom",
            "--endpoint",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
            "--bucket",
            "offsite-backups",
            "--access-key-id",
            "AKIAOFFSITE",
            "--secret-env",
            "BUCKET_SECRET",
        ])
        .assert()
        .success();
    here.cmd()
        .env("PGPW", "database-password-value")
        .args([
            "source",
            "add-postgres",
            "--name",
            "Shop",
            "--host",
            "db.internal",
            "--user",
            "backup",
            "--database",
            "shop",
            "--password-env",
            "PGPW",
        ])
        .assert()
        .success();
    here.json(&[
        "source",
        "add-folder",
        "--name",
        "Docs",
        "--path",
        here.path("docs").to_str().unwrap(),
    ]);
    here.json(&[
        "job",
        "create",
        "--name",
        "Docs",
        "--source",
        "Docs",
        "--to",
        "NAS",
        "--manual",
        "--no-encryption",
    ]);

    let exported = here.json(&["config", "export", "--output", "moving.json"]);
    let file = exported["file"].as_str().unwrap().to_owned();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("bucket-secret-value"));
    assert!(!text.contains("database-password-value"));
    // Exporting never replaces a file.
    let (code, err) = here.fails(&["config", "export", "--output", "moving.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("moving.json"), "{err}");

    std::fs::copy(&file, there.path("moving.json")).unwrap();
    let preview = there.json(&["config", "import", "moving.json", "--dry-run"]);
    assert_eq!(preview["applied"], false);
    assert_eq!(
        there
            .json(&["destination", "list"])
            .as_array()
            .unwrap()
            .len(),
        0,
        "a dry run changes nothing"
    );
    let report = there.json(&["config", "import", "moving.json"]);
    assert_eq!(
        item(&report, "destination", "Offsite")["outcome"],
        "needs_secret"
    );
    assert_eq!(item(&report, "source", "Shop")["outcome"], "needs_secret");
    assert_eq!(item(&report, "job", "Docs")["outcome"], "added");
    // What to do is said in commands that exist here.
    let detail = item(&report, "destination", "Offsite")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("dbackup destination set-secret \"Offsite\""),
        "{detail}"
    );
    // Imported paused, and it says so.
    assert!(item(&report, "job", "Docs")["detail"]
        .as_str()
        .unwrap()
        .contains("imported paused"));
    let docs = there.json(&["job", "show", "Docs"]);
    assert_eq!(docs["enabled"], false, "{docs}");

    let listed = there.json(&["destination", "list"]);
    let offsite = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Offsite")
        .unwrap();
    assert_eq!(offsite["secretMissing"], true);

    // The secrets are typed on the new machine.
    there
        .cmd()
        .env("NEW_SECRET", "bucket-secret-value")
        .args([
            "destination",
            "set-secret",
            "Offsite",
            "--secret-env",
            "NEW_SECRET",
        ])
        .assert()
        .success();
    there
        .cmd()
        .env("PGPW", "database-password-value")
        .args(["source", "set-password", "Shop", "--password-env", "PGPW"])
        .assert()
        .success();
    let listed = there.json(&["destination", "list"]);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["secretMissing"] == false));
    let out = there
        .cmd()
        .env("PGPW", "x")
        .args(["source", "set-password", "Docs", "--password-env", "PGPW"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no password"), "{err}");

    let (code, err) = there.fails(&["config", "import", "missing.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn verify_on_a_saved_destination_records_the_verdict_the_explorer_shows() {
    let m = Machine::new("config-verdict");
    std::fs::create_dir_all(m.path("nas")).unwrap();
    std::fs::create_dir_all(m.path("docs")).unwrap();
    // Several chunks of data that hardly compresses, so a flipped byte lands in one.
    let data: Vec<u8> = (0u64..3_000_000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(m.path("docs/a.bin"), data).unwrap();
    m.json(&[
        "destination",
        "add-local",
        "--name",
        "NAS",
        "--path",
        m.path("nas").to_str().unwrap(),
    ]);
    let object = m.run_folder_job("Docs", &m.path("docs"), "NAS", &[]);
    let check = || {
        let list = m.json(&["backup", "list", "--destination", "NAS"]);
        list[0]["check"].clone()
    };
    assert!(check().is_null(), "never verified yet");
    let listed = m.json(&["backup", "list", "--destination", "NAS"]);
    assert_eq!(listed[0]["sourceKind"], "folder");
    assert_eq!(listed[0]["encryption"], "none");
    assert!(listed[0]["plainSize"].as_u64().is_some());

    m.json(&["verify", &object, "--from", "NAS"]);
    let ok = check();
    assert!(ok["checkedAt"].is_string(), "{ok:#}");
    assert!(ok["problem"].is_null(), "{ok:#}");

    // One flipped byte: the verify fails and the catalog says so.
    let path = m.path("nas").join(&object);
    let mut bytes = std::fs::read(&path).unwrap();
    let late = bytes.len() - bytes.len() / 4;
    bytes[late] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let (code, _) = m.fails(&["verify", &object, "--from", "NAS"]);
    assert_eq!(code, 7, "corrupt");
    let damaged = check();
    assert!(
        damaged["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("damaged"),
        "{damaged:#}"
    );

    // A verify that reaches no verdict (the object is gone) leaves the last one.
    std::fs::remove_file(&path).unwrap();
    m.fails(&["verify", &object, "--from", "NAS"]);
    assert_eq!(check(), damaged);
}

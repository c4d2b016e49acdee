//! `dbackup backup | restore | verify | inspect | key generate` through the real binary,
//! to local folders and (when the test server runs) to Ceph radosgw over s3://.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::{Machine, S3Server};
use predicates::prelude::*;

fn sql(len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while out.len() < len {
        i += 1;
        out.extend_from_slice(
            format!("INSERT INTO t VALUES ({i}, 'row {}');\n", i * 7919 % 10007).as_bytes(),
        );
    }
    out
}

#[test]
fn backup_to_two_folders_then_inspect_verify_restore() {
    let env = Machine::new("backup");
    let kit = env.kit("laptop");
    let kit_text = std::fs::read_to_string(env.path(&kit)).unwrap();
    assert!(kit_text.contains("DBackup recovery kit"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path(&kit))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let data = sql(2_000_000);
    std::fs::write(env.path("orders.sql"), &data).unwrap();
    let report = env.json(&[
        "backup",
        "--file",
        "orders.sql",
        "--to",
        "./a",
        "--to",
        "./b",
        "--key-file",
        &kit,
    ]);
    assert_eq!(report["status"], "success");
    let object = report["object"].as_str().unwrap().to_owned();
    assert!(
        object.starts_with("orders/orders_") && object.ends_with("Z.dbk"),
        "{object}"
    );

    let info = env.json(&["inspect", &object, "--from", "./a"]);
    assert_eq!(info["encryption"], "key");
    assert_eq!(info["jobName"], "orders");
    assert_eq!(info["manifest"]["plainSize"], data.len() as u64);
    assert!(kit_text.contains(info["keyId"].as_str().unwrap()));

    for folder in ["./a", "./b"] {
        env.cmd()
            .args(["verify", &object, "--from", folder, "--key-file", &kit])
            .assert()
            .success()
            .stdout(predicate::str::contains("matches its manifest"));
    }
    env.cmd()
        .args([
            "restore",
            &object,
            "--from",
            "./b",
            "--key-file",
            &kit,
            "--output",
            "restored.sql",
        ])
        .assert()
        .success();
    assert!(std::fs::read(env.path("restored.sql")).unwrap() == data);

    // The output exists now: refused without --overwrite, and left as it was.
    env.cmd()
        .args([
            "restore",
            &object,
            "--from",
            "./b",
            "--key-file",
            &kit,
            "--output",
            "restored.sql",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));

    // Another key: exit 6, distinct from damage; nothing written.
    let other = env.kit("other");
    env.cmd()
        .args([
            "restore",
            &object,
            "--from",
            "./a",
            "--key-file",
            &other,
            "--output",
            "x.sql",
        ])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("wrong key or passphrase"));
    assert!(!env.path("x.sql").exists());

    // No key at all.
    env.cmd()
        .args(["verify", &object, "--from", "./a"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("import the key or recovery kit"));

    // Damage one byte of the stored copy in a: exit 7, naming the chunk.
    let stored = env.path("a").join(&object);
    let mut bytes = std::fs::read(&stored).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x80;
    std::fs::write(&stored, &bytes).unwrap();
    env.cmd()
        .args(["verify", &object, "--from", "./a", "--key-file", &kit])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("chunk"));
}

#[test]
fn backup_refuses_to_guess_about_encryption_and_reports_a_failing_source() {
    let env = Machine::new("backup");
    std::fs::write(env.path("f.sql"), b"x").unwrap();
    env.cmd()
        .args(["backup", "--file", "f.sql", "--to", "./d"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("choose how to encrypt"));
    env.cmd()
        .args([
            "backup",
            "--file",
            "missing.sql",
            "--to",
            "./d",
            "--no-encryption",
        ])
        .assert()
        .code(8)
        .stderr(predicate::str::contains("cannot open"));
    assert!(!env.path("d").exists() || std::fs::read_dir(env.path("d")).unwrap().next().is_none());
}

#[test]
fn stdin_backup_with_a_passphrase_round_trips() {
    let env = Machine::new("backup");
    let data = sql(300_000);
    let out = env
        .cmd()
        .env("MY_PASS", "correct horse battery staple")
        .args([
            "--json",
            "backup",
            "--stdin",
            "--name",
            "nightly",
            "--to",
            "./d",
            "--passphrase-env",
            "MY_PASS",
        ])
        .write_stdin(data.clone())
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let object = report["object"].as_str().unwrap().to_owned();
    assert!(object.starts_with("nightly/nightly_"));
    assert_eq!(report["manifest"]["encryption"], "passphrase");
    env.cmd()
        .env("MY_PASS", "wrong")
        .args([
            "restore",
            &object,
            "--from",
            "./d",
            "--passphrase-env",
            "MY_PASS",
            "--output",
            "o",
        ])
        .assert()
        .code(6);
    env.cmd()
        .env("MY_PASS", "correct horse battery staple")
        .args([
            "restore",
            &object,
            "--from",
            "./d",
            "--passphrase-env",
            "MY_PASS",
            "--output",
            "o",
        ])
        .assert()
        .success();
    assert!(std::fs::read(env.path("o")).unwrap() == data);
}

#[test]
fn s3_backup_and_restore_with_only_the_bucket_and_the_kit() {
    let Some(server) = S3Server::from_env() else {
        return;
    };
    let (endpoint, access, secret) = (
        server.endpoint.clone(),
        server.access.clone(),
        server.secret.clone(),
    );
    let env = Machine::new("backup");
    let bucket = server.bucket("cli");
    let kit = env.kit("server");
    let data = sql(1_000_000);
    std::fs::write(env.path("db.sql"), &data).unwrap();
    let to = format!("s3://{bucket}/prod/db1");
    let s3 = |cmd: &mut Command| {
        cmd.env("AWS_ACCESS_KEY_ID", &access)
            .env("AWS_SECRET_ACCESS_KEY", &secret);
    };
    let mut backup = env.cmd();
    s3(&mut backup);
    let out = backup
        .args([
            "--json",
            "backup",
            "--file",
            "db.sql",
            "--to",
            &to,
            "--endpoint",
            &endpoint,
            "--key-file",
            &kit,
            "--storage-class",
            "STANDARD_IA",
        ])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let object = report["object"].as_str().unwrap().to_owned();

    // A different machine: a fresh data dir, nothing but the bucket and the kit.
    let fresh = Machine::new("backup");
    std::fs::copy(env.path(&kit), fresh.path("kit")).unwrap();
    let mut inspect = fresh.cmd();
    s3(&mut inspect);
    let out = inspect
        .args([
            "--json",
            "inspect",
            &object,
            "--from",
            &to,
            "--endpoint",
            &endpoint,
        ])
        .assert()
        .success();
    let info: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(info["storageClass"], "STANDARD_IA");
    // The manifest stays in STANDARD, readable even when the data is archived.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let manifest_class = rt.block_on(async {
        let s3 = dbackup_storage::S3Destination::new(server.settings(&bucket, "prod/db1/"));
        use dbackup_storage::Destination;
        let key = dbackup_storage::ObjectKey::new(format!("{object}.meta.json")).unwrap();
        s3.head(&key).await.unwrap().unwrap().storage_class
    });
    assert_eq!(manifest_class.as_deref(), Some("STANDARD"));
    let mut restore = fresh.cmd();
    s3(&mut restore);
    restore
        .args([
            "restore",
            &object,
            "--from",
            &to,
            "--endpoint",
            &endpoint,
            "--key-file",
            "kit",
            "--output",
            "db.sql",
        ])
        .assert()
        .success();
    assert!(std::fs::read(fresh.path("db.sql")).unwrap() == data);

    // Wrong secret: the S3 page's words, exit 5.
    let mut bad = fresh.cmd();
    bad.env("AWS_ACCESS_KEY_ID", &access)
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret")
        .args(["inspect", &object, "--from", &to, "--endpoint", &endpoint])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("Secret Access Key is wrong"))
        .stderr(predicate::str::contains("wrong-secret").not());
}

/// A disk that fills up mid-restore (simulated with a file size limit, which fails
/// writes the same way): no partial file under the final name, an existing file
/// left exactly as it was.
#[test]
fn a_full_disk_during_restore_leaves_nothing_half_written() {
    let env = Machine::new("backup");
    std::fs::write(env.path("big.sql"), sql(3_000_000)).unwrap();
    let report = env.json(&[
        "backup",
        "--file",
        "big.sql",
        "--to",
        "./d",
        "--no-encryption",
    ]);
    let object = report["object"].as_str().unwrap().to_owned();
    std::fs::write(env.path("keep.sql"), b"the previous restore, still good").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("dbackup");
    for (output, overwrite) in [("fresh.sql", false), ("keep.sql", true)] {
        let mut args = vec![
            "restore",
            &object,
            "--from",
            "./d",
            "--output",
            output,
            "--allow-unencrypted",
        ];
        if overwrite {
            args.push("--overwrite");
        }
        // Ignore SIGXFSZ so the write fails with EFBIG instead of killing the process.
        Command::new("bash")
            .current_dir(env.dir.path())
            .env("DBACKUP_DATA_DIR", env.path("data"))
            .arg("-c")
            .arg("trap '' XFSZ; ulimit -f 512; exec \"$@\"")
            .arg("bash")
            .arg(&bin)
            .args(&args)
            .assert()
            .code(10)
            .stderr(predicate::str::contains("restoring failed"))
            .stderr(predicate::str::contains("File too large"))
            .stderr(predicate::str::contains("the disk is full"));
    }
    assert!(!env.path("fresh.sql").exists());
    assert_eq!(
        std::fs::read(env.path("keep.sql")).unwrap(),
        b"the previous restore, still good"
    );
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("dbackup-partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn garbage_and_missing_or_wrong_manifests_are_named() {
    let env = Machine::new("backup");
    let kit = env.kit("k");
    std::fs::create_dir_all(env.path("d/junk")).unwrap();
    std::fs::write(
        env.path("d/junk/file.dbk"),
        b"PK\x03\x04 this is a zip, not a backup".repeat(50),
    )
    .unwrap();
    env.cmd()
        .args(["inspect", "junk/file.dbk", "--from", "./d"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("not a DBackup archive"));

    std::fs::write(env.path("db.sql"), sql(200_000)).unwrap();
    let report = env.json(&[
        "backup",
        "--file",
        "db.sql",
        "--to",
        "./d",
        "--key-file",
        &kit,
    ]);
    let object = report["object"].as_str().unwrap().to_owned();
    let sidecar = env.path("d").join(format!("{object}.meta.json"));

    // A manifest whose hash disagrees with the object: verify fails and says so.
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();
    manifest["sha256"] = serde_json::json!("00".repeat(32));
    std::fs::write(&sidecar, serde_json::to_vec(&manifest).unwrap()).unwrap();
    env.cmd()
        .args(["verify", &object, "--from", "./d", "--key-file", &kit])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("the manifest says"));

    // No manifest at all: the header suffices, with a warning.
    std::fs::remove_file(&sidecar).unwrap();
    env.cmd()
        .args(["verify", &object, "--from", "./d", "--key-file", &kit])
        .assert()
        .success()
        .stderr(predicate::str::contains("no manifest"));
    env.cmd()
        .args(["inspect", &object, "--from", "./d"])
        .assert()
        .success()
        .stdout(predicate::str::contains("missing or damaged"));
}

#[test]
fn a_backup_stored_nowhere_prints_one_json_error_and_no_manifest() {
    let env = Machine::new("backup");
    std::fs::write(env.path("in.sql"), sql(1000)).unwrap();
    // The destination takes the upload and refuses it at the end: the name is a folder
    // there (for every second the run may take).
    let now = jiff::Timestamp::now();
    for s in -2..30 {
        let stamp = (now + jiff::SignedDuration::from_secs(s)).strftime("%Y-%m-%dT%H-%M-%SZ");
        std::fs::create_dir_all(env.path(&format!("d/fixed/fixed_{stamp}.dbk/taken"))).unwrap();
    }
    let out = env
        .cmd()
        .args([
            "--json",
            "backup",
            "--file",
            "in.sql",
            "--name",
            "fixed",
            "--to",
            "./d",
            "--no-encryption",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("exactly one JSON document");
    assert_eq!(doc["error"]["code"], "storage", "{doc}");
    assert!(
        !stdout.contains("manifest") && !stdout.contains("sha256"),
        "{stdout}"
    );
    let message = doc["error"]["message"].as_str().unwrap();
    assert_eq!(
        message.matches("stored on no destination").count(),
        1,
        "the prefix is said once: {message}"
    );
}

#[test]
fn errors_tell_the_truth_about_what_failed() {
    let env = Machine::new("backup");
    std::fs::write(env.path("in.sql"), sql(20_000)).unwrap();
    // A relative folder that exists is a folder, with or without "./".
    std::fs::create_dir(env.path("dest")).unwrap();
    let out = env
        .cmd()
        .args([
            "--json",
            "backup",
            "--file",
            "in.sql",
            "--name",
            "a+1",
            "--to",
            "dest",
            "--no-encryption",
        ])
        .assert()
        .success();
    // The changed name is said, not done silently.
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("\"a+1\" is stored as \"a-1\""), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let object = report["object"].as_str().unwrap().to_owned();
    assert!(object.starts_with("a-1/a-1_"), "{object}");
    assert!(env.path("dest").join(&object).is_file());

    // A backup from a future DBackup: "update DBackup", with its own exit code.
    let path = env.path("dest").join(&object);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..10].copy_from_slice(&99u16.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    env.cmd()
        .args(["inspect", &object, "--from", "dest"])
        .assert()
        .code(11)
        .stderr(predicate::str::contains("update DBackup"));

    // An impossible bucket name is refused before any request is made.
    env.cmd()
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .args([
            "inspect",
            "a.dbk",
            "--from",
            "s3://Not_A_Bucket/p",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a bucket name uses only lower-case letters",
        ));
}

#[test]
fn a_file_backed_up_to_a_saved_destination_is_listed_at_once() {
    let env = Machine::new("backup");
    std::fs::create_dir(env.path("nas")).unwrap();
    env.json(&[
        "destination",
        "add-local",
        "--name",
        "NAS",
        "--path",
        env.path("nas").to_str().unwrap(),
    ]);
    std::fs::write(env.path("in.sql"), sql(10_000)).unwrap();
    let report = env.json(&[
        "backup",
        "--file",
        "in.sql",
        "--to",
        "NAS",
        "--no-encryption",
    ]);
    let object = report["object"].as_str().unwrap().to_owned();
    // No rescan needed: the catalog (what the explorer and `backup list` show) has it.
    let listed = env.json(&["backup", "list", "--destination", "NAS"]);
    let objects: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["object"].as_str().unwrap())
        .collect();
    assert_eq!(objects, [object.as_str()]);
}

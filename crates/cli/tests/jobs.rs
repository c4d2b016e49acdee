//! Jobs end to end through the real `dbackup` binary: a PostgreSQL source (the real
//! server from tests/db/), the S3 test server (radosgw), the real OS keyring. Runs,
//! retention with a lock, history, a kill -9 in the middle of an upload, and the daemon.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::{server, Machine, S3Server};

/// A child process that is killed if the test ends early (a failed assertion).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's output, read on a thread so that waiting for one is bounded.
fn lines(reader: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Polls `check` every 100 ms until it returns Some, for at most `limit`.
fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every key in the bucket, sorted.
fn bucket_keys(s3: &S3Server, bucket: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dest = dbackup_storage::S3Destination::new(s3.settings(bucket, ""));
        let mut keys: Vec<String> = dbackup_storage::Destination::list(&dest, "")
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key.to_string())
            .collect();
        keys.sort();
        keys
    })
}

/// Bytes of the parts every incomplete upload in the bucket holds.
fn parts_bytes(s3: &S3Server, bucket: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dest = dbackup_storage::S3Destination::new(s3.settings(bucket, ""));
        let uploads = dest
            .client()
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        let mut total = 0u64;
        for upload in uploads.uploads() {
            let parts = dest
                .client()
                .list_parts()
                .bucket(bucket)
                .key(upload.key().unwrap())
                .upload_id(upload.upload_id().unwrap())
                .send()
                .await
                .unwrap();
            total += parts
                .parts()
                .iter()
                .map(|p| p.size().unwrap_or(0) as u64)
                .sum::<u64>();
        }
        total
    })
}

fn multipart_uploads(s3: &S3Server, bucket: &str) -> usize {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dest = dbackup_storage::S3Destination::new(s3.settings(bucket, ""));
        let out = dest
            .client()
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        out.uploads().len()
    })
}

fn psql(v: &[String], db: &str, sql: &str) {
    let out = Process::new("psql")
        .env("PGHOST", &v[0])
        .env("PGPORT", &v[1])
        .env("PGUSER", &v[2])
        .env("PGPASSWORD", &v[3])
        .env("PGDATABASE", db)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_job_runs_keeps_the_last_one_plus_a_locked_one_and_remembers_it_all() {
    let Some(pg) = server(
        "PG",
        &["HOST", "PORT", "USER", "PASSWORD"],
        "DBACKUP_TEST_DB_REQUIRED",
    ) else {
        return;
    };
    let Some((s3, m)) = common::s3_with_keyring("jobs") else {
        return;
    };
    let db = format!("ledger_{}", std::process::id());
    psql(&pg, "postgres", &format!("CREATE DATABASE {db}"));
    psql(
        &pg,
        &db,
        "CREATE TABLE entries (id serial PRIMARY KEY, amount numeric); \
         INSERT INTO entries (amount) SELECT i FROM generate_series(1, 1000) i;",
    );
    let bucket = s3.bucket("jobs");
    s3.add_destination(&m, "rgw", &bucket, "team");
    m.cmd()
        .env("LEDGER_PW", &pg[3])
        .args([
            "source",
            "add-postgres",
            "--name",
            "ledger",
            "--host",
            &pg[0],
            "--port",
            &pg[1],
            "--user",
            &pg[2],
            "--database",
            &db,
            "--password-env",
            "LEDGER_PW",
        ])
        .assert()
        .success();
    m.json(&["key", "create", "--name", "office"]);

    let job = m.json(&[
        "job", "create", "--name", "ledger", "--source", "ledger", "--to", "rgw", "--daily",
        "02:30", "--key", "office",
    ]);
    assert_eq!(job["schedule"]["kind"], "daily");
    assert_eq!(job["nextRuns"].as_array().unwrap().len(), 5);
    assert_eq!(job["keyProfileName"], "office");
    // Keep-last 1 from now on.
    let edited = m.json(&["job", "edit", "ledger", "--keep-last", "1"]);
    assert_eq!(edited["targets"][0]["retentionSummary"], "keep last 1");

    let first = m.json(&["job", "run", "ledger"]);
    assert_eq!(first["status"], "success", "{first}");
    assert_eq!(first["trigger"], "cli");
    let first_object = first["outcome"]["destinations"][0]["objects"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(first_object.starts_with("ledger/ledger_"), "{first_object}");
    let locked = m.json(&["backup", "lock", &first_object, "--from", "rgw"]);
    assert_eq!(locked["locked"], true);

    let second = m.json(&["job", "run", "ledger"]);
    assert_eq!(second["status"], "success");
    let second_object = second["outcome"]["destinations"][0]["objects"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let third = m.json(&["job", "run", "ledger"]);
    let third_object = third["outcome"]["destinations"][0]["objects"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let retention = &third["outcome"]["destinations"][0]["retention"];
    assert_eq!(
        retention["deleted"],
        serde_json::json!([second_object]),
        "{third}"
    );

    // Exactly the locked first and the newest third remain, each with its manifest.
    let mut expected = vec![
        format!("team/{first_object}"),
        format!("team/{first_object}.meta.json"),
        format!("team/{third_object}"),
        format!("team/{third_object}.meta.json"),
    ];
    expected.sort();
    assert_eq!(bucket_keys(&s3, &bucket), expected);

    // The preview agrees, with reasons.
    let preview = m.json(&["retention", "preview", "--job", "ledger"]);
    let reasons: Vec<(String, bool, String)> = preview[0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["object"].as_str().unwrap().to_owned(),
                d["keep"].as_bool().unwrap(),
                d["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (third_object.clone(), true, "last 1 of 1".to_owned()),
            (first_object.clone(), true, "locked".to_owned())
        ]
    );
    // Unlocking lets retention take it on demand.
    m.json(&["backup", "unlock", &first_object, "--from", "rgw"]);
    let applied = m.json(&["retention", "apply", "--job", "ledger"]);
    assert_eq!(
        applied[0]["report"]["deleted"],
        serde_json::json!([first_object])
    );
    assert_eq!(bucket_keys(&s3, &bucket).len(), 2);

    // The history remembers every run, newest first.
    let history = m.json(&["history", "--job", "ledger"]);
    let statuses: Vec<&str> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["success", "success", "success"]);
    assert!(history["runs"][0]["bytesOut"].as_u64().unwrap() > 0);
    let page = m.json(&["history", "--limit", "2"]);
    assert_eq!(page["runs"].as_array().unwrap().len(), 2);
    let next = page["next"].as_str().unwrap();
    let rest = m.json(&["history", "--limit", "2", "--before", next]);
    assert_eq!(rest["runs"].as_array().unwrap().len(), 1);

    // A new computer with only the destination (and the key) sees the backup again.
    let other = Machine::new("jobs-rescan");
    s3.add_destination(&other, "rgw", &bucket, "team");
    let rescan = other.json(&["rescan", "rgw"]);
    assert_eq!(rescan["backups"], 1);
    assert_eq!(rescan["jobs"], serde_json::json!(["ledger"]));
    let known = other.json(&["backup", "list"]);
    assert_eq!(known[0]["object"], third_object.as_str());

    // A destination a job uses cannot be removed; the message names the job.
    let (code, err) = m.fails(&["destination", "remove", "rgw"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("used by the job(s) ledger"), "{err}");
    psql(&pg, "postgres", &format!("DROP DATABASE {db}"));
}

/// Random bytes that zstd cannot shrink, so the upload takes a while.
fn write_random(path: &std::path::Path, len: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..len / buf.len() {
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        file.write_all(&buf).unwrap();
    }
}

#[test]
fn a_backup_cancelled_or_killed_mid_upload_leaves_no_backup_and_no_run_stuck_running() {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    let m = Machine::new("kill");
    let bucket = s3.bucket("kill");
    s3.add_destination(&m, "rgw", &bucket, "");
    let folder = m.path("big");
    std::fs::create_dir_all(&folder).unwrap();
    write_random(&folder.join("random.bin"), 400 << 20);
    m.json(&[
        "source",
        "add-folder",
        "--name",
        "big",
        "--path",
        folder.to_str().unwrap(),
    ]);
    m.json(&[
        "job",
        "create",
        "--name",
        "big",
        "--source",
        "big",
        "--to",
        "rgw",
        "--manual",
        "--no-encryption",
    ]);

    // First: `job cancel` from another process stops a run cleanly, its upload aborted.
    let mut child = Child(m.process().args(["job", "run", "big"]).spawn().unwrap());
    wait_for(
        Duration::from_secs(120),
        "a multipart upload to start",
        || {
            if let Ok(Some(status)) = child.0.try_wait() {
                panic!(
                    "the backup ended ({status}) before it could be cancelled; use a bigger file"
                );
            }
            (multipart_uploads(&s3, &bucket) > 0).then_some(())
        },
    );
    let asked = m.json(&["job", "cancel", "big"]);
    assert_eq!(asked["status"], "running");
    let status = wait_for(Duration::from_secs(60), "the cancelled run to end", || {
        child.0.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(130), "a cancelled run exits with 130");
    assert_eq!(bucket_keys(&s3, &bucket), Vec::<String>::new());
    assert_eq!(
        multipart_uploads(&s3, &bucket),
        0,
        "the multipart upload was aborted"
    );
    let history = m.json(&["history", "--job", "big"]);
    assert_eq!(history["runs"][0]["status"], "cancelled", "{history}");
    let (code, err) = m.fails(&["job", "cancel", "big"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not running"), "{err}");

    // Then: kill -9 once a multipart upload is really in flight.
    let mut child = Child(m.process().args(["job", "run", "big"]).spawn().unwrap());
    wait_for(
        Duration::from_secs(120),
        "a multipart upload to start",
        || {
            if let Ok(Some(status)) = child.0.try_wait() {
                panic!("the backup ended ({status}) before it could be killed; use a bigger file");
            }
            (multipart_uploads(&s3, &bucket) > 0).then_some(())
        },
    );
    child.0.kill().unwrap(); // SIGKILL: no cleanup runs
    child.0.wait().unwrap();

    assert_eq!(
        bucket_keys(&s3, &bucket),
        Vec::<String>::new(),
        "nothing looks like a backup"
    );
    let history = m.json(&["history", "--job", "big"]);
    assert_eq!(history["runs"][0]["status"], "interrupted", "{history}");
    assert!(history["runs"][0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("stopped while this backup ran"));
    let job = m.json(&["job", "show", "big"]);
    assert_eq!(job["running"], false);

    // Its upload is still in the bucket (billed, invisible) until the job runs again,
    // which aborts it first and says how much it freed.
    assert!(
        multipart_uploads(&s3, &bucket) > 0,
        "the kill left no upload to clear"
    );
    // What its parts hold (none, when the kill came before a part finished).
    let held = parts_bytes(&s3, &bucket);
    std::fs::remove_file(folder.join("random.bin")).unwrap();
    std::fs::write(folder.join("small.txt"), b"small now").unwrap();
    let next = m.json(&["job", "run", "big"]);
    assert_eq!(next["status"], "success", "{next}");
    let swept = &next["outcome"]["destinations"][0]["swept"];
    assert!(swept["uploads"].as_u64().unwrap() >= 1, "{next}");
    assert_eq!(swept["bytes"].as_u64().unwrap(), held, "{next}");
    assert_eq!(
        multipart_uploads(&s3, &bucket),
        0,
        "the leftover was aborted"
    );
}

#[test]
fn the_daemon_runs_schedules_and_a_second_scheduler_is_refused() {
    let m = Machine::new("daemon");
    let folder = m.path("notes");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), b"scheduled").unwrap();
    let store = m.path("store");
    std::fs::create_dir_all(&store).unwrap();
    m.json(&[
        "source",
        "add-folder",
        "--name",
        "notes",
        "--path",
        folder.to_str().unwrap(),
    ]);
    m.json(&[
        "destination",
        "add-local",
        "--name",
        "disk",
        "--path",
        store.to_str().unwrap(),
    ]);
    m.json(&[
        "job",
        "create",
        "--name",
        "minutely",
        "--source",
        "notes",
        "--to",
        "disk",
        "--schedule",
        "* * * * *",
        "--no-encryption",
    ]);

    let mut daemon = Child(
        m.process()
            .args(["--json", "daemon"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let events = lines(daemon.0.stdout.take().unwrap());
    let log = lines(daemon.0.stderr.take().unwrap());
    let started = log.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(started.contains("scheduler is running"), "{started}");

    let (code, err) = m.fails(&["daemon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another scheduler already runs"), "{err}");
    assert!(err.contains("dbackup daemon (process"), "{err}");

    // The next minute's run, reported as it happens.
    let deadline = Instant::now() + Duration::from_secs(90);
    let finished = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = events
            .recv_timeout(left)
            .expect("a scheduled run within 90 s");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["event"] == "finished" {
            break event;
        }
    };
    assert_eq!(finished["run"]["trigger"], "schedule", "{finished}");
    assert_eq!(finished["run"]["status"], "success", "{finished}");

    // SIGTERM stops it cleanly.
    Process::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .unwrap();
    let status = daemon.0.wait().unwrap();
    assert!(status.success(), "{status}");
    let history = m.json(&["history", "--job", "minutely"]);
    assert_eq!(history["runs"][0]["trigger"], "schedule");
}

#[test]
fn s3_object_lock_makes_a_backup_immutable_and_retention_respects_it() {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    let m = Machine::new("objlock");
    let bucket = s3.bucket_with_object_lock("objlock");
    s3.add_destination(&m, "rgw", &bucket, "");
    let folder = m.path("notes");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), b"immutable").unwrap();
    let object = m.run_folder_job("notes", &folder, "rgw", &["--keep-last", "1"]);
    let until = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let manifest = m.json(&[
        "backup", "lock", &object, "--from", "rgw", "--until", &until,
    ]);
    assert_eq!(manifest["objectLock"]["mode"], "GOVERNANCE", "{manifest}");
    assert_eq!(manifest["objectLock"]["until"], until.as_str());
    assert_eq!(manifest["locked"], false);

    // The server holds the lock: deleting that version is refused.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dest = dbackup_storage::S3Destination::new(s3.settings(&bucket, ""));
        let retention = dest
            .client()
            .get_object_retention()
            .bucket(&bucket)
            .key(&object)
            .send()
            .await
            .unwrap();
        let r = retention.retention().unwrap();
        assert_eq!(r.mode().unwrap().as_str(), "GOVERNANCE");
        let head = dest
            .client()
            .head_object()
            .bucket(&bucket)
            .key(&object)
            .send()
            .await
            .unwrap();
        let deleted = dest
            .client()
            .delete_object()
            .bucket(&bucket)
            .key(&object)
            .version_id(head.version_id().unwrap())
            .send()
            .await;
        assert!(deleted.is_err(), "a locked version was deleted");
    });

    // Retention keeps it without counting it, and says why.
    let second = m.json(&["job", "run", "notes"]);
    let retention = &second["outcome"]["destinations"][0]["retention"];
    assert_eq!(retention["deleted"], serde_json::json!([]), "{second}");
    let preview = m.json(&["retention", "preview", "--job", "notes"]);
    let reason = preview[0]["decisions"][1]["reason"].as_str().unwrap();
    assert!(reason.starts_with("object lock until "), "{reason}");
    let listed = m.json(&["backup", "list"]);
    let locked: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["objectLockUntil"].is_string())
        .collect();
    assert_eq!(locked.len(), 1);

    // Where Object Lock cannot be had, the user is told why and what to do.
    let store = m.path("store");
    std::fs::create_dir_all(&store).unwrap();
    let plain = s3.bucket("no-objlock");
    s3.add_destination(&m, "plain", &plain, "");
    m.json(&["job", "edit", "notes", "--to", "plain"]);
    let third = m.json(&["job", "run", "notes"]);
    let plain_object = third["outcome"]["destinations"][0]["objects"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, err) = m.fails(&[
        "backup",
        "lock",
        &plain_object,
        "--from",
        "plain",
        "--until",
        "2099-01-01",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("created without Object Lock"), "{err}");
}

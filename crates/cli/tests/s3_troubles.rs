//! Two rows of the S3 page's troubleshooting, against the real radosgw: a computer whose
//! clock is days off (libfaketime around the real binary), and an access key that was
//! disabled (radosgw-admin user suspend).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{var, Machine, S3Server};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The `dbackup` binary under libfaketime with the clock `offset` off (e.g. "-3d");
/// monotonic time stays real so timeouts keep working.
fn skewed(m: &Machine, offset: &str) -> Command {
    let mut cmd = Command::new("faketime");
    cmd.args(["-f", offset])
        .arg(assert_cmd::cargo::cargo_bin("dbackup"))
        .current_dir(m.dir.path())
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("DBACKUP_DATA_DIR", m.path("data"))
        .env("DBACKUP_LOG_DIR", m.path("logs"))
        .env("DBACKUP_KEYRING_SERVICE", &m.service);
    cmd
}

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            var("DBACKUP_TEST_S3_REQUIRED").as_deref() != Some("1"),
            "{tool} is missing (scripts/setup --test installs it)"
        );
        eprintln!("SKIPPED: {tool} is not installed");
    }
    found
}

#[test]
fn a_clock_days_off_is_corrected_from_the_servers_date() {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    if !have("faketime") || !have("curl") {
        return;
    }
    let m = Machine::new("skew");
    let bucket = s3.bucket("skew");

    // The server does refuse requests signed three days off (curl signs with the clock
    // it is given and does not correct it).
    let refused = Command::new("faketime")
        .args([
            "-f",
            "-3d",
            "curl",
            "-s",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
        ])
        .arg(format!("{}:{}", s3.access, s3.secret))
        .args(["-H", &format!("x-amz-content-sha256: {EMPTY_SHA256}")])
        .arg(format!("{}/{bucket}", s3.endpoint))
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&refused.stdout);
    assert!(body.contains("RequestTimeTooSkewed"), "{body}");

    // DBackup's requests are re-signed with the offset the server's Date header shows, so
    // a backup and its restore work on such a computer.
    std::fs::write(
        m.path("in.txt"),
        b"the clock is wrong but the backup is not",
    )
    .unwrap();
    let to = format!("s3://{bucket}/skewed");
    let backup = skewed(&m, "-3d")
        .args([
            "--json",
            "backup",
            "--file",
            "in.txt",
            "--name",
            "skew",
            "--no-encryption",
        ])
        .args(["--to", &to, "--endpoint", &s3.endpoint])
        .env("AWS_ACCESS_KEY_ID", &s3.access)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret)
        .output()
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    let stored: serde_json::Value = serde_json::from_slice(&backup.stdout).unwrap();
    let object = stored["object"].as_str().unwrap().to_owned();
    // Named by the process's (wrong) clock: the offset really applied.
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert!(
        !object.contains(&today),
        "{object} was named by the real clock"
    );

    let restore = skewed(&m, "-3d")
        .args([
            "restore",
            &object,
            "--from",
            &to,
            "--endpoint",
            &s3.endpoint,
        ])
        .args(["--output", "out.txt", "--allow-unencrypted"])
        .env("AWS_ACCESS_KEY_ID", &s3.access)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret)
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert_eq!(
        std::fs::read(m.path("out.txt")).unwrap(),
        std::fs::read(m.path("in.txt")).unwrap()
    );
}

/// `radosgw-admin` against the test server's cluster.
fn rgw_admin(args: &[&str]) {
    let dir = var("DBACKUP_TEST_RGW_DIR").expect("DBACKUP_TEST_RGW_DIR");
    let out = Command::new("radosgw-admin")
        .arg("-c")
        .arg(format!("{dir}/ceph.conf"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "radosgw-admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_disabled_access_key_is_named_with_what_to_do() {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    if var("DBACKUP_TEST_RGW_DIR").is_none() || !have("radosgw-admin") {
        return;
    }
    let uid = format!("disabled-{}", std::process::id());
    let key = S3Server {
        endpoint: s3.endpoint.clone(),
        access: format!("DISABLED{}", std::process::id()),
        secret: "secret-of-a-key-to-disable".into(),
    };
    rgw_admin(&[
        "user",
        "create",
        &format!("--uid={uid}"),
        "--display-name=DBackup disabled key test",
        &format!("--access-key={}", key.access),
        &format!("--secret-key={}", key.secret),
    ]);
    let bucket = key.bucket("disabled");
    let m = Machine::new("disabled");
    std::fs::write(m.path("in.txt"), b"x").unwrap();
    let to = format!("s3://{bucket}");
    let backup = |m: &Machine| {
        let mut cmd = m.cmd();
        key.apply(&mut cmd);
        cmd.args([
            "backup",
            "--file",
            "in.txt",
            "--name",
            "k",
            "--no-encryption",
        ])
        .args(["--to", &to, "--endpoint", &key.endpoint])
        .output()
        .unwrap()
    };
    assert!(
        backup(&m).status.success(),
        "the key works before it is disabled"
    );

    rgw_admin(&["user", "suspend", &format!("--uid={uid}")]);
    let out = backup(&m);
    assert_eq!(out.status.code(), Some(5), "a destination failure");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("access key is disabled"), "{err}");
    assert!(err.contains("Activate the key again"), "{err}");
    assert!(err.contains("create a new access key"), "{err}");
    assert!(!err.contains(&key.secret), "{err}");

    rgw_admin(&["user", "enable", &format!("--uid={uid}")]);
    assert!(backup(&m).status.success(), "enabled again, it works again");
    rgw_admin(&["user", "rm", &format!("--uid={uid}"), "--purge-data"]);
}

/// A minimal EC2 instance metadata service (IMDSv2) on loopback, handing out `access`
/// and `secret` as the credentials of the instance role "dbackup-backup". Returns its
/// address and the requests it answered.
fn fake_instance_metadata(
    access: String,
    secret: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut token = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                token |= line
                    .to_ascii_lowercase()
                    .starts_with("x-aws-ec2-metadata-token:");
            }
            let mut parts = request.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            log.lock().unwrap().push(format!("{method} {path}"));
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(6);
            let mut extra = "";
            let (status, body) = match (method, path) {
                ("PUT", "/latest/api/token") => {
                    extra = "x-aws-ec2-metadata-token-ttl-seconds: 21600\r\n";
                    ("200 OK", "imds-session-token".to_owned())
                }
                // IMDSv2: nothing without the session token.
                (_, _) if !token => ("401 Unauthorized", String::new()),
                ("GET", "/latest/meta-data/iam/security-credentials/") => {
                    ("200 OK", "dbackup-backup".to_owned())
                }
                ("GET", "/latest/meta-data/iam/security-credentials/dbackup-backup") => (
                    "200 OK",
                    serde_json::json!({
                        "Code": "Success",
                        "LastUpdated": jiff::Timestamp::now().to_string(),
                        "Type": "AWS-HMAC",
                        "AccessKeyId": access,
                        "SecretAccessKey": secret,
                        "Token": "",
                        "Expiration": expires.to_string(),
                    })
                    .to_string(),
                ),
                _ => ("404 Not Found", String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (address, seen)
}

#[test]
fn an_instance_role_supplies_the_credentials_of_a_default_chain_destination() {
    let Some((s3, m)) = common::s3_with_keyring("imds") else {
        return;
    };
    let (imds, seen) = fake_instance_metadata(s3.access.clone(), s3.secret.clone());
    let bucket = s3.bucket("imds");
    // Nothing else in the chain: no keys in the environment, no ~/.aws files.
    let cmd = || {
        let mut c = m.cmd();
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("HOME", m.path("home"))
            .env("AWS_SHARED_CREDENTIALS_FILE", m.path("none/credentials"))
            .env("AWS_CONFIG_FILE", m.path("none/config"))
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)
            .env_remove("AWS_EC2_METADATA_DISABLED");
        c
    };
    cmd()
        .args([
            "destination",
            "add-s3",
            "--name",
            "role",
            "--provider",
            "custom",
        ])
        .args([
            "--endpoint",
            &s3.endpoint,
            "--bucket",
            &bucket,
            "--default-credentials",
        ])
        .assert()
        .success();
    std::fs::write(m.path("db.sql"), b"SELECT 1;\n".repeat(100)).unwrap();
    let out = cmd()
        .args([
            "--json",
            "backup",
            "--file",
            "db.sql",
            "--to",
            "role",
            "--no-encryption",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answered = seen.lock().unwrap().clone();
    assert!(
        answered
            .iter()
            .any(|r| r == "GET /latest/meta-data/iam/security-credentials/dbackup-backup"),
        "the role's credentials were not asked for: {answered:?}"
    );
    assert!(
        answered.iter().any(|r| r == "PUT /latest/api/token"),
        "IMDSv2 (session token) was not used: {answered:?}"
    );
}

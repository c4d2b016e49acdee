//! What the CLI's integration tests share: an isolated "machine" (data dir, keyring
//! service) running the real `dbackup` binary, and the test servers' settings.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;

/// One machine: its own state database and keyring service, so tests never touch a
/// user's entries or each other's.
pub struct Machine {
    pub dir: tempfile::TempDir,
    pub service: String,
}

impl Machine {
    pub fn new(tag: &str) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            service: format!("dbackup-test-{tag}-{}", std::process::id()),
        }
    }

    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("dbackup").unwrap();
        cmd.current_dir(self.dir.path())
            .env("DBACKUP_DATA_DIR", self.path("data"))
            .env("DBACKUP_LOG_DIR", self.path("logs"))
            .env("DBACKUP_KEYRING_SERVICE", &self.service)
            .timeout(std::time::Duration::from_secs(120));
        cmd
    }

    /// The same command as a plain process, for tests that run it in the background.
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbackup"));
        cmd.current_dir(self.dir.path())
            .env("DBACKUP_DATA_DIR", self.path("data"))
            .env("DBACKUP_LOG_DIR", self.path("logs"))
            .env("DBACKUP_KEYRING_SERVICE", &self.service);
        cmd
    }

    /// Runs a command that must succeed and returns its JSON result.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cmd().arg("--json").args(args).assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }

    /// Runs a command that must fail; returns (exit code, stderr).
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.cmd().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded unexpectedly");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Saves `folder` as the source `name` and a manual, unencrypted job of the same
    /// name storing it to `destination` (with `extra` job options); runs it once and
    /// returns the object it stored.
    pub fn run_folder_job(
        &self,
        name: &str,
        folder: &std::path::Path,
        destination: &str,
        extra: &[&str],
    ) -> String {
        self.json(&[
            "source",
            "add-folder",
            "--name",
            name,
            "--path",
            folder.to_str().unwrap(),
        ]);
        let mut create = vec![
            "job",
            "create",
            "--name",
            name,
            "--source",
            name,
            "--to",
            destination,
            "--manual",
            "--no-encryption",
        ];
        create.extend_from_slice(extra);
        self.json(&create);
        let run = self.json(&["job", "run", name]);
        run["outcome"]["destinations"][0]["objects"][0]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Writes a new recovery kit (a random key) and returns its file name.
    pub fn kit(&self, name: &str) -> String {
        let file = format!("{name}.kit");
        self.cmd()
            .args(["key", "generate", "--name", name, "--output", &file])
            .assert()
            .success();
        file
    }

    /// False (and the test skips) when there is no usable keyring, unless the test
    /// run promised one with DBACKUP_TEST_KEYRING=1.
    pub fn keyring_available(&self) -> bool {
        let ok = self
            .cmd()
            .args(["keyring", "check"])
            .output()
            .unwrap()
            .status
            .success();
        if !ok {
            assert!(
                std::env::var("DBACKUP_TEST_KEYRING").as_deref() != Ok("1"),
                "DBACKUP_TEST_KEYRING=1 but the OS keyring is unusable"
            );
            eprintln!("SKIPPED: no usable OS keyring (run through tests/with-session.sh)");
        }
        ok
    }
}

pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The settings of a test server, read from `DBACKUP_TEST_<PREFIX>_*`; `None` (the
/// test skips) unless `required_var`=1 says the run started one.
pub fn server(prefix: &str, fields: &[&str], required_var: &str) -> Option<Vec<String>> {
    let values: Option<Vec<String>> = fields
        .iter()
        .map(|f| var(&format!("DBACKUP_TEST_{prefix}_{f}")))
        .collect();
    if values.is_none() {
        assert!(
            var(required_var).as_deref() != Some("1"),
            "{required_var}=1 but DBACKUP_TEST_{prefix}_* is not set"
        );
        eprintln!("SKIPPED: no {prefix} test server");
    }
    values
}

/// The S3 test server: endpoint, access key, secret key.
pub struct S3Server {
    pub endpoint: String,
    pub access: String,
    pub secret: String,
}

impl S3Server {
    pub fn from_env() -> Option<S3Server> {
        let v = server(
            "S3",
            &["ENDPOINT", "ACCESS_KEY", "SECRET_KEY"],
            "DBACKUP_TEST_S3_REQUIRED",
        )?;
        Some(S3Server {
            endpoint: v[0].clone(),
            access: v[1].clone(),
            secret: v[2].clone(),
        })
    }

    /// The moto server (S3 Glacier restores, which radosgw lacks); it accepts any key.
    pub fn moto_from_env() -> Option<S3Server> {
        let v = server("MOTO", &["ENDPOINT"], "DBACKUP_TEST_MOTO_REQUIRED")?;
        Some(S3Server {
            endpoint: v[0].clone(),
            access: "moto-access-key".into(),
            secret: "moto-secret-key".into(),
        })
    }

    /// Settings for `bucket` under `prefix` on the test server.
    pub fn settings(&self, bucket: &str, prefix: &str) -> dbackup_storage::S3Settings {
        dbackup_storage::S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            force_path_style: true,
            credentials: dbackup_storage::S3Credentials::keys(&self.access, &self.secret),
            storage_class: None,
            part_size: dbackup_storage::DEFAULT_PART_SIZE,
            equal_parts: false,
            parts_in_flight: 2,
            sse: None,
            accelerate: false,
            answer_wait: dbackup_storage::DEFAULT_ANSWER_WAIT,
        }
    }

    /// Creates a fresh bucket and returns its name.
    pub fn bucket(&self, tag: &str) -> String {
        self.create_bucket(tag, false)
    }

    /// Creates a fresh bucket with S3 Object Lock enabled (and so versioning).
    pub fn bucket_with_object_lock(&self, tag: &str) -> String {
        self.create_bucket(tag, true)
    }

    fn create_bucket(&self, tag: &str, object_lock: bool) -> String {
        let bucket = format!("{tag}-{}", std::process::id());
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let s3 = dbackup_storage::S3Destination::new(self.settings(&bucket, ""));
            s3.client()
                .create_bucket()
                .bucket(&bucket)
                .object_lock_enabled_for_bucket(object_lock)
                .send()
                .await
                .unwrap();
        });
        bucket
    }

    /// Saves `bucket` under `prefix` as the destination `name` on machine `m`.
    pub fn add_destination(&self, m: &Machine, name: &str, bucket: &str, prefix: &str) {
        self.add_destination_with(m, name, bucket, prefix, &[]);
    }

    /// The same, with more `destination add-s3` options (e.g. a storage class).
    pub fn add_destination_with(
        &self,
        m: &Machine,
        name: &str,
        bucket: &str,
        prefix: &str,
        extra: &[&str],
    ) {
        let mut add = m.cmd();
        self.apply(&mut add);
        add.args([
            "destination",
            "add-s3",
            "--name",
            name,
            "--provider",
            "custom",
            "--endpoint",
            &self.endpoint,
            "--region",
            "us-east-1",
            "--bucket",
            bucket,
            "--prefix",
            prefix,
            "--access-key-id",
            &self.access,
        ])
        .args(extra)
        .assert()
        .success();
    }

    /// Puts the credentials and endpoint where `dbackup ... s3://` reads them.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("AWS_ACCESS_KEY_ID", &self.access)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret);
    }
}

/// The S3 server and a machine with a usable keyring, for tests that need both;
/// `None` (the test is skipped) without either, as `S3Server::from_env` and
/// `Machine::keyring_available` decide.
pub fn s3_with_keyring(name: &str) -> Option<(S3Server, Machine)> {
    let s3 = S3Server::from_env()?;
    let m = Machine::new(name);
    m.keyring_available().then_some((s3, m))
}

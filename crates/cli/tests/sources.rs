//! Database and folder sources through the real `dbackup` binary, against the real
//! PostgreSQL and MariaDB servers that scripts/test starts (tests/db/), the real OS
//! keyring and the S3 test server: add, test, back up, restore into a fresh database,
//! and compare every schema object and row with the original.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command as Process;

use common::{server, Machine};

const DB_REQUIRED: &str = "DBACKUP_TEST_DB_REQUIRED";

struct Pg {
    host: String,
    port: String,
    user: String,
    password: String,
    reader: String,
    reader_password: String,
}

impl Pg {
    fn from_env() -> Option<Pg> {
        let v = server(
            "PG",
            &[
                "HOST",
                "PORT",
                "USER",
                "PASSWORD",
                "READER_USER",
                "READER_PASSWORD",
            ],
            DB_REQUIRED,
        )?;
        Some(Pg {
            host: v[0].clone(),
            port: v[1].clone(),
            user: v[2].clone(),
            password: v[3].clone(),
            reader: v[4].clone(),
            reader_password: v[5].clone(),
        })
    }

    fn tool(&self, tool: &str, db: &str) -> Process {
        let mut cmd = Process::new(tool);
        cmd.env("PGHOST", &self.host)
            .env("PGPORT", &self.port)
            .env("PGUSER", &self.user)
            .env("PGPASSWORD", &self.password)
            .env("PGDATABASE", db);
        cmd
    }

    fn sql(&self, db: &str, sql: &str) -> String {
        let out = self
            .tool("psql", db)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Everything in the database as plain SQL, for comparing two databases.
    fn plain_dump(&self, db: &str) -> String {
        let out = self
            .tool("pg_dump", db)
            .args(["--format=plain", "--no-owner"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // \restrict lines carry a random key per run (PostgreSQL 15.14+).
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

const PG_SCHEMA: &str = r#"
CREATE TABLE customers (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    photo bytea,
    balance numeric(12, 2) NOT NULL DEFAULT 0,
    joined timestamptz NOT NULL,
    prefs jsonb
);
CREATE INDEX customers_name ON customers (lower(name));
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer bigint REFERENCES customers (id),
    total numeric(10, 2),
    updated timestamptz
);
CREATE VIEW big_spenders AS SELECT name, balance FROM customers WHERE balance > 100;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO customers (name, photo, balance, joined, prefs)
SELECT 'Zoë Ñandú ☕ ' || i, decode(md5(i::text), 'hex'), i * 1.25,
       '2026-01-01 10:00:00+01'::timestamptz + i * interval '1 hour',
       jsonb_build_object('n', i, 'tags', jsonb_build_array('a', 'ü'))
FROM generate_series(1, 3000) AS i;
INSERT INTO orders (customer, total, updated)
SELECT 1 + i % 3000, i * 0.5, '2026-06-01 00:00:00+00' FROM generate_series(1, 5000) AS i;
"#;

#[test]
fn postgres_backup_to_s3_restores_every_object_and_row_into_a_fresh_database() {
    let Some(pg) = Pg::from_env() else { return };
    let Some((s3, m)) = common::s3_with_keyring("pg") else {
        return;
    };
    let db = format!("shop_{}", std::process::id());
    let restored = format!("shop_restored_{}", std::process::id());
    pg.sql("postgres", &format!("CREATE DATABASE {db}"));
    pg.sql(&db, PG_SCHEMA);

    let bucket = s3.bucket("pg");
    s3.add_destination(&m, "rgw", &bucket, "pg");
    let mut add = m.cmd();
    add.env("SHOP_PW", &pg.password)
        .args([
            "source",
            "add-postgres",
            "--name",
            "shop",
            "--host",
            &pg.host,
            "--port",
            &pg.port,
            "--user",
            &pg.user,
            "--database",
            &db,
            "--password-env",
            "SHOP_PW",
        ])
        .assert()
        .success();
    // The password went to the keyring, not the state database.
    let state = std::fs::read(m.path("data/dbackup.sqlite")).unwrap();
    assert!(!state
        .windows(pg.password.len())
        .any(|w| w == pg.password.as_bytes()));

    let test = m.json(&["source", "test", "shop"]);
    assert_eq!(test["engine"], "PostgreSQL");
    assert!(
        test["version"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric),
        "{test}"
    );
    assert_eq!(test["databases"][0], db.as_str());

    let kit = "kit";
    m.cmd()
        .args(["key", "generate", "--name", "k", "--output", kit])
        .assert()
        .success();
    let report = m.json(&[
        "backup",
        "--source",
        "shop",
        "--to",
        "rgw",
        "--key-file",
        kit,
    ]);
    assert_eq!(report["status"], "success", "{report}");
    let unit = &report["units"][0]["backup"];
    let object = unit["object"].as_str().unwrap().to_owned();
    assert_eq!(unit["manifest"]["sourceKind"], "postgres");
    assert_eq!(unit["manifest"]["database"], db.as_str());
    assert_eq!(unit["manifest"]["dbEngine"], "PostgreSQL");

    let restore = m.json(&[
        "restore",
        &object,
        "--from",
        "rgw",
        "--key-file",
        kit,
        "--into-source",
        "shop",
        "--database",
        &restored,
        "--check",
    ]);
    assert_eq!(restore["rowCounts"]["public.customers"], 3000, "{restore}");
    assert_eq!(restore["rowCounts"]["public.orders"], 5000);
    assert_eq!(pg.plain_dump(&db), pg.plain_dump(&restored));
    // Sequences carry on where they were.
    assert_eq!(
        pg.sql(&restored, "SELECT nextval('customers_id_seq')")
            .trim(),
        "3001"
    );

    // A database that now holds tables is not restored over without --overwrite.
    let (code, err) = m.fails(&[
        "restore",
        &object,
        "--from",
        "rgw",
        "--key-file",
        kit,
        "--into-source",
        "shop",
        "--database",
        &restored,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not empty"), "{err}");
    // With --overwrite --clean it is replaced, in one transaction.
    pg.sql(&restored, "DELETE FROM orders WHERE id > 10");
    m.json(&[
        "restore",
        &object,
        "--from",
        "rgw",
        "--key-file",
        kit,
        "--into-source",
        "shop",
        "--database",
        &restored,
        "--overwrite",
        "--clean",
    ]);
    assert_eq!(
        pg.sql(&restored, "SELECT count(*) FROM orders").trim(),
        "5000"
    );

    pg.sql("postgres", &format!("DROP DATABASE {db}"));
    pg.sql("postgres", &format!("DROP DATABASE {restored}"));
}

#[test]
fn postgres_bad_input_gets_clear_errors_and_uploads_nothing() {
    let Some(pg) = Pg::from_env() else { return };
    let m = Machine::new("pgbad");
    if !m.keyring_available() {
        return;
    }
    std::fs::create_dir(m.path("out")).unwrap();
    let out = m.path("out");
    let out = out.to_str().unwrap();
    let add =
        |name: &str, host: &str, port: &str, user: &str, pw: &str, db: &str, extra: &[&str]| {
            m.cmd()
                .env("PW", pw)
                .args([
                    "source",
                    "add-postgres",
                    "--name",
                    name,
                    "--host",
                    host,
                    "--port",
                    port,
                    "--user",
                    user,
                    "--database",
                    db,
                    "--password-env",
                    "PW",
                ])
                .args(extra)
                .assert()
                .success();
        };
    let empty_tools = m.path("no-tools");
    std::fs::create_dir(&empty_tools).unwrap();
    // Client tools older than the server: a pg_dump that reports 9.6 and, asked to dump,
    // fails as pg_dump does against a newer server; the real psql beside it.
    let old_tools = m.path("old-tools");
    std::fs::create_dir(&old_tools).unwrap();
    let pg_dump = old_tools.join("pg_dump");
    std::fs::write(
        &pg_dump,
        "#!/bin/sh\n\
         if [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 9.6.24'; exit 0; fi\n\
         echo 'pg_dump: error: server version: 16.4; pg_dump version: 9.6.24' >&2\n\
         echo 'pg_dump: error: aborting because of server version mismatch' >&2\n\
         exit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &pg_dump,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let real_psql = std::env::var_os("DBACKUP_TEST_PG_BIN")
        .map(|bin| std::path::PathBuf::from(bin).join("psql"))
        .filter(|p| p.is_file())
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap())
                .map(|dir| dir.join("psql"))
                .find(|p| p.is_file())
        })
        .expect("psql on PATH");
    std::os::unix::fs::symlink(&real_psql, old_tools.join("psql")).unwrap();
    add(
        "wrongpw",
        &pg.host,
        &pg.port,
        &pg.user,
        "not-the-password",
        "postgres",
        &[],
    );
    add(
        "nohost",
        "no-such-host.invalid",
        &pg.port,
        &pg.user,
        &pg.password,
        "postgres",
        &[],
    );
    add(
        "nodb",
        &pg.host,
        &pg.port,
        &pg.user,
        &pg.password,
        "no_such_db",
        &[],
    );
    add(
        "reader",
        &pg.host,
        &pg.port,
        &pg.reader,
        &pg.reader_password,
        "restricted",
        &[],
    );
    add(
        "notools",
        &pg.host,
        &pg.port,
        &pg.user,
        &pg.password,
        "postgres",
        &["--tools-dir", empty_tools.to_str().unwrap()],
    );
    add(
        "oldtools",
        &pg.host,
        &pg.port,
        &pg.user,
        &pg.password,
        "postgres",
        &["--tools-dir", old_tools.to_str().unwrap()],
    );
    for (source, says) in [
        ("wrongpw", "rejected user"),
        ("nohost", "cannot reach"),
        ("nodb", "does not exist"),
        ("reader", "may not read"),
        ("notools", "was not found"),
        ("oldtools", "cannot dump a server running"),
    ] {
        let (code, err) = m.fails(&["source", "test", source]);
        assert_eq!(code, 8, "{source}: {err}");
        assert!(err.contains(says), "{source}: expected {says:?} in {err}");
        let (code, err) = m.fails(&["backup", "--source", source, "--to", out, "--no-encryption"]);
        assert_eq!(code, 8, "{source}: {err}");
        assert!(err.contains(says), "{source}: expected {says:?} in {err}");
    }
    // The password never shows in an error.
    let (_, err) = m.fails(&["source", "test", "nohost"]);
    assert!(!err.contains(&pg.password));
    assert_eq!(
        std::fs::read_dir(out).unwrap().count(),
        0,
        "something was uploaded"
    );
}

struct My {
    host: String,
    port: String,
    user: String,
    password: String,
    reader: String,
    reader_password: String,
}

impl My {
    fn from_env() -> Option<My> {
        let v = server(
            "MYSQL",
            &[
                "HOST",
                "PORT",
                "USER",
                "PASSWORD",
                "READER_USER",
                "READER_PASSWORD",
            ],
            DB_REQUIRED,
        )?;
        Some(My {
            host: v[0].clone(),
            port: v[1].clone(),
            user: v[2].clone(),
            password: v[3].clone(),
            reader: v[4].clone(),
            reader_password: v[5].clone(),
        })
    }

    fn tool(&self, tool: &str) -> Process {
        let mut cmd = Process::new(tool);
        cmd.env("MYSQL_PWD", &self.password).args([
            "--protocol=TCP",
            "-h",
            &self.host,
            "-P",
            &self.port,
            "-u",
            &self.user,
        ]);
        cmd
    }

    fn sql(&self, db: Option<&str>, sql: &str) -> String {
        let mut cmd = self.tool("mariadb");
        cmd.args(["--batch", "--skip-column-names", "-e", sql]);
        if let Some(db) = db {
            cmd.arg(db);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "mariadb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn plain_dump(&self, db: &str) -> String {
        let out = self
            .tool("mariadb-dump")
            .args([
                "--skip-dump-date",
                "--skip-comments",
                "--routines",
                "--triggers",
                "--events",
                "--hex-blob",
                "--order-by-primary",
                db,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

const MYSQL_SCHEMA: &str = r#"
SET SESSION max_recursive_iterations = 100000;
CREATE TABLE customers (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(200) CHARACTER SET utf8mb4 NOT NULL,
    photo BLOB,
    balance DECIMAL(12, 2) NOT NULL DEFAULT 0,
    joined DATETIME(3) NOT NULL,
    prefs JSON,
    INDEX customers_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (
    id INT AUTO_INCREMENT PRIMARY KEY,
    customer BIGINT,
    total DECIMAL(10, 2),
    updated TIMESTAMP NULL,
    FOREIGN KEY (customer) REFERENCES customers (id)
) ENGINE=InnoDB;
CREATE VIEW big_spenders AS SELECT name, balance FROM customers WHERE balance > 100;
CREATE PROCEDURE add_customer(IN n VARCHAR(200)) INSERT INTO customers (name, joined) VALUES (n, NOW(3));
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW SET NEW.updated = NOW();
INSERT INTO customers (name, photo, balance, joined, prefs)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 2000)
SELECT CONCAT('Zoë Ñandú ☕ ', i), UNHEX(MD5(i)), i * 1.25,
       TIMESTAMP('2026-01-01 10:00:00.123') + INTERVAL i HOUR,
       JSON_OBJECT('n', i, 'tags', JSON_ARRAY('a', 'ü'))
FROM seq;
INSERT INTO orders (customer, total, updated)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 4000)
SELECT 1 + i % 2000, i * 0.5, '2026-06-01 00:00:00' FROM seq;
"#;

#[test]
fn mariadb_backup_to_s3_restores_every_object_and_row_into_a_fresh_database() {
    let Some(my) = My::from_env() else { return };
    let Some((s3, m)) = common::s3_with_keyring("my") else {
        return;
    };
    let db = format!("shop_{}", std::process::id());
    let restored = format!("shop_restored_{}", std::process::id());
    my.sql(None, &format!("CREATE DATABASE {db} CHARACTER SET utf8mb4"));
    my.sql(Some(&db), MYSQL_SCHEMA);

    let bucket = s3.bucket("my");
    s3.add_destination(&m, "rgw", &bucket, "");
    m.cmd()
        .env("SHOP_PW", &my.password)
        .args([
            "source",
            "add-mysql",
            "--name",
            "shop",
            "--host",
            &my.host,
            "--port",
            &my.port,
            "--user",
            &my.user,
            "--database",
            &db,
            "--password-env",
            "SHOP_PW",
        ])
        .assert()
        .success();
    let test = m.json(&["source", "test", "shop"]);
    assert_eq!(test["engine"], "MariaDB", "{test}");

    let report = m.json(&[
        "backup",
        "--source",
        "shop",
        "--to",
        "rgw",
        "--no-encryption",
    ]);
    assert_eq!(report["status"], "success", "{report}");
    let object = report["units"][0]["backup"]["object"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        report["units"][0]["backup"]["manifest"]["dbEngine"],
        "MariaDB"
    );

    let restore = m.json(&[
        "restore",
        "--allow-unencrypted",
        &object,
        "--from",
        "rgw",
        "--into-source",
        "shop",
        "--database",
        &restored,
        "--check",
    ]);
    assert_eq!(restore["rowCounts"]["customers"], 2000, "{restore}");
    assert_eq!(restore["rowCounts"]["orders"], 4000);
    assert_eq!(my.plain_dump(&db), my.plain_dump(&restored));

    let (code, err) = m.fails(&[
        "restore",
        "--allow-unencrypted",
        &object,
        "--from",
        "rgw",
        "--into-source",
        "shop",
        "--database",
        &restored,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not empty"), "{err}");

    my.sql(None, &format!("DROP DATABASE {db}"));
    my.sql(None, &format!("DROP DATABASE {restored}"));
}

#[test]
fn mariadb_bad_input_gets_clear_errors_and_uploads_nothing() {
    let Some(my) = My::from_env() else { return };
    let m = Machine::new("mybad");
    if !m.keyring_available() {
        return;
    }
    std::fs::create_dir(m.path("out")).unwrap();
    let out = m.path("out");
    let out = out.to_str().unwrap();
    let add = |name: &str, host: &str, user: &str, pw: &str, db: &str| {
        m.cmd()
            .env("PW", pw)
            .args([
                "source",
                "add-mysql",
                "--name",
                name,
                "--host",
                host,
                "--port",
                &my.port,
                "--user",
                user,
                "--database",
                db,
                "--password-env",
                "PW",
            ])
            .assert()
            .success();
    };
    add("wrongpw", &my.host, &my.user, "not-the-password", "mysql");
    add(
        "nohost",
        "no-such-host.invalid",
        &my.user,
        &my.password,
        "mysql",
    );
    add("nodb", &my.host, &my.user, &my.password, "no_such_db");
    add(
        "reader",
        &my.host,
        &my.reader,
        &my.reader_password,
        "restricted",
    );
    for (source, says) in [
        ("wrongpw", "rejected user"),
        ("nohost", "cannot reach"),
        ("nodb", "does not exist"),
        ("reader", "may not read"),
    ] {
        let (code, err) = m.fails(&["source", "test", source]);
        assert_eq!(code, 8, "{source}: {err}");
        assert!(err.contains(says), "{source}: expected {says:?} in {err}");
        let (code, err) = m.fails(&["backup", "--source", source, "--to", out, "--no-encryption"]);
        assert_eq!(code, 8, "{source}: {err}");
        assert!(err.contains(says), "{source}: expected {says:?} in {err}");
    }
    assert_eq!(
        std::fs::read_dir(out).unwrap().count(),
        0,
        "something was uploaded"
    );
}

#[test]
fn a_folder_round_trips_with_globs_symlinks_and_unicode_names() {
    use std::os::unix::fs::PermissionsExt;
    let m = Machine::new("folder");
    let src = m.path("docs");
    std::fs::create_dir_all(src.join("données/sub")).unwrap();
    std::fs::create_dir_all(src.join("node_modules/pkg")).unwrap();
    std::fs::create_dir_all(src.join("empty")).unwrap();
    std::fs::write(src.join("données/été ☀.txt"), "soleil").unwrap();
    std::fs::write(src.join("données/sub/empty.txt"), "").unwrap();
    std::fs::write(src.join("node_modules/pkg/index.js"), "x").unwrap();
    std::fs::write(src.join("run.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(src.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("données/été ☀.txt", src.join("link")).unwrap();
    std::fs::create_dir(m.path("store")).unwrap();

    m.cmd()
        .args([
            "source",
            "add-folder",
            "--name",
            "docs",
            "--path",
            "docs",
            "--exclude",
            "node_modules/**",
        ])
        .assert()
        .success();
    let list = m.json(&["source", "list"]);
    assert_eq!(list[0]["kind"], "folder");
    assert!(
        list[0]["location"].as_str().unwrap().ends_with("/docs"),
        "{list}"
    );
    let report = m.json(&[
        "backup",
        "--source",
        "docs",
        "--to",
        "./store",
        "--no-encryption",
    ]);
    let object = report["units"][0]["backup"]["object"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        report["units"][0]["backup"]["manifest"]["sourceKind"],
        "folder"
    );

    m.json(&[
        "restore",
        "--allow-unencrypted",
        &object,
        "--from",
        "./store",
        "--into-source",
        "docs",
        "--output",
        "back",
    ]);
    let back = m.path("back");
    assert_eq!(
        std::fs::read_to_string(back.join("données/été ☀.txt")).unwrap(),
        "soleil"
    );
    assert_eq!(
        std::fs::read(back.join("données/sub/empty.txt")).unwrap(),
        b""
    );
    assert!(back.join("empty").is_dir());
    assert!(
        !back.join("node_modules").exists(),
        "the excluded folder came back"
    );
    assert_eq!(
        std::fs::read_link(back.join("link")).unwrap(),
        std::path::Path::new("données/été ☀.txt")
    );
    let mode = std::fs::metadata(back.join("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    // Restoring over the original folder needs --overwrite.
    let (code, err) = m.fails(&[
        "restore",
        "--allow-unencrypted",
        &object,
        "--from",
        "./store",
        "--into-source",
        "docs",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("overwrite") || err.contains("not empty"),
        "{err}"
    );
}

#[test]
fn an_sqlite_source_is_copied_consistently_and_restored_to_a_chosen_file() {
    let m = Machine::new("sqlite");
    let db = m.path("app.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000)
         INSERT INTO notes (body) SELECT 'note ' || i FROM s;",
    )
    .unwrap();
    std::fs::create_dir(m.path("store")).unwrap();
    m.cmd()
        .args([
            "source",
            "add-sqlite",
            "--name",
            "app",
            "--path",
            "app.sqlite",
        ])
        .assert()
        .success();
    assert_eq!(m.json(&["source", "test", "app"])["engine"], "SQLite");
    // The connection stays open, as an application's would, with rows only in the WAL.
    conn.execute("INSERT INTO notes (body) VALUES ('in the wal')", [])
        .unwrap();
    let report = m.json(&[
        "backup",
        "--source",
        "app",
        "--to",
        "./store",
        "--no-encryption",
    ]);
    let object = report["units"][0]["backup"]["object"]
        .as_str()
        .unwrap()
        .to_owned();
    m.json(&[
        "restore",
        "--allow-unencrypted",
        &object,
        "--from",
        "./store",
        "--into-source",
        "app",
        "--output",
        "copy.sqlite",
    ]);
    let copy = rusqlite::Connection::open(m.path("copy.sqlite")).unwrap();
    let n: i64 = copy
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 5001);
    // Never over the live file without --overwrite.
    let (code, err) = m.fails(&[
        "restore",
        "--allow-unencrypted",
        &object,
        "--from",
        "./store",
        "--into-source",
        "app",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
}

/// Saves the MariaDB test server as the source `my` (with one database, or every one).
fn add_mysql(m: &Machine, my: &My, database: Option<&str>) {
    let mut cmd = m.cmd();
    cmd.env("PW", &my.password).args([
        "source",
        "add-mysql",
        "--name",
        "my",
        "--host",
        &my.host,
        "--port",
        &my.port,
        "--user",
        &my.user,
        "--password-env",
        "PW",
    ]);
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    cmd.assert().success();
}

/// Writes an unencrypted archive of `kind` holding `sql` into `./store` of `m`, as
/// anyone who can write to a destination could: no job, no manifest.
fn plant(m: &Machine, object: &str, kind: &str, database: Option<&str>, sql: &str) {
    use dbackup_archive::{
        ArchiveMetadata, ArchiveWriter, EncryptionSetting, Randomness, WriterSettings,
    };
    let mut metadata = ArchiveMetadata::new(jiff::Timestamp::now());
    metadata.source_kind = Some(kind.into());
    metadata.database = database.map(str::to_owned);
    let path = m.path("store").join(object);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let mut writer = ArchiveWriter::new(
        file,
        WriterSettings::new(EncryptionSetting::None, metadata),
        &Randomness::generate().unwrap(),
    )
    .unwrap();
    std::io::Write::write_all(&mut writer, sql.as_bytes()).unwrap();
    writer.finish().unwrap();
}

#[test]
fn a_planted_roles_script_never_reaches_psql_and_a_real_one_passes_the_check() {
    let Some(pg) = Pg::from_env() else { return };
    let m = Machine::new("pgplant");
    if !m.keyring_available() {
        return;
    }
    m.cmd()
        .env("PW", &pg.password)
        .args([
            "source",
            "add-postgres",
            "--name",
            "pg",
            "--host",
            &pg.host,
            "--port",
            &pg.port,
            "--user",
            &pg.user,
            "--password-env",
            "PW",
        ])
        .assert()
        .success();
    let marker = m.path("owned");
    plant(
        &m,
        "evil/roles.dbk",
        "postgres-globals",
        None,
        &format!(
            "CREATE ROLE planted_{};\n\\! touch {}\n",
            std::process::id(),
            marker.display()
        ),
    );
    let restore = |extra: &[&str]| {
        let mut args = vec![
            "restore",
            "evil/roles.dbk",
            "--from",
            "./store",
            "--into-source",
            "pg",
        ];
        args.extend_from_slice(extra);
        m.fails(&args)
    };
    // Unencrypted: anyone who can write to the destination could have made it.
    let (code, err) = restore(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not encrypted") && err.contains("--allow-unencrypted"),
        "{err}"
    );
    // Even when accepted, the script is checked before psql sees it.
    let (code, err) = restore(&["--allow-unencrypted"]);
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains("meta-command \\!") && err.contains("line 2"),
        "{err}"
    );
    assert!(!marker.exists(), "the planted shell command ran");
    assert_eq!(
        pg.sql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_roles WHERE rolname = 'planted_{}'",
                std::process::id()
            )
        )
        .trim(),
        "0",
        "nothing of the script ran"
    );

    // What pg_dumpall --globals-only really writes (a role with a password, a comment
    // with quotes and backslashes, a membership) passes the same check.
    let role = format!("dbackup_roles_check_{}", std::process::id());
    pg.sql(
        "postgres",
        &format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'it''s $a\\secret'; \
             COMMENT ON ROLE {role} IS E'a \\\\! comment, it''s fine'; \
             GRANT pg_read_all_data TO {role};"
        ),
    );
    let out = pg
        .tool("pg_dumpall", "postgres")
        .args(["--globals-only"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains(&role));
    let checked = dbackup_sources::roles_script::check(&script);
    pg.sql("postgres", &format!("DROP ROLE {role}"));
    checked.unwrap();
}

#[test]
fn a_planted_mysql_dump_cannot_read_local_files() {
    let Some(my) = My::from_env() else { return };
    let m = Machine::new("myplant");
    if !m.keyring_available() {
        return;
    }
    add_mysql(&m, &my, None);
    let secret = m.path("secret.txt");
    std::fs::write(&secret, "the user's private file\n").unwrap();
    let db = format!("planted_{}", std::process::id());
    plant(
        &m,
        "evil/dump.dbk",
        "mysql",
        Some(&db),
        &format!(
            "CREATE TABLE loot (line text);\nLOAD DATA LOCAL INFILE '{}' INTO TABLE loot;\n",
            secret.display()
        ),
    );
    let (code, err) = m.fails(&[
        "restore",
        "evil/dump.dbk",
        "--from",
        "./store",
        "--into-source",
        "my",
        "--allow-unencrypted",
    ]);
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("local infile"), "{err}");
    let loot = my.sql(
        None,
        &format!(
            "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = 'loot'"
        ),
    );
    if loot.trim() == "1" {
        assert_eq!(
            my.sql(Some(&db), "SELECT count(*) FROM loot").trim(),
            "0",
            "the file was read"
        );
    }
    my.sql(None, &format!("DROP DATABASE IF EXISTS {db}"));
}

#[test]
fn a_damaged_mariadb_backup_never_half_replaces_the_database_it_restores_over() {
    let Some(my) = My::from_env() else { return };
    let m = Machine::new("mystage");
    if !m.keyring_available() {
        return;
    }
    let db = format!("staged_{}", std::process::id());
    let restored = format!("staged_restored_{}", std::process::id());
    my.sql(None, &format!("CREATE DATABASE {db}"));
    // Large enough to span several compressed frames, so the damage is found late.
    my.sql(
        Some(&db),
        "CREATE TABLE big (id INT PRIMARY KEY, txt TEXT);
         INSERT INTO big SELECT seq, REPEAT(MD5(seq), 8) FROM seq_1_to_150000;",
    );
    add_mysql(&m, &my, Some(&db));
    std::fs::create_dir(m.path("store")).unwrap();
    let report = m.json(&[
        "backup",
        "--source",
        "my",
        "--to",
        "./store",
        "--no-encryption",
    ]);
    let object = report["units"][0]["backup"]["object"]
        .as_str()
        .unwrap()
        .to_owned();
    m.json(&[
        "restore",
        &object,
        "--from",
        "./store",
        "--allow-unencrypted",
        "--into-source",
        "my",
        "--database",
        &restored,
    ]);
    my.sql(
        Some(&restored),
        "INSERT INTO big VALUES (-1, 'changed after the backup')",
    );

    // Damage near the end of the stored backup.
    let path = m.path("store").join(&object);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 40;
    bytes[at] ^= 0x5a;
    std::fs::write(&path, bytes).unwrap();
    let (code, err) = m.fails(&[
        "restore",
        &object,
        "--from",
        "./store",
        "--allow-unencrypted",
        "--into-source",
        "my",
        "--database",
        &restored,
        "--overwrite",
    ]);
    assert_eq!(code, 7, "{err}");
    assert_eq!(
        my.sql(Some(&restored), "SELECT count(*) FROM big").trim(),
        "150001",
        "the database was touched before the whole backup was read"
    );
    my.sql(None, &format!("DROP DATABASE {db}"));
    my.sql(None, &format!("DROP DATABASE {restored}"));
}

//! PostgreSQL through its own tools: `pg_dump --format=custom` per database (so a
//! restore can pick objects and run in one transaction), `pg_dumpall --globals-only`
//! for roles and tablespaces, `pg_restore` and `psql` back. The password travels in
//! a 0600 password file named by PGPASSFILE, removed when the tool is done: never on
//! the command line nor in the environment (which other processes of the user, and
//! the tool's own children, can read).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::process::{invalid, last_line, validate_server, DumpStream, Tool};
use crate::{RestoreOptions, ServerInfo, SourceError};

const INSTALL: &str = "on Debian/Ubuntu: apt-get install postgresql-client";
/// Field and record separators for psql output: bytes that never occur in names.
const FIELD_SEP: char = '\u{1f}';
const RECORD_SEP: char = '\u{1e}';
/// Seconds to wait for a connection before calling the server unreachable.
const CONNECT_TIMEOUT_SECS: &str = "10";
/// Tables counted per query by `row_counts`; keeps each query well under argv limits.
const COUNT_BATCH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    pub fn parse(text: &str) -> Option<SslMode> {
        [
            SslMode::Disable,
            SslMode::Allow,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ]
        .into_iter()
        .find(|m| m.as_str() == text)
    }
}

/// What is saved about a PostgreSQL source (the password lives in the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostgresConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// `None`: every database, one archive each, plus the globals.
    pub database: Option<String>,
    #[serde(default)]
    pub ssl_mode: SslMode,
    /// Where pg_dump, pg_restore and psql are; `None`: on PATH.
    #[serde(default)]
    pub tools_dir: Option<PathBuf>,
}

impl PostgresConfig {
    pub fn validate(&self) -> Result<(), SourceError> {
        validate_server(&self.host, self.port, &self.user, "5432")?;
        if let Some(db) = &self.database {
            check_name("database", db)?;
        }
        Ok(())
    }
}

fn check_name(field: &'static str, name: &str) -> Result<(), SourceError> {
    if name.is_empty() || name.contains('\0') || name.len() > 63 {
        return Err(invalid(
            field,
            "a PostgreSQL name has 1 to 63 bytes and no NUL character",
        ));
    }
    Ok(())
}

pub struct Postgres {
    config: PostgresConfig,
    password: Option<String>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Postgres {
    pub fn new(config: PostgresConfig, password: Option<String>) -> Result<Self, SourceError> {
        config.validate()?;
        Ok(Postgres { config, password })
    }

    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    fn server(&self) -> String {
        format!("{}:{}", self.config.host, self.config.port)
    }

    fn tool(&self, name: &str) -> Result<Tool, SourceError> {
        Tool::find(self.config.tools_dir.as_deref(), &[name], INSTALL)
    }

    /// A command for `tool` with the connection in its environment (inherited PG*
    /// variables removed, so a user's PGSERVICE or PGOPTIONS cannot redirect it).
    fn command(&self, tool: &Tool) -> Result<(Command, Option<tempfile::TempPath>), SourceError> {
        let mut command = tool.command();
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                command.env_remove(name);
            }
        }
        command
            .env("PGHOST", &self.config.host)
            .env("PGPORT", self.config.port.to_string())
            .env("PGUSER", &self.config.user)
            .env("PGSSLMODE", self.config.ssl_mode.as_str())
            .env("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECS)
            .env("PGAPPNAME", "dbackup")
            .arg("--no-password");
        let passfile = match &self.password {
            Some(password) => {
                let file = password_file(password)?;
                command.env("PGPASSFILE", &*file);
                Some(file)
            }
            None => None,
        };
        Ok((command, passfile))
    }

    fn explain(&self, error: SourceError, database: &str) -> SourceError {
        explain(&self.server(), &self.config.user, database, error)
    }

    fn explainer(&self, database: &str) -> crate::process::Explain {
        let (server, user, database) =
            (self.server(), self.config.user.clone(), database.to_owned());
        Box::new(move |e| explain(&server, &user, &database, e))
    }

    /// Runs one SQL statement with psql and returns its rows.
    pub fn query(&self, database: &str, sql: &str) -> Result<Vec<Vec<String>>, SourceError> {
        let psql = self.tool("psql")?;
        let (mut command, _passfile) = self.command(&psql)?;
        command
            .arg(format!("--dbname={}", conninfo_dbname(database)))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg(format!("--field-separator={FIELD_SEP}"))
            .arg(format!("--record-separator={RECORD_SEP}"))
            .arg("-c")
            .arg(sql);
        let out = psql
            .run(&mut command)
            .map_err(|e| self.explain(e, database))?;
        Ok(out
            .trim_end_matches('\n')
            .split(RECORD_SEP)
            .filter(|row| !row.is_empty())
            .map(|row| row.split(FIELD_SEP).map(str::to_owned).collect())
            .collect())
    }

    fn maintenance_db(&self) -> &str {
        // Every cluster has it; the configured database may not exist yet.
        "postgres"
    }

    /// Server version as text (e.g. "15.18 (Debian 15.18-0+deb12u1)") and major.
    pub fn server_version(&self) -> Result<(String, u32), SourceError> {
        let db = self
            .config
            .database
            .clone()
            .unwrap_or_else(|| self.maintenance_db().to_owned());
        let rows = self.query(
            &db,
            "SELECT current_setting('server_version'), current_setting('server_version_num')",
        )?;
        let row = rows.first().ok_or_else(|| SourceError::ToolFailed {
            tool: "psql".into(),
            status: "success".into(),
            stderr: "the server did not report its version".into(),
        })?;
        let text = row.first().cloned().unwrap_or_default();
        let num: u32 = row.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        Ok((text, num / 10_000))
    }

    /// The databases a backup of this source covers.
    pub fn databases(&self) -> Result<Vec<String>, SourceError> {
        if let Some(db) = &self.config.database {
            return Ok(vec![db.clone()]);
        }
        let rows = self.query(
            self.maintenance_db(),
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname",
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    /// "Test connection": tools present and new enough, server reachable, password
    /// accepted, database present, and every table and sequence readable.
    pub fn check(&self) -> Result<ServerInfo, SourceError> {
        let pg_dump = self.tool("pg_dump")?;
        self.tool("psql")?;
        let dump_version = pg_dump.version()?;
        let (version, server_major) = self.server_version()?;
        let tool_major = major_of_tool_version(&dump_version);
        if let Some(tool_major) = tool_major {
            if tool_major < server_major {
                return Err(SourceError::ToolTooOld {
                    tool: "pg_dump".into(),
                    tool_version: dump_version,
                    server_version: format!("PostgreSQL {version}"),
                    install: format!("postgresql-client-{server_major}"),
                });
            }
        }
        let databases = self.databases()?;
        let mut warnings = Vec::new();
        for db in &databases {
            let unreadable = self.query(
                db,
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p', 'S', 'm') \
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND n.nspname NOT LIKE 'pg\\_toast%' \
                 AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY 1 LIMIT 20",
            )?;
            if !unreadable.is_empty() {
                let names: Vec<String> = unreadable.into_iter().flatten().collect();
                return Err(SourceError::PermissionDenied {
                    user: self.config.user.clone(),
                    detail: format!("in database {db} it may not read {}", names.join(", ")),
                });
            }
        }
        if self.config.database.is_none() && !self.is_superuser()? {
            warnings
                .push("not a superuser: role passwords are left out of the globals backup".into());
        }
        Ok(ServerInfo {
            engine: "PostgreSQL".into(),
            version,
            databases,
            dump_tool: dump_version,
            warnings,
        })
    }

    fn is_superuser(&self) -> Result<bool, SourceError> {
        let rows = self.query(
            self.maintenance_db(),
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
        )?;
        Ok(rows.first().and_then(|r| r.first()).map(String::as_str) == Some("t"))
    }

    /// Streams `pg_dump --format=custom` of one database. pg_dump's own compression is
    /// off: the archive compresses with zstd, faster and smaller than pg_dump's gzip.
    pub fn dump(&self, database: &str) -> Result<DumpStream, SourceError> {
        check_name("database", database)?;
        let pg_dump = self.tool("pg_dump")?;
        let (mut command, passfile) = self.command(&pg_dump)?;
        command
            .arg("--format=custom")
            .arg("--compress=0")
            .arg(format!("--dbname={}", conninfo_dbname(database)));
        pg_dump.spawn_dump(&mut command, passfile, self.explainer(database))
    }

    /// Streams `pg_dumpall --globals-only`: roles, their memberships and tablespaces.
    pub fn dump_globals(&self) -> Result<DumpStream, SourceError> {
        let pg_dumpall = self.tool("pg_dumpall")?;
        let (mut command, passfile) = self.command(&pg_dumpall)?;
        command.arg("--globals-only").arg(format!(
            "--dbname={}",
            conninfo_dbname(self.maintenance_db())
        ));
        // Only superusers may read pg_authid; others still get roles without passwords.
        if !self.is_superuser()? {
            command.arg("--no-role-passwords");
        }
        pg_dumpall.spawn_dump(
            &mut command,
            passfile,
            self.explainer(self.maintenance_db()),
        )
    }

    /// Restores a `dump` into `database`, creating it when missing. A database that
    /// already holds tables is refused unless `options.overwrite`. Runs in one
    /// transaction: a failed restore leaves the database as it was.
    pub fn restore(
        &self,
        database: &str,
        input: &mut dyn Read,
        options: RestoreOptions,
    ) -> Result<(), SourceError> {
        check_name("database", database)?;
        let pg_restore = self.tool("pg_restore")?;
        let exists = !self
            .query(
                self.maintenance_db(),
                &format!(
                    "SELECT 1 FROM pg_database WHERE datname = {}",
                    quote_literal(database)
                ),
            )?
            .is_empty();
        if exists {
            if !options.overwrite && self.has_user_objects(database)? {
                return Err(SourceError::TargetNotEmpty {
                    target: format!("database {database} on {}", self.server()),
                });
            }
        } else {
            self.query(
                self.maintenance_db(),
                &format!("CREATE DATABASE {}", quote_ident(database)),
            )?;
        }
        let (mut command, _passfile) = self.command(&pg_restore)?;
        command
            .arg(format!("--dbname={}", conninfo_dbname(database)))
            .args(["--exit-on-error", "--single-transaction"]);
        if options.clean {
            command.args(["--clean", "--if-exists"]);
        }
        pg_restore
            .feed(&mut command, input)
            .map(|_| ())
            .map_err(|e| self.explain(e, database))
    }

    /// Replays a globals dump. Roles that exist already are reported, not fatal:
    /// restoring onto a live server usually meets some. Returns those messages.
    pub fn restore_globals(&self, input: &mut dyn Read) -> Result<Vec<String>, SourceError> {
        let psql = self.tool("psql")?;
        let (mut command, _passfile) = self.command(&psql)?;
        command
            .arg(format!(
                "--dbname={}",
                conninfo_dbname(self.maintenance_db())
            ))
            .args(["-X", "-q", "-f", "-"]);
        // The whole script is checked before psql sees a byte of it (roles scripts are
        // small: the cap only stops a hostile one from filling memory).
        let mut script = String::new();
        input
            .take(ROLES_SCRIPT_LIMIT + 1)
            .read_to_string(&mut script)
            .map_err(|e| SourceError::RestoreInput {
                detail: e.to_string(),
            })?;
        if script.len() as u64 > ROLES_SCRIPT_LIMIT {
            return Err(SourceError::ScriptTooLarge {
                limit: ROLES_SCRIPT_LIMIT / (1024 * 1024),
            });
        }
        crate::roles_script::check(&script)?;
        // Older dumps lack pg_dumpall's own `\restrict`; where psql has it, restricted
        // mode refuses every other meta-command, whatever the check missed.
        if !script.trim_start().starts_with("\\restrict") && psql_restricts(&psql) {
            script.insert_str(0, &format!("\\restrict {}\n", restrict_key()));
        }
        let stderr = psql
            .feed(&mut command, &mut script.as_bytes())
            .map_err(|e| self.explain(e, self.maintenance_db()))?;
        Ok(stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn has_user_objects(&self, database: &str) -> Result<bool, SourceError> {
        let rows = self.query(
            database,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'",
        )?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .is_some_and(|n| n != "0"))
    }

    /// Rows per table (`schema.table`), to compare a restore with its source.
    pub fn row_counts(&self, database: &str) -> Result<BTreeMap<String, u64>, SourceError> {
        let tables = self.query(
            database,
            "SELECT n.nspname, c.relname FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1, 2",
        )?;
        let mut counts = BTreeMap::new();
        for batch in tables.chunks(COUNT_BATCH) {
            let selects: Vec<String> = batch
                .iter()
                .filter_map(|row| match row.as_slice() {
                    [schema, table] => Some(format!(
                        "SELECT {}, count(*) FROM {}.{}",
                        quote_literal(&format!("{schema}.{table}")),
                        quote_ident(schema),
                        quote_ident(table)
                    )),
                    _ => None,
                })
                .collect();
            if selects.is_empty() {
                continue;
            }
            for row in self.query(database, &selects.join(" UNION ALL "))? {
                if let [name, count] = row.as_slice() {
                    counts.insert(name.clone(), count.parse().unwrap_or(0));
                }
            }
        }
        Ok(counts)
    }
}

/// Turns a tool failure into what the user needs to hear.
fn explain(server: &str, user: &str, database: &str, error: SourceError) -> SourceError {
    let SourceError::ToolFailed { stderr, .. } = &error else {
        return error;
    };
    let lower = stderr.to_lowercase();
    let detail = last_line(stderr);
    if lower.contains("password authentication failed")
        || lower.contains("no password supplied")
        || lower.contains("authentication failed")
        || lower.contains("role \"") && lower.contains("does not exist")
    {
        SourceError::AuthFailed {
            server: server.to_owned(),
            user: user.to_owned(),
            detail,
        }
    } else if lower.contains(&format!(
        "database \"{}\" does not exist",
        database.to_lowercase()
    )) {
        SourceError::MissingDatabase {
            server: server.to_owned(),
            database: database.to_owned(),
        }
    } else if lower.contains("permission denied") {
        SourceError::PermissionDenied {
            user: user.to_owned(),
            detail,
        }
    } else if lower.contains("server version mismatch") {
        SourceError::ToolTooOld {
            tool: "pg_dump".into(),
            tool_version: "on this machine".into(),
            server_version: detail,
            install: "the postgresql-client package matching the server's major version".into(),
        }
    } else if lower.contains("connection refused")
        || lower.contains("could not translate host name")
        || lower.contains("timeout expired")
        || lower.contains("no route to host")
        || lower.contains("network is unreachable")
        || lower.contains("could not connect")
    {
        SourceError::Unreachable {
            server: server.to_owned(),
            detail,
        }
    } else {
        error
    }
}

/// `dbname='...'` as a libpq connection string, so a database name containing `=`
/// or spaces is never read as connection options.
fn conninfo_dbname(database: &str) -> String {
    let escaped = database.replace('\\', "\\\\").replace('\'', "\\'");
    format!("dbname='{escaped}'")
}

/// A string literal (standard_conforming_strings is on since PostgreSQL 9.1).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> 15.
fn major_of_tool_version(text: &str) -> Option<u32> {
    let after = text.split(')').nth(1)?.trim();
    let number = after.split_whitespace().next()?;
    number.split('.').next()?.parse().ok()
}

/// A libpq password file (0600, as libpq requires) matching any server: it exists
/// only for one tool run, which PGPASSFILE points at it.
fn password_file(password: &str) -> Result<tempfile::TempPath, SourceError> {
    use std::io::Write;
    let io_error = |source| SourceError::Io {
        action: "writing the temporary PostgreSQL password file in",
        path: std::env::temp_dir(),
        source,
    };
    // The file is read line by line: a line break cannot be in an entry.
    if password.contains(['\n', '\r']) {
        return Err(invalid(
            "password",
            "a PostgreSQL password cannot contain a line break; type it again without one",
        ));
    }
    // tempfile creates the file with mode 0600.
    let mut file = tempfile::Builder::new()
        .prefix("dbackup-pgpass-")
        .tempfile()
        .map_err(io_error)?;
    file.write_all(format!("*:*:*:*:{}\n", pgpass_escape(password)).as_bytes())
        .map_err(io_error)?;
    file.flush().map_err(io_error)?;
    Ok(file.into_temp_path())
}

/// In a password file, `:` and `\\` are escaped with a backslash.
fn pgpass_escape(password: &str) -> String {
    let mut out = String::with_capacity(password.len());
    for c in password.chars() {
        if matches!(c, ':' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The largest roles script restored: far above any server's roles.
const ROLES_SCRIPT_LIMIT: u64 = 64 * 1024 * 1024;

/// Whether this psql has `\restrict` (13.22, 14.19, 15.14, 16.10, 17.6 and later).
fn psql_restricts(psql: &Tool) -> bool {
    psql.version()
        .ok()
        .and_then(|v| restricts(&v))
        .unwrap_or(false)
}

fn restricts(version: &str) -> Option<bool> {
    // "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let number = version
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let digits = |part: &str| -> Option<u32> {
        part.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()
    };
    let mut parts = number.split('.');
    let major = digits(parts.next()?)?;
    let minor = parts.next().and_then(digits).unwrap_or(0);
    Some(match major {
        0..=12 => false,
        13 => minor >= 22,
        14 => minor >= 19,
        15 => minor >= 14,
        16 => minor >= 10,
        17 => minor >= 6,
        _ => true,
    })
}

/// A key for `\restrict`: psql only leaves restricted mode for `\unrestrict` with it,
/// which the checked script cannot contain.
fn restrict_key() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The key guards against the script's own `\unrestrict`, which the check above
        // already refuses for any key; a fixed fallback keeps the restore possible.
        return "dbackuprestrictkey".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn tool_versions_parse() {
        assert_eq!(
            major_of_tool_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(
            major_of_tool_version("pg_dump (PostgreSQL) 9.6.24"),
            Some(9)
        );
        assert_eq!(major_of_tool_version("garbage"), None);
    }

    #[test]
    fn names_are_quoted_so_they_cannot_escape() {
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(conninfo_dbname("a b='c"), "dbname='a b=\\'c'");
    }

    #[test]
    fn config_is_validated_before_any_connection() {
        let mut config = PostgresConfig {
            host: "db".into(),
            port: 5432,
            user: "u".into(),
            database: Some("app".into()),
            ssl_mode: SslMode::Prefer,
            tools_dir: None,
        };
        assert!(config.validate().is_ok());
        config.port = 0;
        assert!(matches!(
            config.validate(),
            Err(SourceError::Invalid { field: "port", .. })
        ));
        config.port = 5432;
        config.database = Some("x".repeat(64));
        assert!(matches!(
            config.validate(),
            Err(SourceError::Invalid {
                field: "database",
                ..
            })
        ));
    }

    #[test]
    fn ssl_modes_round_trip_their_names() {
        for mode in [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ] {
            assert_eq!(SslMode::parse(mode).map(SslMode::as_str), Some(mode));
        }
        assert_eq!(SslMode::parse("yes"), None);
    }

    #[test]
    fn restrict_is_used_where_psql_has_it() {
        assert_eq!(
            restricts("psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some(true)
        );
        assert_eq!(restricts("psql (PostgreSQL) 15.13"), Some(false));
        assert_eq!(restricts("psql (PostgreSQL) 17.6"), Some(true));
        assert_eq!(restricts("psql (PostgreSQL) 12.22"), Some(false));
        assert_eq!(restricts("psql (PostgreSQL) 18beta1"), Some(true));
        assert_eq!(restricts("psql"), None);
        assert_eq!(restrict_key().len(), 32);
    }

    #[test]
    fn the_password_file_escapes_what_libpq_reads_as_separators() {
        assert_eq!(pgpass_escape(r"a:b\c"), r"a\:b\\c");
        let file = password_file("p:w").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "*:*:*:*:p\\:w\n");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(password_file("two\nlines").is_err());
    }
}

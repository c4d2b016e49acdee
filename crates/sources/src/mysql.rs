//! MySQL and MariaDB through their own tools: `mariadb-dump` (or `mysqldump`) per
//! database, with one consistent snapshot (`--single-transaction`) and routines,
//! triggers and events; restore by piping into `mariadb` (or `mysql`). Connection
//! settings and the password go in a 0600 option file that is removed afterwards.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::process::{invalid, last_line, validate_server, DumpStream, Tool};
use crate::{RestoreOptions, ServerInfo, SourceError};

const INSTALL: &str = "on Debian/Ubuntu: apt-get install mariadb-client";
const CLIENTS: &[&str] = &["mariadb", "mysql"];
const DUMPERS: &[&str] = &["mariadb-dump", "mysqldump"];
/// Schemas every server has; "all databases" means the others.
const SYSTEM_SCHEMAS: &[&str] = &["information_schema", "performance_schema", "mysql", "sys"];
const COUNT_BATCH: usize = 200;
/// mariadb-dump 10.11.19+ starts every dump with this line; MySQL's client and older
/// MariaDB clients reject it ("Unknown command '\-'").
const SANDBOX_LINE: &[u8] = b"/*M!999999\\- enable the sandbox mode */";

/// What is saved about a MySQL/MariaDB source (the password lives in the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MysqlConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Empty: every database except the system schemas, one archive each.
    #[serde(default)]
    pub databases: Vec<String>,
    /// Where mariadb-dump/mysqldump and mariadb/mysql are; `None`: on PATH.
    #[serde(default)]
    pub tools_dir: Option<PathBuf>,
}

impl MysqlConfig {
    pub fn validate(&self) -> Result<(), SourceError> {
        validate_server(&self.host, self.port, &self.user, "3306")?;
        for db in &self.databases {
            check_name(db)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), SourceError> {
    // Backslashes are refused because their meaning in literals depends on the
    // server's sql_mode (NO_BACKSLASH_ESCAPES).
    if name.is_empty() || name.len() > 64 || name.contains(['\0', '\\', '/']) {
        return Err(invalid(
            "database",
            "a MySQL database name has 1 to 64 characters and no NUL, '\\' or '/'",
        ));
    }
    Ok(())
}

pub struct Mysql {
    config: MysqlConfig,
    password: Option<String>,
}

impl std::fmt::Debug for Mysql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mysql")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Mysql {
    pub fn new(config: MysqlConfig, password: Option<String>) -> Result<Self, SourceError> {
        config.validate()?;
        Ok(Mysql { config, password })
    }

    pub fn config(&self) -> &MysqlConfig {
        &self.config
    }

    fn server(&self) -> String {
        format!("{}:{}", self.config.host, self.config.port)
    }

    fn client(&self) -> Result<Tool, SourceError> {
        Tool::find(self.config.tools_dir.as_deref(), CLIENTS, INSTALL)
    }

    fn dumper(&self) -> Result<Tool, SourceError> {
        Tool::find(self.config.tools_dir.as_deref(), DUMPERS, INSTALL)
    }

    /// The option file every tool reads first (`--defaults-file` must be the first
    /// argument). It replaces the user's ~/.my.cnf, so only these settings apply.
    fn option_file(&self) -> Result<tempfile::TempPath, SourceError> {
        let io_error = |source| SourceError::Io {
            action: "writing the temporary MySQL option file in",
            path: std::env::temp_dir(),
            source,
        };
        // tempfile creates the file with mode 0600.
        let mut file = tempfile::Builder::new()
            .prefix("dbackup-my-")
            .suffix(".cnf")
            .tempfile()
            .map_err(io_error)?;
        let mut text = format!(
            "[client]\nhost={}\nport={}\nuser={}\ndefault-character-set=utf8mb4\n",
            option_value(&self.config.host),
            self.config.port,
            option_value(&self.config.user),
        );
        if let Some(password) = &self.password {
            text.push_str(&format!("password={}\n", option_value(password)));
        }
        // Only under [mysql]: mariadb-dump refuses connect-timeout as unknown.
        text.push_str("[mysql]\nconnect-timeout=10\n");
        file.write_all(text.as_bytes()).map_err(io_error)?;
        file.flush().map_err(io_error)?;
        Ok(file.into_temp_path())
    }

    fn command(&self, tool: &Tool, options: &tempfile::TempPath) -> Command {
        let mut command = tool.command();
        command.arg(format!("--defaults-file={}", options.display()));
        command
    }

    fn explain(&self, error: SourceError, database: Option<&str>) -> SourceError {
        explain(&self.server(), &self.config.user, database, error)
    }

    /// Runs SQL with the client and returns its rows (tab-separated columns).
    pub fn query(
        &self,
        database: Option<&str>,
        sql: &str,
    ) -> Result<Vec<Vec<String>>, SourceError> {
        let client = self.client()?;
        let options = self.option_file()?;
        let mut command = self.command(&client, &options);
        command.args(["--batch", "--skip-column-names", "--raw", "-e", sql]);
        if let Some(db) = database {
            command.arg("--").arg(db);
        }
        let out = client
            .run(&mut command)
            .map_err(|e| self.explain(e, database))?;
        Ok(out
            .lines()
            .map(|line| line.split('\t').map(str::to_owned).collect())
            .collect())
    }

    /// Server version text (e.g. "10.11.19-MariaDB-0+deb12u1") and engine name.
    pub fn server_version(&self) -> Result<(String, String), SourceError> {
        let rows = self.query(None, "SELECT VERSION()")?;
        let version = rows
            .first()
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_default();
        let engine = if version.to_lowercase().contains("mariadb") {
            "MariaDB"
        } else {
            "MySQL"
        };
        Ok((version, engine.to_owned()))
    }

    /// The databases a backup of this source covers.
    pub fn databases(&self) -> Result<Vec<String>, SourceError> {
        if !self.config.databases.is_empty() {
            return Ok(self.config.databases.clone());
        }
        let rows = self.query(None, "SHOW DATABASES")?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .filter(|db| !SYSTEM_SCHEMAS.contains(&db.as_str()))
            .collect())
    }

    /// "Test connection": tools present, server reachable, password accepted, each
    /// database present and open to this user.
    pub fn check(&self) -> Result<ServerInfo, SourceError> {
        let dumper = self.dumper()?;
        self.client()?;
        let dump_tool = dumper.version()?;
        let (version, engine) = self.server_version()?;
        let databases = self.databases()?;
        for db in &databases {
            check_name(db)?;
            self.query(Some(db), "SELECT 1")?;
        }
        let mut warnings = Vec::new();
        let tool_is_mariadb = dump_tool.contains("MariaDB");
        if engine == "MySQL" && tool_is_mariadb {
            warnings.push(format!(
                "{} is MariaDB's dump tool; for a MySQL {version} server MySQL's own mysqldump \
                 keeps every MySQL-only feature (install mysql-client)",
                dumper.name
            ));
        }
        if databases.is_empty() {
            warnings.push("there is no database to back up besides the system schemas".into());
        }
        Ok(ServerInfo {
            engine,
            version,
            databases,
            dump_tool,
            warnings,
        })
    }

    /// Streams a dump of one database: one consistent snapshot for InnoDB tables,
    /// with routines, triggers and events, binary columns as hex so no byte is lost
    /// to character-set conversion. No CREATE DATABASE, so it restores under any name.
    pub fn dump(&self, database: &str) -> Result<DumpStream, SourceError> {
        check_name(database)?;
        let dumper = self.dumper()?;
        let options = self.option_file()?;
        let mut command = self.command(&dumper, &options);
        command
            .args([
                "--single-transaction",
                "--routines",
                "--triggers",
                "--events",
                "--hex-blob",
                "--",
            ])
            .arg(database);
        let (server, user, db) = (self.server(), self.config.user.clone(), database.to_owned());
        let explainer: crate::process::Explain =
            Box::new(move |e| explain(&server, &user, Some(&db), e));
        dumper.spawn_dump(&mut command, Some(options), explainer)
    }

    /// Restores a `dump` into `database`, creating it when missing. A database that
    /// already holds tables is refused unless `options.overwrite`; the dump then
    /// replaces the tables it contains (`DROP TABLE IF EXISTS` precedes each).
    pub fn restore(
        &self,
        database: &str,
        input: &mut dyn Read,
        options: RestoreOptions,
    ) -> Result<(), SourceError> {
        check_name(database)?;
        let client = self.client()?;
        let exists = !self
            .query(
                None,
                &format!(
                    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                    quote_literal(database)
                ),
            )?
            .is_empty();
        if exists {
            let tables = self.query(
                None,
                &format!(
                    "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {}",
                    quote_literal(database)
                ),
            )?;
            let count = tables.first().and_then(|r| r.first()).map(String::as_str);
            if !options.overwrite && count != Some("0") {
                return Err(SourceError::TargetNotEmpty {
                    target: format!("database {database} on {}", self.server()),
                });
            }
        } else {
            self.query(None, &format!("CREATE DATABASE {}", quote_ident(database)))?;
        }
        let file = self.option_file()?;
        let mut command = self.command(&client, &file);
        // A dump from the bucket is not trusted: it may not read local files
        // (LOAD DATA LOCAL) nor, where the client can refuse them, run shell or file
        // commands (MariaDB's sandbox, MySQL's --system-command=OFF).
        command.arg("--local-infile=0");
        for (option, argument) in [
            ("--sandbox", "--sandbox"),
            ("--system-command", "--system-command=OFF"),
        ] {
            if client.help_mentions(option) {
                command.arg(argument);
            }
        }
        command.args(["--binary-mode", "--", database]);
        let client_is_mariadb = client.version().is_ok_and(|v| v.contains("MariaDB"));
        let result = if client_is_mariadb {
            client.feed(&mut command, input)
        } else {
            let mut stripped = without_sandbox_line(input);
            client.feed(&mut command, &mut stripped)
        };
        result
            .map(|_| ())
            .map_err(|e| self.explain(e, Some(database)))
    }

    /// Rows per table, to compare a restore with its source.
    pub fn row_counts(&self, database: &str) -> Result<BTreeMap<String, u64>, SourceError> {
        let tables = self.query(
            None,
            &format!(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} \
                 AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                quote_literal(database)
            ),
        )?;
        let names: Vec<String> = tables
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect();
        let mut counts = BTreeMap::new();
        for batch in names.chunks(COUNT_BATCH) {
            let selects: Vec<String> = batch
                .iter()
                .map(|t| {
                    format!(
                        "SELECT {}, COUNT(*) FROM {}.{}",
                        quote_literal(t),
                        quote_ident(database),
                        quote_ident(t)
                    )
                })
                .collect();
            for row in self.query(None, &selects.join(" UNION ALL "))? {
                if let [name, count] = row.as_slice() {
                    counts.insert(name.clone(), count.parse().unwrap_or(0));
                }
            }
        }
        Ok(counts)
    }
}

/// Turns a tool failure into what the user needs to hear, by MySQL error number.
fn explain(server: &str, user: &str, database: Option<&str>, error: SourceError) -> SourceError {
    let SourceError::ToolFailed { stderr, .. } = &error else {
        return error;
    };
    let detail = last_line(stderr);
    let has = |code: &str| {
        stderr.contains(&format!("ERROR {code} "))
            || stderr.contains(&format!("Got error: {code}:"))
            || stderr.contains(&format!("error: {code}:"))
    };
    if has("1045") {
        SourceError::AuthFailed {
            server: server.to_owned(),
            user: user.to_owned(),
            detail,
        }
    } else if has("1049") {
        SourceError::MissingDatabase {
            server: server.to_owned(),
            database: database.unwrap_or_default().to_owned(),
        }
    } else if has("1044") || has("1142") || has("1227") || has("1370") {
        SourceError::PermissionDenied {
            user: user.to_owned(),
            detail,
        }
    } else if has("2002") || has("2003") || has("2005") || has("2013") {
        SourceError::Unreachable {
            server: server.to_owned(),
            detail,
        }
    } else {
        error
    }
}

/// A value in a MySQL option file: quoted, with backslash escapes.
fn option_value(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t");
    format!("\"{escaped}\"")
}

/// A literal that means the same whatever the sql_mode (names never hold '\').
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The input without a leading MariaDB sandbox line.
fn without_sandbox_line(input: &mut dyn Read) -> impl Read + '_ {
    let mut reader = BufReader::new(input);
    let mut first = Vec::new();
    // A read error here surfaces again on the next read of the same reader.
    let _ = reader.read_until(b'\n', &mut first);
    if first.starts_with(SANDBOX_LINE) {
        first.clear();
    }
    std::io::Cursor::new(first).chain(reader)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn option_values_cannot_break_out_of_their_line() {
        assert_eq!(option_value("p\"w\\d\nx"), "\"p\\\"w\\\\d\\nx\"");
    }

    #[test]
    fn names_are_quoted() {
        assert_eq!(quote_ident("we`ird"), "`we``ird`");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert!(check_name("a\\b").is_err());
        assert!(check_name("").is_err());
        assert!(check_name("shop_2024").is_ok());
    }

    #[test]
    fn the_sandbox_line_is_stripped_only_when_it_leads() {
        let dump = b"/*M!999999\\- enable the sandbox mode */ \nCREATE TABLE t (a int);\n";
        let mut input: &[u8] = dump;
        let mut out = String::new();
        without_sandbox_line(&mut input)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "CREATE TABLE t (a int);\n");

        let plain = b"-- MySQL dump\nCREATE TABLE t (a int);\n";
        let mut input: &[u8] = plain;
        let mut out = Vec::new();
        without_sandbox_line(&mut input)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, plain);
    }
}

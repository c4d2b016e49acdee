//! `dbackup source ...`: saved databases and folders.

use dbackup_engine::sources::{FolderSettings, SqliteSettings};
use dbackup_engine::{EngineError, NewSource, Secret, SourceSettings};
use dbackup_sources::mysql::MysqlConfig;
use dbackup_sources::postgres::{PostgresConfig, SslMode};

use crate::args::{PasswordArgs, SourceCommand};
use crate::output::{sources_table, Output};

fn password(args: &PasswordArgs) -> Result<Option<Secret>, EngineError> {
    let Some(var) = &args.password_env else {
        return Ok(None);
    };
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Some(Secret::from(value))),
        _ => Err(EngineError::invalid(
            "password-env",
            format!(
                "the environment variable {var} is not set or empty; export the password in it"
            ),
        )),
    }
}

pub fn run(command: SourceCommand, out: &Output) -> Result<(), EngineError> {
    let engine = crate::open_engine()?;
    let now = jiff::Timestamp::now();
    let (name, settings, password) = match command {
        SourceCommand::List => {
            let list = engine.list_sources()?;
            out.value(&list, || sources_table(&list));
            return Ok(());
        }
        SourceCommand::Test { source } => {
            let found = engine.find_source(&source)?;
            let info = engine.test_source(&found.id)?;
            out.value(&info, || {
                let mut text = format!(
                    "{}: ok\n  server:     {} {}\n  dump tool:  {}\n  backs up:   {}\n",
                    found.name,
                    info.engine,
                    info.version,
                    info.dump_tool,
                    info.databases.join(", ")
                );
                for warning in &info.warnings {
                    text.push_str(&format!("  warning:    {warning}\n"));
                }
                text
            });
            return Ok(());
        }
        SourceCommand::SetPassword {
            source,
            password: pw,
        } => {
            let found = engine.find_source(&source)?;
            let password = password(&pw)?.ok_or_else(|| {
                EngineError::invalid(
                    "password-env",
                    "give --password-env with the name of the variable that holds the password",
                )
            })?;
            engine.set_source_password(&found.id, &password)?;
            out.value(&serde_json::json!({ "source": found.id }), || {
                format!(
                    "stored the password of {} in the OS keyring\n  test it with: dbackup source test '{}'\n",
                    found.name, found.name
                )
            });
            return Ok(());
        }
        SourceCommand::Remove { source } => {
            let found = engine.find_source(&source)?;
            engine.remove_source(&found.id)?;
            out.value(&serde_json::json!({ "removed": found.id }), || {
                format!(
                    "removed the source {}; its backups are left in place\n",
                    found.name
                )
            });
            return Ok(());
        }
        SourceCommand::AddPostgres {
            name,
            host,
            port,
            user,
            database,
            ssl_mode,
            tools_dir,
            password: pw,
        } => {
            let ssl_mode = SslMode::parse(&ssl_mode).ok_or_else(|| {
                EngineError::invalid(
                    "ssl-mode",
                    "use disable, allow, prefer, require, verify-ca or verify-full",
                )
            })?;
            let settings = SourceSettings::Postgres(PostgresConfig {
                host,
                port,
                user,
                database,
                ssl_mode,
                tools_dir,
            });
            (name, settings, password(&pw)?)
        }
        SourceCommand::AddMysql {
            name,
            host,
            port,
            user,
            database,
            tools_dir,
            password: pw,
        } => {
            let settings = SourceSettings::Mysql(MysqlConfig {
                host,
                port,
                user,
                databases: database,
                tools_dir,
            });
            (name, settings, password(&pw)?)
        }
        SourceCommand::AddSqlite { name, path } => (
            name,
            SourceSettings::Sqlite(SqliteSettings {
                path: std::path::absolute(&path).unwrap_or(path),
            }),
            None,
        ),
        SourceCommand::AddFolder {
            name,
            path,
            include,
            exclude,
        } => (
            name,
            SourceSettings::Folder(FolderSettings {
                root: std::path::absolute(&path).unwrap_or(path),
                include,
                exclude,
            }),
            None,
        ),
    };
    let added = engine.add_source(
        NewSource {
            name,
            settings,
            password,
        },
        now,
    )?;
    out.value(&added, || {
        format!(
            "added the source {} ({})\n  test it with: dbackup source test '{}'\n",
            added.name, added.location, added.name
        )
    });
    Ok(())
}

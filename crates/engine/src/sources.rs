//! What DBackup backs up: saved sources (a PostgreSQL or MySQL/MariaDB server, an
//! SQLite file, a folder). Settings go to the state database; a database password
//! goes to the OS keyring only.

use std::path::{Component, Path, PathBuf};

use dbackup_sources::mysql::{Mysql, MysqlConfig};
use dbackup_sources::postgres::{Postgres, PostgresConfig};
use dbackup_sources::SourceError;
use dbackup_store::{NewSource as NewSourceRecord, SourceRecord};
use jiff::Timestamp;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::destinations::validate_name;
use crate::{Engine, EngineError, Secret};

mod input;
pub use dbackup_sources::ServerInfo;
pub use input::{PgSslMode, SourceForm, SourceInput, SourceSettingsInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Postgres,
    Mysql,
    Sqlite,
    Folder,
}

impl SourceKind {
    /// As recorded in archive metadata and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Postgres => "postgres",
            SourceKind::Mysql => "mysql",
            SourceKind::Sqlite => "sqlite",
            SourceKind::Folder => "folder",
        }
    }
}

/// A folder and which of its files to take (globs relative to it).
pub use dbackup_sources::folder::FolderSpec as FolderSettings;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqliteSettings {
    pub path: PathBuf,
}

/// A source's settings, by kind. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSettings {
    Postgres(PostgresConfig),
    Mysql(MysqlConfig),
    Sqlite(SqliteSettings),
    Folder(FolderSettings),
}

/// Where a stored password goes: the server, the user, how it travels and the tools
/// it is handed to. When any of these changes, the password must be typed again.
#[derive(Debug, PartialEq)]
enum PasswordRoute<'a> {
    Postgres {
        host: String,
        port: u16,
        user: &'a str,
        ssl_mode: dbackup_sources::postgres::SslMode,
        tools: Option<&'a std::path::Path>,
    },
    Mysql {
        host: String,
        port: u16,
        user: &'a str,
        tools: Option<&'a std::path::Path>,
    },
}

impl SourceSettings {
    fn password_route(&self) -> Option<PasswordRoute<'_>> {
        match self {
            SourceSettings::Postgres(c) => Some(PasswordRoute::Postgres {
                host: c.host.trim().to_ascii_lowercase(),
                port: c.port,
                user: &c.user,
                ssl_mode: c.ssl_mode,
                tools: c.tools_dir.as_deref(),
            }),
            SourceSettings::Mysql(c) => Some(PasswordRoute::Mysql {
                host: c.host.trim().to_ascii_lowercase(),
                port: c.port,
                user: &c.user,
                tools: c.tools_dir.as_deref(),
            }),
            SourceSettings::Sqlite(_) | SourceSettings::Folder(_) => None,
        }
    }

    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSettings::Postgres(_) => SourceKind::Postgres,
            SourceSettings::Mysql(_) => SourceKind::Mysql,
            SourceSettings::Sqlite(_) => SourceKind::Sqlite,
            SourceSettings::Folder(_) => SourceKind::Folder,
        }
    }

    fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            SourceSettings::Postgres(c) => serde_json::to_value(c),
            SourceSettings::Mysql(c) => serde_json::to_value(c),
            SourceSettings::Sqlite(c) => serde_json::to_value(c),
            SourceSettings::Folder(c) => serde_json::to_value(c),
        }
    }

    fn from_record(record: &SourceRecord) -> Result<Self, EngineError> {
        Self::from_config(record.kind, &record.config).map_err(|e| {
            EngineError::Store(dbackup_store::StoreError::Corrupt {
                what: "source",
                id: record.id.clone(),
                reason: e.to_string(),
            })
        })
    }

    /// A source's settings from their stored form.
    pub(crate) fn from_config(
        kind: dbackup_store::SourceKind,
        config: &serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        use dbackup_store::SourceKind as K;
        let config = config.clone();
        match kind {
            K::Postgres => serde_json::from_value(config).map(SourceSettings::Postgres),
            K::Mysql => serde_json::from_value(config).map(SourceSettings::Mysql),
            K::Sqlite => serde_json::from_value(config).map(SourceSettings::Sqlite),
            K::Folder => serde_json::from_value(config).map(SourceSettings::Folder),
        }
    }

    fn store_kind(&self) -> dbackup_store::SourceKind {
        use dbackup_store::SourceKind as K;
        match self.kind() {
            SourceKind::Postgres => K::Postgres,
            SourceKind::Mysql => K::Mysql,
            SourceKind::Sqlite => K::Sqlite,
            SourceKind::Folder => K::Folder,
        }
    }

    /// One line for lists: where the data comes from. Never a password.
    pub fn summary(&self) -> String {
        match self {
            SourceSettings::Postgres(c) => format!(
                "postgresql://{}@{}:{}/{}",
                c.user,
                c.host,
                c.port,
                c.database.as_deref().unwrap_or("(all databases)")
            ),
            SourceSettings::Mysql(c) => format!(
                "mysql://{}@{}:{}/{}",
                c.user,
                c.host,
                c.port,
                if c.databases.is_empty() {
                    "(all databases)".to_owned()
                } else {
                    c.databases.join(",")
                }
            ),
            SourceSettings::Sqlite(c) => c.path.display().to_string(),
            SourceSettings::Folder(c) => c.root.display().to_string(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        match self {
            SourceSettings::Postgres(c) => c.validate().map_err(from_source_invalid),
            SourceSettings::Mysql(c) => c.validate().map_err(from_source_invalid),
            SourceSettings::Sqlite(c) => {
                let path = absolute_path("path", &c.path)?;
                if !path.is_file() {
                    return Err(EngineError::invalid(
                        "path",
                        format!(
                            "{} is not a file; give the path of the SQLite database",
                            path.display()
                        ),
                    ));
                }
                Ok(())
            }
            SourceSettings::Folder(c) => {
                absolute_path("path", &c.root)?;
                dbackup_sources::folder::check(c)?;
                Ok(())
            }
        }
    }

    pub(crate) fn takes_password(&self) -> bool {
        matches!(self, SourceSettings::Postgres(_) | SourceSettings::Mysql(_))
    }
}

fn absolute_path(field: &'static str, path: &Path) -> Result<PathBuf, EngineError> {
    if !path.is_absolute() {
        return Err(EngineError::invalid(
            field,
            format!("{} is relative; give the full path", path.display()),
        ));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(EngineError::invalid(
            field,
            "remove the `..` parts from the path",
        ));
    }
    Ok(path.to_path_buf())
}

fn from_source_invalid(e: SourceError) -> EngineError {
    match e {
        SourceError::Invalid { field, problem } => EngineError::invalid(field, problem),
        other => other.into(),
    }
}

/// A source as the UI and CLI show it. Never carries a password.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    /// Where the data comes from, e.g. postgresql://user@host:5432/db.
    pub location: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

#[derive(Debug)]
pub struct NewSource {
    pub name: String,
    pub settings: SourceSettings,
    /// For database servers; kept in the OS keyring only.
    pub password: Option<Secret>,
}

impl NewSource {
    /// The password typed for a database server; `None` when none was, or for a kind
    /// that takes none.
    fn typed_password(&mut self) -> Option<Secret> {
        let takes = self.settings.takes_password();
        self.password
            .take()
            .filter(|p| takes && !p.expose_secret().is_empty())
    }
}

/// A saved source, ready to use (its password read from the keyring).
pub struct OpenSource {
    pub id: String,
    pub name: String,
    pub settings: SourceSettings,
    password: Option<Secret>,
}

impl std::fmt::Debug for OpenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenSource")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OpenSource {
    fn password(&self) -> Option<String> {
        self.password.as_ref().map(|p| p.expose_secret().to_owned())
    }

    pub fn postgres(&self, config: &PostgresConfig) -> Result<Postgres, EngineError> {
        Ok(Postgres::new(config.clone(), self.password())?)
    }

    pub fn mysql(&self, config: &MysqlConfig) -> Result<Mysql, EngineError> {
        Ok(Mysql::new(config.clone(), self.password())?)
    }

    /// "Test connection": what a backup would find, or why it would fail.
    pub fn check(&self) -> Result<ServerInfo, EngineError> {
        match &self.settings {
            SourceSettings::Postgres(c) => Ok(self.postgres(c)?.check()?),
            SourceSettings::Mysql(c) => Ok(self.mysql(c)?.check()?),
            SourceSettings::Sqlite(c) => {
                let version = dbackup_sources::sqlite::check(&c.path)?;
                Ok(ServerInfo {
                    engine: "SQLite".into(),
                    version,
                    databases: vec![c.path.display().to_string()],
                    dump_tool: "SQLite online backup API".into(),
                    warnings: Vec::new(),
                })
            }
            SourceSettings::Folder(c) => {
                dbackup_sources::folder::check(c)?;
                std::fs::read_dir(&c.root).map_err(|e| EngineError::SourceFailed {
                    detail: format!("cannot read the folder {}: {e}", c.root.display()),
                })?;
                Ok(ServerInfo {
                    engine: "Folder".into(),
                    version: String::new(),
                    databases: vec![c.root.display().to_string()],
                    dump_tool: "tar".into(),
                    warnings: Vec::new(),
                })
            }
        }
    }
}

/// The keyring account holding a source's database password.
fn password_account(source_id: &str) -> String {
    format!("source/{source_id}/password")
}

fn view(record: SourceRecord) -> Result<SourceView, EngineError> {
    let settings = SourceSettings::from_record(&record)?;
    Ok(SourceView {
        id: record.id,
        name: record.name,
        kind: settings.kind(),
        location: settings.summary(),
        created_at: record.created_at.to_string(),
    })
}

impl Engine {
    pub fn list_sources(&self) -> Result<Vec<SourceView>, EngineError> {
        self.store().list_sources()?.into_iter().map(view).collect()
    }

    /// Accepts an id or a (case-insensitive) name.
    pub fn find_source(&self, wanted: &str) -> Result<SourceView, EngineError> {
        let all = self.list_sources()?;
        let found = all
            .iter()
            .position(|s| s.id == wanted)
            .or_else(|| all.iter().position(|s| s.name.eq_ignore_ascii_case(wanted)));
        match found {
            Some(i) => Ok(all
                .into_iter()
                .nth(i)
                .ok_or_else(|| EngineError::Internal {
                    detail: "a listed source vanished".into(),
                })?),
            None => Err(EngineError::invalid(
                "source",
                format!(
                    "no source with the id or name {wanted:?}; `dbackup source list` shows them"
                ),
            )),
        }
    }

    pub fn add_source(
        &self,
        mut input: NewSource,
        now: Timestamp,
    ) -> Result<SourceView, EngineError> {
        let name = validate_name(&input.name)?;
        input.settings.validate()?;
        let id = uuid::Uuid::new_v4().to_string();
        let config = input
            .settings
            .to_json()
            .map_err(|e| EngineError::Internal {
                detail: format!("cannot encode the source: {e}"),
            })?;
        let password = input.typed_password();
        // Keyring first, so a stored source always has its password.
        if let Some(password) = &password {
            self.keyring.set(&password_account(&id), password)?;
        }
        let record = self.store().insert_source(
            &NewSourceRecord {
                id: id.clone(),
                name,
                kind: input.settings.store_kind(),
                config,
            },
            now,
        );
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                if password.is_some() {
                    let _ = self.keyring.delete(&password_account(&id));
                }
                return Err(e.into());
            }
        };
        tracing::info!(id = %record.id, name = %record.name, kind = ?input.settings.kind(), "added a source");
        view(record)
    }

    /// What the edit form starts from: the settings, never the password.
    pub fn source_form(&self, id: &str) -> Result<SourceForm, EngineError> {
        let record = self.store().source(id)?;
        let settings = SourceSettings::from_record(&record)?;
        Ok(SourceForm {
            has_password: settings.takes_password() && self.stored_password(id)?.is_some(),
            settings: SourceSettingsInput::from(&settings),
            name: record.name,
        })
    }

    /// Changes a saved source. An empty password keeps the stored one (the form never
    /// shows it); `clear_password` removes it (trust or peer authentication). The
    /// kind cannot change.
    pub fn update_source(
        &self,
        id: &str,
        mut input: NewSource,
        clear_password: bool,
        now: Timestamp,
    ) -> Result<SourceView, EngineError> {
        let record = self.store().source(id)?;
        if input.settings.store_kind() != record.kind {
            return Err(EngineError::invalid(
                "kind",
                "the kind of a source cannot change; add a new source instead",
            ));
        }
        let name = validate_name(&input.name)?;
        input.settings.validate()?;
        let config = input
            .settings
            .to_json()
            .map_err(|e| EngineError::Internal {
                detail: format!("cannot encode the source: {e}"),
            })?;
        let account = password_account(id);
        let typed = input.typed_password();
        // Folders and SQLite files never have one (and the kind cannot change).
        let previous = if input.settings.takes_password() {
            self.stored_password(id)?
        } else {
            None
        };
        if previous.is_some() && typed.is_none() && !clear_password {
            let before = SourceSettings::from_record(&record)?;
            refuse_moved_password(&before, &input.settings)?;
        }
        // The keyring first, as when adding; put back if the row cannot change.
        match (&typed, clear_password && previous.is_some()) {
            (Some(password), _) => self.keyring.set(&account, password)?,
            (None, true) => {
                self.keyring.delete(&account)?;
            }
            (None, false) => {}
        }
        let record = match self.store().update_source(id, &name, &config, now) {
            Ok(r) => r,
            Err(e) => {
                self.keyring.restore(&account, previous.as_ref());
                return Err(e.into());
            }
        };
        tracing::info!(id, name = %record.name, "edited a source");
        view(record)
    }

    /// Stores the database password of a saved source (after an import, or when the
    /// password changed), keeping every other setting.
    pub fn set_source_password(&self, id: &str, password: &Secret) -> Result<(), EngineError> {
        let record = self.store().source(id)?;
        let settings = SourceSettings::from_record(&record)?;
        if !settings.takes_password() {
            return Err(EngineError::invalid(
                "source",
                format!("{} is a file or folder: it has no password", record.name),
            ));
        }
        if password.expose_secret().is_empty() {
            return Err(EngineError::invalid("password", "the password is empty"));
        }
        self.keyring.set(&password_account(id), password)?;
        tracing::info!(id, name = %record.name, "stored a source's password");
        Ok(())
    }

    /// "Test connection" on the edit form: the form's settings, with the stored
    /// password unless another was typed.
    pub fn check_source_change(
        &self,
        id: &str,
        mut input: NewSource,
    ) -> Result<ServerInfo, EngineError> {
        let typed = input.typed_password();
        input.settings.validate()?;
        let password = match typed {
            Some(p) => Some(p),
            None if input.settings.takes_password() => {
                let stored = self.stored_password(id)?;
                if stored.is_some() {
                    let before = SourceSettings::from_record(&self.store().source(id)?)?;
                    refuse_moved_password(&before, &input.settings)?;
                }
                stored
            }
            None => None,
        };
        OpenSource {
            id: id.to_owned(),
            name: input.name,
            settings: input.settings,
            password,
        }
        .check()
    }

    /// The source's stored password; `None` when it was saved without one.
    pub(crate) fn stored_password(&self, id: &str) -> Result<Option<Secret>, EngineError> {
        match self.keyring.get(&password_account(id)) {
            Ok(p) => Ok(Some(p)),
            Err(crate::secrets::KeyringError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the source and its password. Its backups stay where they are.
    pub fn remove_source(&self, id: &str) -> Result<(), EngineError> {
        let record = self.store().source(id)?;
        self.store().delete_source(id)?;
        if let Err(e) = self.keyring.delete(&password_account(id)) {
            tracing::warn!(id, "removed the source but not its keyring password: {e}");
        }
        tracing::info!(id, name = %record.name, "removed a source");
        Ok(())
    }

    /// The source with its password, ready to back up or restore into.
    pub fn open_source(&self, id: &str) -> Result<OpenSource, EngineError> {
        let record = self.store().source(id)?;
        let settings = SourceSettings::from_record(&record)?;
        let password = if settings.takes_password() {
            // None: saved without a password (trust or peer authentication).
            self.stored_password(id)?
        } else {
            None
        };
        Ok(OpenSource {
            id: record.id,
            name: record.name,
            settings,
            password,
        })
    }

    /// "Test connection" for a source that is not saved yet.
    pub fn check_new_source(&self, mut input: NewSource) -> Result<ServerInfo, EngineError> {
        input.settings.validate()?;
        let password = input.typed_password();
        OpenSource {
            id: String::new(),
            name: input.name,
            settings: input.settings,
            password,
        }
        .check()
    }

    pub fn test_source(&self, id: &str) -> Result<ServerInfo, EngineError> {
        self.open_source(id)?.check()
    }
}

/// A stored password is only ever sent where it was typed for: a changed server, user,
/// connection security or tools folder needs it typed again (a mistyped or hostile
/// host would otherwise receive it, in clear where the connection allows).
fn refuse_moved_password(
    before: &SourceSettings,
    after: &SourceSettings,
) -> Result<(), EngineError> {
    if before.password_route() == after.password_route() {
        return Ok(());
    }
    Err(EngineError::invalid(
        "password",
        "the server, port, user, connection security or tools folder changed, so the stored password is not sent there: type the password again (or choose to forget it)",
    ))
}

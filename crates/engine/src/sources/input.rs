//! A source as the window's form sends it: one tagged shape per kind, turned into the
//! engine's settings. The CLI builds [`NewSource`] from its flags instead.

use std::path::PathBuf;

use dbackup_sources::mysql::MysqlConfig;
use dbackup_sources::postgres::{PostgresConfig, SslMode};
use serde::{Deserialize, Serialize};

use super::{FolderSettings, NewSource, SourceSettings, SqliteSettings};
use crate::Secret;

/// libpq's sslmode values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum PgSslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl From<PgSslMode> for SslMode {
    fn from(mode: PgSslMode) -> Self {
        match mode {
            PgSslMode::Disable => SslMode::Disable,
            PgSslMode::Allow => SslMode::Allow,
            PgSslMode::Prefer => SslMode::Prefer,
            PgSslMode::Require => SslMode::Require,
            PgSslMode::VerifyCa => SslMode::VerifyCa,
            PgSslMode::VerifyFull => SslMode::VerifyFull,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceSettingsInput {
    Postgres {
        host: String,
        port: u16,
        user: String,
        /// Empty or absent: every database on the server.
        database: Option<String>,
        #[serde(default, rename = "sslMode")]
        ssl_mode: PgSslMode,
    },
    Mysql {
        host: String,
        port: u16,
        user: String,
        /// Empty: every database except the system schemas.
        #[serde(default)]
        databases: Vec<String>,
    },
    Sqlite {
        path: PathBuf,
    },
    Folder {
        path: PathBuf,
        #[serde(default)]
        include: Vec<String>,
        #[serde(default)]
        exclude: Vec<String>,
    },
}

impl From<SslMode> for PgSslMode {
    fn from(mode: SslMode) -> Self {
        match mode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Allow => PgSslMode::Allow,
            SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require => PgSslMode::Require,
            SslMode::VerifyCa => PgSslMode::VerifyCa,
            SslMode::VerifyFull => PgSslMode::VerifyFull,
        }
    }
}

/// A saved source as its edit form starts: the settings, and whether a password is
/// stored (never the password).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceForm {
    pub name: String,
    pub settings: SourceSettingsInput,
    pub has_password: bool,
}

impl From<&SourceSettings> for SourceSettingsInput {
    fn from(settings: &SourceSettings) -> Self {
        match settings {
            SourceSettings::Postgres(c) => SourceSettingsInput::Postgres {
                host: c.host.clone(),
                port: c.port,
                user: c.user.clone(),
                database: c.database.clone(),
                ssl_mode: c.ssl_mode.into(),
            },
            SourceSettings::Mysql(c) => SourceSettingsInput::Mysql {
                host: c.host.clone(),
                port: c.port,
                user: c.user.clone(),
                databases: c.databases.clone(),
            },
            SourceSettings::Sqlite(c) => SourceSettingsInput::Sqlite {
                path: c.path.clone(),
            },
            SourceSettings::Folder(c) => SourceSettingsInput::Folder {
                path: c.root.clone(),
                include: c.include.clone(),
                exclude: c.exclude.clone(),
            },
        }
    }
}

/// A new source from the window. The password goes to the OS keyring only.
#[derive(Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceInput {
    pub name: String,
    pub settings: SourceSettingsInput,
    /// For database servers; empty or absent for trust/peer authentication.
    pub password: Option<String>,
}

impl std::fmt::Debug for SourceInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceInput")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn trimmed(text: String) -> String {
    text.trim().to_owned()
}

/// Blank entries (a trailing comma, an empty line) mean nothing.
fn entries(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(trimmed)
        .filter(|s| !s.is_empty())
        .collect()
}

impl From<SourceSettingsInput> for SourceSettings {
    fn from(input: SourceSettingsInput) -> Self {
        match input {
            SourceSettingsInput::Postgres {
                host,
                port,
                user,
                database,
                ssl_mode,
            } => SourceSettings::Postgres(PostgresConfig {
                host: trimmed(host),
                port,
                user: trimmed(user),
                database: database.map(trimmed).filter(|d| !d.is_empty()),
                ssl_mode: ssl_mode.into(),
                tools_dir: None,
            }),
            SourceSettingsInput::Mysql {
                host,
                port,
                user,
                databases,
            } => SourceSettings::Mysql(MysqlConfig {
                host: trimmed(host),
                port,
                user: trimmed(user),
                databases: entries(databases),
                tools_dir: None,
            }),
            SourceSettingsInput::Sqlite { path } => SourceSettings::Sqlite(SqliteSettings { path }),
            SourceSettingsInput::Folder {
                path,
                include,
                exclude,
            } => SourceSettings::Folder(FolderSettings {
                root: path,
                include: entries(include),
                exclude: entries(exclude),
            }),
        }
    }
}

impl From<SourceInput> for NewSource {
    fn from(input: SourceInput) -> Self {
        NewSource {
            name: input.name,
            settings: input.settings.into(),
            password: input.password.map(Secret::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_shape_becomes_settings_with_blank_parts_dropped() {
        let input: SourceInput = serde_json::from_value(serde_json::json!({
            "name": "Shop",
            "password": "pw",
            "settings": {"kind": "postgres", "host": " db.local ", "port": 5432, "user": "app",
                         "database": " ", "sslMode": "verify-full"}
        }))
        .unwrap();
        let source = NewSource::from(input);
        let SourceSettings::Postgres(c) = &source.settings else {
            panic!("not postgres: {:?}", source.settings)
        };
        assert_eq!(c.host, "db.local");
        assert_eq!(c.database, None, "a blank database means every database");
        assert_eq!(c.ssl_mode, SslMode::VerifyFull);

        let folder: SourceSettingsInput = serde_json::from_value(serde_json::json!({
            "kind": "folder", "path": "/srv/www", "include": [], "exclude": ["*.tmp", " ", "cache/ "]
        }))
        .unwrap();
        let SourceSettings::Folder(f) = SourceSettings::from(folder) else {
            panic!("not a folder")
        };
        assert_eq!(f.exclude, ["*.tmp", "cache/"]);
    }
}

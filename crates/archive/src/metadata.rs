use serde::{Deserialize, Serialize};

/// What a backup is, stored as JSON in the archive header so `dbackup inspect` can
/// describe an archive found in a bucket without the app's database.
///
/// Unknown JSON members are ignored so later versions can add members without
/// breaking older readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveMetadata {
    /// When the backup started; written in UTC.
    pub created_at: jiff::Timestamp,
    /// What was backed up: `postgres`, `mysql`, `sqlite`, `folder`, ... (FORMAT.md,
    /// Metadata); any string is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kind: Option<String>,
    /// The database engine: `PostgreSQL`, `MySQL`, `MariaDB`, `SQLite`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The database this archive holds, for servers with several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

impl ArchiveMetadata {
    pub fn new(created_at: jiff::Timestamp) -> Self {
        Self {
            created_at,
            source_kind: None,
            db_engine: None,
            db_version: None,
            job_name: None,
            job_id: None,
            database: None,
        }
    }
}

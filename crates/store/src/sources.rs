use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::records::{Record, Table};
use crate::{Store, StoreError};

const TABLE: Table = Table {
    name: "sources",
    what: "source",
};

/// What is backed up. Kind-specific settings live in `config` as JSON; the engine owns
/// their shape. Passwords are never part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Postgres,
    Mysql,
    Sqlite,
    Folder,
}

impl SourceKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
            Self::Folder => "folder",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Postgres, Self::Mysql, Self::Sqlite, Self::Folder]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub config: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewSource {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub config: serde_json::Value,
}

fn decode(record: Record) -> Result<SourceRecord, StoreError> {
    let kind = SourceKind::parse(&record.kind)
        .ok_or_else(|| TABLE.corrupt(&record.id, format!("unknown kind {:?}", record.kind)))?;
    Ok(SourceRecord {
        id: record.id,
        name: record.name,
        kind,
        config: record.config,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

impl Store {
    pub fn list_sources(&self) -> Result<Vec<SourceRecord>, StoreError> {
        TABLE.list(self)?.into_iter().map(decode).collect()
    }

    pub fn source(&self, id: &str) -> Result<SourceRecord, StoreError> {
        decode(TABLE.get(self, id)?)
    }

    /// Inserts a source; `now` is its creation time.
    pub fn insert_source(
        &self,
        new: &NewSource,
        now: Timestamp,
    ) -> Result<SourceRecord, StoreError> {
        decode(TABLE.insert(
            self,
            &new.id,
            &new.name,
            new.kind.as_str(),
            &new.config,
            now,
        )?)
    }

    pub fn delete_source(&self, id: &str) -> Result<(), StoreError> {
        TABLE.delete(self, id)
    }
}

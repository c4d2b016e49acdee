use std::marker::PhantomData;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::records::{NewRecord, Record, RecordKind, Table};
use crate::{Store, StoreError};

const TABLE: Table<SourceKind> = Table {
    name: "sources",
    what: "source",
    kind: PhantomData,
};

/// What is backed up. Passwords are never part of a source's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Postgres,
    Mysql,
    Sqlite,
    Folder,
}

impl RecordKind for SourceKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
            Self::Folder => "folder",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Postgres, Self::Mysql, Self::Sqlite, Self::Folder]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

pub type SourceRecord = Record<SourceKind>;
pub type NewSource = NewRecord<SourceKind>;

impl Store {
    pub fn list_sources(&self) -> Result<Vec<SourceRecord>, StoreError> {
        TABLE.list(self)
    }

    pub fn source(&self, id: &str) -> Result<SourceRecord, StoreError> {
        TABLE.get(self, id)
    }

    /// Inserts a source; `now` is its creation time.
    pub fn insert_source(
        &self,
        new: &NewSource,
        now: Timestamp,
    ) -> Result<SourceRecord, StoreError> {
        TABLE.insert(self, new, now)
    }

    /// Renames a source and replaces its settings; its kind cannot change.
    pub fn update_source(
        &self,
        id: &str,
        name: &str,
        config: &serde_json::Value,
        now: Timestamp,
    ) -> Result<SourceRecord, StoreError> {
        TABLE.update(self, id, name, config, now)
    }

    pub fn delete_source(&self, id: &str) -> Result<(), StoreError> {
        TABLE.delete(self, id)
    }
}

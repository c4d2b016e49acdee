use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::records::{Record, Table};
use crate::{Store, StoreError};

const TABLE: Table = Table {
    name: "destinations",
    what: "destination",
};

/// Where backups go. Kind-specific settings live in `config` as JSON; the engine owns
/// their shape. Secrets are never part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    Local,
    S3,
}

impl DestinationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::S3 => "s3",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "local" => Some(Self::Local),
            "s3" => Some(Self::S3),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DestinationRecord {
    pub id: String,
    pub name: String,
    pub kind: DestinationKind,
    pub config: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewDestination {
    pub id: String,
    pub name: String,
    pub kind: DestinationKind,
    pub config: serde_json::Value,
}

fn decode(record: Record) -> Result<DestinationRecord, StoreError> {
    let kind = DestinationKind::parse(&record.kind)
        .ok_or_else(|| TABLE.corrupt(&record.id, format!("unknown kind {:?}", record.kind)))?;
    Ok(DestinationRecord {
        id: record.id,
        name: record.name,
        kind,
        config: record.config,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

impl Store {
    pub fn list_destinations(&self) -> Result<Vec<DestinationRecord>, StoreError> {
        TABLE.list(self)?.into_iter().map(decode).collect()
    }

    pub fn destination(&self, id: &str) -> Result<DestinationRecord, StoreError> {
        decode(TABLE.get(self, id)?)
    }

    /// Inserts a destination; `now` is its creation time.
    pub fn insert_destination(
        &self,
        new: &NewDestination,
        now: Timestamp,
    ) -> Result<DestinationRecord, StoreError> {
        decode(TABLE.insert(
            self,
            &new.id,
            &new.name,
            new.kind.as_str(),
            &new.config,
            now,
        )?)
    }

    pub fn delete_destination(&self, id: &str) -> Result<(), StoreError> {
        TABLE.delete(self, id)
    }

    pub(crate) fn err(&self, action: &'static str, source: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, action, source)
    }
}

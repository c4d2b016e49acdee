use std::marker::PhantomData;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::records::{NewRecord, Record, RecordKind, Table};
use crate::{Store, StoreError};

const TABLE: Table<DestinationKind> = Table {
    name: "destinations",
    what: "destination",
    kind: PhantomData,
};

/// Where backups go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    Local,
    S3,
}

impl RecordKind for DestinationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::S3 => "s3",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Local, Self::S3]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

pub type DestinationRecord = Record<DestinationKind>;
pub type NewDestination = NewRecord<DestinationKind>;

impl Store {
    pub fn list_destinations(&self) -> Result<Vec<DestinationRecord>, StoreError> {
        TABLE.list(self)
    }

    pub fn destination(&self, id: &str) -> Result<DestinationRecord, StoreError> {
        TABLE.get(self, id)
    }

    /// Inserts a destination; `now` is its creation time.
    pub fn insert_destination(
        &self,
        new: &NewDestination,
        now: Timestamp,
    ) -> Result<DestinationRecord, StoreError> {
        TABLE.insert(self, new, now)
    }

    /// Renames a destination and replaces its settings; its kind cannot change.
    pub fn update_destination(
        &self,
        id: &str,
        name: &str,
        config: &serde_json::Value,
        now: Timestamp,
    ) -> Result<DestinationRecord, StoreError> {
        TABLE.update(self, id, name, config, now)
    }

    pub fn delete_destination(&self, id: &str) -> Result<(), StoreError> {
        TABLE.delete(self, id)
    }

    pub(crate) fn err(&self, action: &'static str, source: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, action, source)
    }
}

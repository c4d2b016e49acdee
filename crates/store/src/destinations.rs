use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

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

const COLUMNS: &str = "id, name, kind, config, created_at, updated_at";

fn read_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        config: row.get(3)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

struct RawRow {
    id: String,
    name: String,
    kind: String,
    config: String,
    created_at: String,
    updated_at: String,
}

impl RawRow {
    fn decode(self) -> Result<DestinationRecord, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            what: "destination",
            id: self.id.clone(),
            reason,
        };
        let kind = DestinationKind::parse(&self.kind)
            .ok_or_else(|| corrupt(format!("unknown kind {:?}", self.kind)))?;
        let config = serde_json::from_str(&self.config).map_err(|e| corrupt(e.to_string()))?;
        let created_at = self
            .created_at
            .parse()
            .map_err(|e: jiff::Error| corrupt(e.to_string()))?;
        let updated_at = self
            .updated_at
            .parse()
            .map_err(|e: jiff::Error| corrupt(e.to_string()))?;
        Ok(DestinationRecord {
            id: self.id,
            name: self.name,
            kind,
            config,
            created_at,
            updated_at,
        })
    }
}

impl Store {
    pub fn list_destinations(&self) -> Result<Vec<DestinationRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM destinations ORDER BY name COLLATE NOCASE");
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.err("list destinations in", e))?;
        let rows = stmt
            .query_map([], read_row)
            .map_err(|e| self.err("list destinations in", e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err("list destinations in", e))?;
        rows.into_iter().map(RawRow::decode).collect()
    }

    pub fn destination(&self, id: &str) -> Result<DestinationRecord, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM destinations WHERE id = ?1");
        self.conn
            .query_row(&sql, [id], read_row)
            .optional()
            .map_err(|e| self.err("read a destination from", e))?
            .ok_or_else(|| StoreError::NotFound {
                what: "destination",
                id: id.to_owned(),
            })?
            .decode()
    }

    /// Inserts a destination; `now` is its creation time.
    pub fn insert_destination(
        &self,
        new: &NewDestination,
        now: Timestamp,
    ) -> Result<DestinationRecord, StoreError> {
        let now_text = now.to_string();
        let result = self.conn.execute(
            "INSERT INTO destinations (id, name, kind, config, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                new.id,
                new.name,
                new.kind.as_str(),
                new.config.to_string(),
                now_text
            ],
        );
        match result {
            Ok(_) => self.destination(&new.id),
            Err(e) if is_unique_violation(&e, "destinations.name") => {
                Err(StoreError::DuplicateName {
                    what: "destination",
                    name: new.name.clone(),
                })
            }
            Err(e) => Err(self.err("save a destination in", e)),
        }
    }

    pub fn delete_destination(&self, id: &str) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute("DELETE FROM destinations WHERE id = ?1", [id])
            .map_err(|e| self.err("remove a destination from", e))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "destination",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    pub(crate) fn err(&self, action: &'static str, source: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, action, source)
    }
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE && msg.contains(column))
}

//! Rows of the tables that share one shape: a named, kind-tagged JSON config with
//! timestamps (destinations, sources). Each table's module owns its kinds.

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::{Store, StoreError};

/// A decoded row; `kind` is checked by the table's own module.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub config: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The tables with this shape; `what` names a row in messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    pub what: &'static str,
}

const COLUMNS: &str = "id, name, kind, config, created_at, updated_at";

struct RawRow {
    id: String,
    name: String,
    kind: String,
    config: String,
    created_at: String,
    updated_at: String,
}

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

impl Table {
    pub(crate) fn corrupt(&self, id: &str, reason: String) -> StoreError {
        StoreError::Corrupt {
            what: self.what,
            id: id.to_owned(),
            reason,
        }
    }

    fn decode(&self, raw: RawRow) -> Result<Record, StoreError> {
        let config =
            serde_json::from_str(&raw.config).map_err(|e| self.corrupt(&raw.id, e.to_string()))?;
        let time = |text: &str| {
            text.parse::<Timestamp>()
                .map_err(|e| self.corrupt(&raw.id, e.to_string()))
        };
        Ok(Record {
            created_at: time(&raw.created_at)?,
            updated_at: time(&raw.updated_at)?,
            id: raw.id,
            name: raw.name,
            kind: raw.kind,
            config,
        })
    }

    pub(crate) fn list(&self, store: &Store) -> Result<Vec<Record>, StoreError> {
        let action = "list records in";
        let sql = format!(
            "SELECT {COLUMNS} FROM {} ORDER BY name COLLATE NOCASE",
            self.name
        );
        let mut stmt = store.conn.prepare(&sql).map_err(|e| store.err(action, e))?;
        let rows = stmt
            .query_map([], read_row)
            .map_err(|e| store.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| store.err(action, e))?;
        rows.into_iter().map(|raw| self.decode(raw)).collect()
    }

    pub(crate) fn get(&self, store: &Store, id: &str) -> Result<Record, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {} WHERE id = ?1", self.name);
        let raw = store
            .conn
            .query_row(&sql, [id], read_row)
            .optional()
            .map_err(|e| store.err("read a record from", e))?
            .ok_or_else(|| StoreError::NotFound {
                what: self.what,
                id: id.to_owned(),
            })?;
        self.decode(raw)
    }

    /// Inserts a row; `now` is its creation time.
    pub(crate) fn insert(
        &self,
        store: &Store,
        id: &str,
        name: &str,
        kind: &str,
        config: &serde_json::Value,
        now: Timestamp,
    ) -> Result<Record, StoreError> {
        let sql = format!(
            "INSERT INTO {} (id, name, kind, config, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            self.name
        );
        let result = store.conn.execute(
            &sql,
            params![id, name, kind, config.to_string(), now.to_string()],
        );
        match result {
            Ok(_) => self.get(store, id),
            Err(e) if is_unique_violation(&e, &format!("{}.name", self.name)) => {
                Err(StoreError::DuplicateName {
                    what: self.what,
                    name: name.to_owned(),
                })
            }
            Err(e) => Err(store.err("save a record in", e)),
        }
    }

    pub(crate) fn delete(&self, store: &Store, id: &str) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {} WHERE id = ?1", self.name);
        let changed = store
            .conn
            .execute(&sql, [id])
            .map_err(|e| store.err("remove a record from", e))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: self.what,
                id: id.to_owned(),
            });
        }
        Ok(())
    }
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE && msg.contains(column))
}

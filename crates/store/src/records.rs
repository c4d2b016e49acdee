//! Rows of the tables that share one shape: a named, kind-tagged JSON config with
//! timestamps (destinations, sources). Each table's module owns its kinds.

use std::marker::PhantomData;

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::{Store, StoreError};

/// The kinds of one table, stored as text.
pub trait RecordKind: Sized + Copy {
    fn as_str(self) -> &'static str;
    fn parse(text: &str) -> Option<Self>;
}

/// A stored row. Kind-specific settings live in `config` as JSON; the engine owns
/// their shape. Secrets are never part of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<K> {
    pub id: String,
    pub name: String,
    pub kind: K,
    pub config: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A row to insert.
#[derive(Debug, Clone)]
pub struct NewRecord<K> {
    pub id: String,
    pub name: String,
    pub kind: K,
    pub config: serde_json::Value,
}

/// The tables with this shape; `what` names a row in messages.
pub(crate) struct Table<K> {
    pub name: &'static str,
    pub what: &'static str,
    pub kind: PhantomData<fn() -> K>,
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

impl<K: RecordKind> Table<K> {
    pub(crate) fn corrupt(&self, id: &str, reason: String) -> StoreError {
        StoreError::Corrupt {
            what: self.what,
            id: id.to_owned(),
            reason,
        }
    }

    fn decode(&self, raw: RawRow) -> Result<Record<K>, StoreError> {
        let kind = K::parse(&raw.kind)
            .ok_or_else(|| self.corrupt(&raw.id, format!("unknown kind {:?}", raw.kind)))?;
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
            kind,
            config,
        })
    }

    pub(crate) fn list(&self, store: &Store) -> Result<Vec<Record<K>>, StoreError> {
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

    pub(crate) fn get(&self, store: &Store, id: &str) -> Result<Record<K>, StoreError> {
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
        new: &NewRecord<K>,
        now: Timestamp,
    ) -> Result<Record<K>, StoreError> {
        let sql = format!(
            "INSERT INTO {} (id, name, kind, config, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            self.name
        );
        let result = store.conn.execute(
            &sql,
            params![
                new.id,
                new.name,
                new.kind.as_str(),
                new.config.to_string(),
                now.to_string()
            ],
        );
        match result {
            Ok(_) => self.get(store, &new.id),
            Err(e) if is_unique_violation(&e, &format!("{}.name", self.name)) => {
                Err(StoreError::DuplicateName {
                    what: self.what,
                    name: new.name.clone(),
                })
            }
            Err(e) => Err(store.err("save a record in", e)),
        }
    }

    /// Renames a row and replaces its config (its kind stays); `now` is when.
    pub(crate) fn update(
        &self,
        store: &Store,
        id: &str,
        name: &str,
        config: &serde_json::Value,
        now: Timestamp,
    ) -> Result<Record<K>, StoreError> {
        let sql = format!(
            "UPDATE {} SET name = ?2, config = ?3, updated_at = ?4 WHERE id = ?1",
            self.name
        );
        let result = store
            .conn
            .execute(&sql, params![id, name, config.to_string(), now.to_string()]);
        match result {
            Ok(0) => Err(StoreError::NotFound {
                what: self.what,
                id: id.to_owned(),
            }),
            Ok(_) => self.get(store, id),
            Err(e) if is_unique_violation(&e, &format!("{}.name", self.name)) => {
                Err(StoreError::DuplicateName {
                    what: self.what,
                    name: name.to_owned(),
                })
            }
            Err(e) => Err(store.err("update a record in", e)),
        }
    }

    pub(crate) fn delete(&self, store: &Store, id: &str) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {} WHERE id = ?1", self.name);
        let changed = match store.conn.execute(&sql, [id]) {
            Ok(n) => n,
            Err(e) if crate::jobs::is_foreign_key_violation(&e) => {
                let record = self.get(store, id)?;
                return Err(StoreError::InUse {
                    what: self.what,
                    name: record.name,
                    jobs: store.jobs_using(id)?.join(", "),
                });
            }
            Err(e) => return Err(store.err("remove a record from", e)),
        };
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

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::records::is_unique_violation;
use crate::{Store, StoreError};

/// An encryption key profile: its name and public id. The key is in the OS keyring.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyProfileRecord {
    pub id: String,
    pub name: String,
    /// First 8 hex characters of SHA-256 of the key; identifies it without revealing it.
    pub key_id: String,
    pub created_at: Timestamp,
    pub exported_at: Option<Timestamp>,
}

fn read(row: &Row<'_>) -> rusqlite::Result<(String, String, String, String, Option<String>)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn decode(
    (id, name, key_id, created, exported): (String, String, String, String, Option<String>),
) -> Result<KeyProfileRecord, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "key profile",
        id: id.clone(),
        reason,
    };
    let created_at = created
        .parse()
        .map_err(|e: jiff::Error| corrupt(e.to_string()))?;
    let exported_at = match exported {
        Some(t) => Some(t.parse().map_err(|e: jiff::Error| corrupt(e.to_string()))?),
        None => None,
    };
    Ok(KeyProfileRecord {
        id,
        name,
        key_id,
        created_at,
        exported_at,
    })
}

const COLUMNS: &str = "id, name, key_id, created_at, exported_at";

impl Store {
    pub fn list_key_profiles(&self) -> Result<Vec<KeyProfileRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM key_profiles ORDER BY name COLLATE NOCASE");
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| self.err("list key profiles in", e))?;
        let rows = stmt
            .query_map([], read)
            .map_err(|e| self.err("list key profiles in", e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err("list key profiles in", e))?;
        rows.into_iter().map(decode).collect()
    }

    pub fn key_profile_by_key_id(
        &self,
        key_id: &str,
    ) -> Result<Option<KeyProfileRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM key_profiles WHERE key_id = ?1");
        self.conn
            .query_row(&sql, [key_id], read)
            .optional()
            .map_err(|e| self.err("read a key profile from", e))?
            .map(decode)
            .transpose()
    }

    pub fn insert_key_profile(&self, record: &KeyProfileRecord) -> Result<(), StoreError> {
        if let Some(existing) = self.key_profile_by_key_id(&record.key_id)? {
            return Err(StoreError::DuplicateKey {
                existing: existing.name,
            });
        }
        let result = self.conn.execute(
            "INSERT INTO key_profiles (id, name, key_id, created_at, exported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                record.id,
                record.name,
                record.key_id,
                record.created_at.to_string(),
                record.exported_at.map(|t| t.to_string())
            ],
        );
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e, "key_profiles.name") => {
                Err(StoreError::DuplicateName {
                    what: "key profile",
                    name: record.name.clone(),
                })
            }
            Err(e) => Err(self.err("save a key profile in", e)),
        }
    }

    pub fn mark_key_profile_exported(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE key_profiles SET exported_at = ?2 WHERE id = ?1",
                params![id, now.to_string()],
            )
            .map_err(|e| self.err("update a key profile in", e))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "key profile",
                id: id.to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, name: &str, key_id: &str) -> KeyProfileRecord {
        KeyProfileRecord {
            id: id.into(),
            name: name.into(),
            key_id: key_id.into(),
            created_at: Timestamp::UNIX_EPOCH,
            exported_at: None,
        }
    }

    #[test]
    fn profiles_are_unique_by_name_and_by_key() {
        let store = Store::open_in_memory().unwrap();
        store
            .insert_key_profile(&record("1", "laptop", "aabbccdd"))
            .unwrap();
        let err = store
            .insert_key_profile(&record("2", "other", "aabbccdd"))
            .unwrap_err();
        assert!(
            matches!(err, StoreError::DuplicateKey { ref existing } if existing == "laptop"),
            "{err}"
        );
        let err = store
            .insert_key_profile(&record("3", "LAPTOP", "11223344"))
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateName { .. }), "{err}");
        assert_eq!(store.list_key_profiles().unwrap().len(), 1);
        assert!(store.key_profile_by_key_id("aabbccdd").unwrap().is_some());
        assert!(store.key_profile_by_key_id("00000000").unwrap().is_none());
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        store.mark_key_profile_exported("1", now).unwrap();
        assert_eq!(store.list_key_profiles().unwrap()[0].exported_at, Some(now));
    }
}

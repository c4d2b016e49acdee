//! The backups DBackup knows to be stored: written by runs, refreshed by rescans,
//! removed by retention and deletes. The bucket stays the truth; this is its index.

use jiff::Timestamp;
use rusqlite::{params, Row};

use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct BackupRecord {
    pub destination_id: String,
    pub object: String,
    pub job_id: Option<String>,
    pub job_name: Option<String>,
    pub run_id: Option<String>,
    pub created_at: Timestamp,
    pub stored_size: u64,
    pub locked: bool,
    /// The backup's manifest as stored next to it.
    pub manifest: serde_json::Value,
    pub seen_at: Timestamp,
}

const COLUMNS: &str = "destination_id, object, job_id, job_name, run_id, created_at, \
                       stored_size, locked, manifest, seen_at";

type Raw = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    bool,
    String,
    String,
);

fn read(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn decode(raw: Raw) -> Result<BackupRecord, StoreError> {
    let (destination_id, object, job_id, job_name, run_id, created, size, locked, manifest, seen) =
        raw;
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "backup",
        id: object.clone(),
        reason,
    };
    let time = |t: &str| t.parse::<Timestamp>().map_err(|e| corrupt(e.to_string()));
    Ok(BackupRecord {
        created_at: time(&created)?,
        seen_at: time(&seen)?,
        manifest: serde_json::from_str(&manifest).map_err(|e| corrupt(e.to_string()))?,
        stored_size: u64::try_from(size).unwrap_or(0),
        destination_id,
        object,
        job_id,
        job_name,
        run_id,
        locked,
    })
}

impl Store {
    /// Adds a backup to the catalog, or refreshes what is known of it.
    pub fn upsert_backup(&self, b: &BackupRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO backups (destination_id, object, job_id, job_name, run_id, created_at, \
                 stored_size, locked, manifest, seen_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (destination_id, object) DO UPDATE SET job_id = excluded.job_id, \
                 job_name = excluded.job_name, run_id = COALESCE(excluded.run_id, backups.run_id), \
                 created_at = excluded.created_at, stored_size = excluded.stored_size, \
                 locked = excluded.locked, manifest = excluded.manifest, seen_at = excluded.seen_at",
                params![
                    b.destination_id,
                    b.object,
                    b.job_id,
                    b.job_name,
                    b.run_id,
                    b.created_at.to_string(),
                    b.stored_size as i64,
                    b.locked,
                    b.manifest.to_string(),
                    b.seen_at.to_string()
                ],
            )
            .map_err(|e| self.err("record a backup in", e))?;
        Ok(())
    }

    pub fn remove_backup(&self, destination_id: &str, object: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM backups WHERE destination_id = ?1 AND object = ?2",
                params![destination_id, object],
            )
            .map_err(|e| self.err("remove a backup from", e))?;
        Ok(())
    }

    /// Forgets the backups of a destination that a full listing no longer showed.
    pub fn remove_backups_not_seen(
        &self,
        destination_id: &str,
        since: Timestamp,
    ) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM backups WHERE destination_id = ?1 AND seen_at < ?2",
                params![destination_id, since.to_string()],
            )
            .map_err(|e| self.err("refresh the backups of", e))
    }

    /// Known backups, newest first; `None` filters match everything.
    pub fn list_backups(
        &self,
        destination_id: Option<&str>,
        job_id: Option<&str>,
    ) -> Result<Vec<BackupRecord>, StoreError> {
        let action = "list backups in";
        let sql = format!(
            "SELECT {COLUMNS} FROM backups WHERE (?1 IS NULL OR destination_id = ?1) \
             AND (?2 IS NULL OR job_id = ?2) ORDER BY created_at DESC, object DESC"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(action, e))?;
        let rows = stmt
            .query_map(params![destination_id, job_id], read)
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter().map(decode).collect()
    }
}

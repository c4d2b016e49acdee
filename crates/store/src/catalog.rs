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
    /// As the destination last reported it; `None` for folders, or when unknown (a
    /// refresh keeps the known one).
    pub storage_class: Option<String>,
}

/// A restore from S3 Glacier that was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct GlacierRestoreRecord {
    pub destination_id: String,
    pub object: String,
    pub tier: String,
    pub days: u32,
    pub requested_at: Timestamp,
    /// Until when the restored copy can be read, once S3 reported it.
    pub ready_until: Option<Timestamp>,
    /// When DBackup first saw the copy ready (and said so).
    pub ready_at: Option<Timestamp>,
}

/// The last verify of a backup that reached a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupCheckRecord {
    pub destination_id: String,
    pub object: String,
    pub checked_at: Timestamp,
    /// `None`: intact.
    pub problem: Option<String>,
}

const COLUMNS: &str = "destination_id, object, job_id, job_name, run_id, created_at, \
                       stored_size, locked, manifest, seen_at, storage_class";

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
    Option<String>,
);

fn read(r: &Row<'_>) -> rusqlite::Result<Raw> {
    r.try_into()
}

fn decode(raw: Raw) -> Result<BackupRecord, StoreError> {
    let (
        destination_id,
        object,
        job_id,
        job_name,
        run_id,
        created,
        size,
        locked,
        manifest,
        seen,
        storage_class,
    ) = raw;
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
        storage_class,
    })
}

impl Store {
    /// Adds a backup to the catalog, or refreshes what is known of it.
    pub fn upsert_backup(&self, b: &BackupRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO backups (destination_id, object, job_id, job_name, run_id, created_at, \
                 stored_size, locked, manifest, seen_at, storage_class) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (destination_id, object) DO UPDATE SET job_id = excluded.job_id, \
                 job_name = excluded.job_name, run_id = COALESCE(excluded.run_id, backups.run_id), \
                 created_at = excluded.created_at, stored_size = excluded.stored_size, \
                 locked = excluded.locked, manifest = excluded.manifest, seen_at = excluded.seen_at, \
                 storage_class = COALESCE(excluded.storage_class, backups.storage_class)",
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
                    b.seen_at.to_string(),
                    b.storage_class,
                ],
            )
            .map_err(|e| self.err("record a backup in", e))?;
        Ok(())
    }

    /// Records the verdict of a verify; replaces the previous one. Returns false when the
    /// backup is not in the catalog (nothing recorded).
    pub fn record_backup_check(
        &self,
        destination_id: &str,
        object: &str,
        checked_at: Timestamp,
        problem: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "INSERT INTO backup_checks (destination_id, object, checked_at, problem) \
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS \
                   (SELECT 1 FROM backups WHERE destination_id = ?1 AND object = ?2) \
                 ON CONFLICT (destination_id, object) DO UPDATE SET \
                 checked_at = excluded.checked_at, problem = excluded.problem",
                params![destination_id, object, checked_at.to_string(), problem],
            )
            .map_err(|e| self.err("record a verify result in", e))?;
        Ok(changed > 0)
    }

    /// The last verdict of each checked backup, of one destination or of all.
    pub fn backup_checks(
        &self,
        destination_id: Option<&str>,
    ) -> Result<Vec<BackupCheckRecord>, StoreError> {
        let action = "read verify results from";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT destination_id, object, checked_at, problem FROM backup_checks \
                 WHERE ?1 IS NULL OR destination_id = ?1",
            )
            .map_err(|e| self.err(action, e))?;
        let rows = stmt
            .query_map([destination_id], |r| {
                <(String, String, String, Option<String>)>::try_from(r)
            })
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter()
            .map(|(destination_id, object, checked, problem)| {
                let checked_at = checked
                    .parse::<Timestamp>()
                    .map_err(|e| StoreError::Corrupt {
                        what: "verify result",
                        id: object.clone(),
                        reason: e.to_string(),
                    })?;
                Ok(BackupCheckRecord {
                    destination_id,
                    object,
                    checked_at,
                    problem,
                })
            })
            .collect()
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

    /// One catalogued backup, if the catalog has it.
    pub fn backup(
        &self,
        destination_id: &str,
        object: &str,
    ) -> Result<Option<BackupRecord>, StoreError> {
        use rusqlite::OptionalExtension;
        let sql =
            format!("SELECT {COLUMNS} FROM backups WHERE destination_id = ?1 AND object = ?2");
        self.conn
            .query_row(&sql, params![destination_id, object], read)
            .optional()
            .map_err(|e| self.err("read a backup from", e))?
            .map(decode)
            .transpose()
    }

    /// Records that a restore from Glacier was asked for (again: the earlier one's
    /// readiness is forgotten, so its end is seen and said anew).
    pub fn record_glacier_restore(&self, r: &GlacierRestoreRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO glacier_restores (destination_id, object, tier, days, requested_at, \
                 ready_until, ready_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (destination_id, object) DO UPDATE SET tier = excluded.tier, \
                 days = excluded.days, requested_at = excluded.requested_at, \
                 ready_until = excluded.ready_until, ready_at = excluded.ready_at",
                params![
                    r.destination_id,
                    r.object,
                    r.tier,
                    r.days,
                    r.requested_at.to_string(),
                    r.ready_until.map(|t| t.to_string()),
                    r.ready_at.map(|t| t.to_string()),
                ],
            )
            .map_err(|e| self.err("record a Glacier restore in", e))?;
        Ok(())
    }

    /// Every restore from Glacier that was asked for and not yet forgotten.
    pub fn glacier_restores(&self) -> Result<Vec<GlacierRestoreRecord>, StoreError> {
        let action = "list Glacier restores in";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT destination_id, object, tier, days, requested_at, ready_until, ready_at \
                 FROM glacier_restores ORDER BY requested_at",
            )
            .map_err(|e| self.err(action, e))?;
        type RawRestore = (
            String,
            String,
            String,
            u32,
            String,
            Option<String>,
            Option<String>,
        );
        let rows = stmt
            .query_map([], |r| r.try_into())
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<RawRestore>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter()
            .map(
                |(destination_id, object, tier, days, requested, until, ready)| {
                    let time = |t: &str| {
                        t.parse::<Timestamp>().map_err(|e| StoreError::Corrupt {
                            what: "Glacier restore",
                            id: object.clone(),
                            reason: e.to_string(),
                        })
                    };
                    Ok(GlacierRestoreRecord {
                        requested_at: time(&requested)?,
                        ready_until: until.as_deref().map(time).transpose()?,
                        ready_at: ready.as_deref().map(time).transpose()?,
                        destination_id,
                        object,
                        tier,
                        days,
                    })
                },
            )
            .collect()
    }

    pub fn remove_glacier_restore(
        &self,
        destination_id: &str,
        object: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM glacier_restores WHERE destination_id = ?1 AND object = ?2",
                params![destination_id, object],
            )
            .map_err(|e| self.err("forget a Glacier restore in", e))?;
        Ok(())
    }

    /// The storage class a destination reported for a backup.
    pub fn set_backup_storage_class(
        &self,
        destination_id: &str,
        object: &str,
        class: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE backups SET storage_class = ?3 WHERE destination_id = ?1 AND object = ?2",
                params![destination_id, object, class],
            )
            .map_err(|e| self.err("record a backup's storage class in", e))?;
        Ok(())
    }
}

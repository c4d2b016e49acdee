use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::records::is_unique_violation;
use crate::{Store, StoreError};

/// A destination of a job, with its retention (JSON; the engine owns the shape).
#[derive(Debug, Clone, PartialEq)]
pub struct JobDestination {
    pub destination_id: String,
    pub retention: serde_json::Value,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: String,
    pub name: String,
    pub source_id: String,
    /// Schedule, compression, encryption, notifications (JSON; never a secret).
    pub config: serde_json::Value,
    pub enabled: bool,
    /// Every scheduled time up to here has been run, caught up or skipped.
    pub schedule_checked_at: Option<Timestamp>,
    pub destinations: Vec<JobDestination>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A job to insert, or the new state of one to update.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub name: String,
    pub source_id: String,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub destinations: Vec<JobDestination>,
}

const COLUMNS: &str =
    "id, name, source_id, config, enabled, schedule_checked_at, created_at, updated_at";

struct RawJob {
    id: String,
    name: String,
    source_id: String,
    config: String,
    enabled: bool,
    checked: Option<String>,
    created_at: String,
    updated_at: String,
}

fn read(row: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: row.get(0)?,
        name: row.get(1)?,
        source_id: row.get(2)?,
        config: row.get(3)?,
        enabled: row.get(4)?,
        checked: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

fn corrupt(id: &str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: "job",
        id: id.to_owned(),
        reason: reason.to_string(),
    }
}

impl Store {
    fn decode_job(&self, raw: RawJob) -> Result<JobRecord, StoreError> {
        let time = |text: &str| text.parse::<Timestamp>().map_err(|e| corrupt(&raw.id, e));
        let destinations = self.job_destinations(&raw.id)?;
        Ok(JobRecord {
            config: serde_json::from_str(&raw.config).map_err(|e| corrupt(&raw.id, e))?,
            schedule_checked_at: raw.checked.as_deref().map(time).transpose()?,
            created_at: time(&raw.created_at)?,
            updated_at: time(&raw.updated_at)?,
            destinations,
            id: raw.id,
            name: raw.name,
            source_id: raw.source_id,
            enabled: raw.enabled,
        })
    }

    fn job_destinations(&self, job_id: &str) -> Result<Vec<JobDestination>, StoreError> {
        let action = "read a job's destinations from";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT destination_id, retention FROM job_destinations \
                 WHERE job_id = ?1 ORDER BY position",
            )
            .map_err(|e| self.err(action, e))?;
        let rows = stmt
            .query_map([job_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter()
            .map(|(destination_id, retention)| {
                Ok(JobDestination {
                    destination_id,
                    retention: serde_json::from_str(&retention).map_err(|e| corrupt(job_id, e))?,
                })
            })
            .collect()
    }

    pub fn list_jobs(&self) -> Result<Vec<JobRecord>, StoreError> {
        let action = "list jobs in";
        let sql = format!("SELECT {COLUMNS} FROM jobs ORDER BY name COLLATE NOCASE");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(action, e))?;
        let rows = stmt
            .query_map([], read)
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter().map(|raw| self.decode_job(raw)).collect()
    }

    pub fn job(&self, id: &str) -> Result<JobRecord, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1");
        let raw = self
            .conn
            .query_row(&sql, [id], read)
            .optional()
            .map_err(|e| self.err("read a job from", e))?
            .ok_or_else(|| StoreError::NotFound {
                what: "job",
                id: id.to_owned(),
            })?;
        self.decode_job(raw)
    }

    /// Inserts a job and its destinations in one transaction.
    pub fn insert_job(&self, job: &NewJob, now: Timestamp) -> Result<JobRecord, StoreError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.err("start a transaction in", e))?;
        let result = tx.execute(
            "INSERT INTO jobs (id, name, source_id, config, enabled, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![
                job.id,
                job.name,
                job.source_id,
                job.config.to_string(),
                job.enabled,
                now.to_string()
            ],
        );
        self.job_write_result(result, job)?;
        self.write_job_destinations(job)?;
        tx.commit().map_err(|e| self.err("save a job in", e))?;
        self.job(&job.id)
    }

    /// Replaces a job's name, source, settings and destinations; keeps its history,
    /// id and schedule position.
    pub fn update_job(&self, job: &NewJob, now: Timestamp) -> Result<JobRecord, StoreError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.err("start a transaction in", e))?;
        let result = tx.execute(
            "UPDATE jobs SET name = ?2, source_id = ?3, config = ?4, enabled = ?5, \
             updated_at = ?6 WHERE id = ?1",
            params![
                job.id,
                job.name,
                job.source_id,
                job.config.to_string(),
                job.enabled,
                now.to_string()
            ],
        );
        if self.job_write_result(result, job)? == 0 {
            return Err(StoreError::NotFound {
                what: "job",
                id: job.id.clone(),
            });
        }
        tx.execute("DELETE FROM job_destinations WHERE job_id = ?1", [&job.id])
            .map_err(|e| self.err("update a job in", e))?;
        self.write_job_destinations(job)?;
        tx.commit().map_err(|e| self.err("save a job in", e))?;
        self.job(&job.id)
    }

    fn job_write_result(
        &self,
        result: rusqlite::Result<usize>,
        job: &NewJob,
    ) -> Result<usize, StoreError> {
        match result {
            Ok(n) => Ok(n),
            Err(e) if is_unique_violation(&e, "jobs.name") => Err(StoreError::DuplicateName {
                what: "job",
                name: job.name.clone(),
            }),
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound {
                what: "source",
                id: job.source_id.clone(),
            }),
            Err(e) => Err(self.err("save a job in", e)),
        }
    }

    fn write_job_destinations(&self, job: &NewJob) -> Result<(), StoreError> {
        for (position, d) in job.destinations.iter().enumerate() {
            let result = self.conn.execute(
                "INSERT INTO job_destinations (job_id, destination_id, position, retention) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    job.id,
                    d.destination_id,
                    position as i64,
                    d.retention.to_string()
                ],
            );
            match result {
                Ok(_) => {}
                Err(e) if is_foreign_key_violation(&e) => {
                    return Err(StoreError::NotFound {
                        what: "destination",
                        id: d.destination_id.clone(),
                    })
                }
                Err(e) if is_unique_violation(&e, "job_destinations") => {
                    return Err(StoreError::Corrupt {
                        what: "job",
                        id: job.id.clone(),
                        reason: format!("destination {} is listed twice", d.destination_id),
                    })
                }
                Err(e) => return Err(self.err("save a job's destinations in", e)),
            }
        }
        Ok(())
    }

    /// Removes a job; its runs stay in the history (without the link to the job).
    pub fn delete_job(&self, id: &str) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute("DELETE FROM jobs WHERE id = ?1", [id])
            .map_err(|e| self.err("remove a job from", e))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "job",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    pub fn set_job_enabled(
        &self,
        id: &str,
        enabled: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE jobs SET enabled = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, enabled, now.to_string()],
            )
            .map_err(|e| self.err("pause or resume a job in", e))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "job",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Records that every scheduled time of the job up to `until` has been handled.
    pub fn set_schedule_checked(&self, id: &str, until: Timestamp) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE jobs SET schedule_checked_at = ?2 WHERE id = ?1",
                params![id, until.to_string()],
            )
            .map_err(|e| self.err("record a job's schedule in", e))?;
        Ok(())
    }

    /// The names of the jobs that use a destination or a source, so that removing
    /// one can say what holds it.
    pub fn jobs_using(&self, destination_or_source_id: &str) -> Result<Vec<String>, StoreError> {
        let action = "find the jobs using a destination or source in";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name FROM jobs WHERE source_id = ?1 OR id IN \
                 (SELECT job_id FROM job_destinations WHERE destination_id = ?1) \
                 ORDER BY name COLLATE NOCASE",
            )
            .map_err(|e| self.err(action, e))?;
        let names = stmt
            .query_map([destination_or_source_id], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        Ok(names)
    }
}

pub(crate) fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    // SQLite reports a foreign key failure with the plain constraint code; the
    // message is what tells it from the others.
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("FOREIGN KEY"))
}

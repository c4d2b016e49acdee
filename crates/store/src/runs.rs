use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row};

use crate::records::is_unique_violation;
use crate::{Store, StoreError};

/// A run of a job, as the history shows it. `trigger` and `status` are the words of
/// the schema's CHECK constraints (`schedule`, `manual`, `catch_up`, `cli`; `running`,
/// `success`, `partial`, `failed`, `cancelled`, `skipped`, `interrupted`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: String,
    pub job_id: Option<String>,
    pub job_name: String,
    pub trigger: String,
    pub status: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Per destination and per archive (JSON; the engine owns the shape).
    pub outcome: serde_json::Value,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub cancel_requested: bool,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub status: &'static str,
    pub finished_at: Timestamp,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub outcome: serde_json::Value,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// Which page of the history to read: newest first, strictly older than `before`.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    pub job_id: Option<String>,
    /// The (started_at, id) of the last run of the previous page.
    pub before: Option<(Timestamp, String)>,
    pub limit: u32,
}

const COLUMNS: &str = "id, job_id, job_name, trigger, status, started_at, finished_at, \
                       bytes_in, bytes_out, outcome, error_code, error_message, cancel_requested";

type RawRun = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    bool,
);

fn read(r: &Row<'_>) -> rusqlite::Result<RawRun> {
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
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
    ))
}

fn decode(raw: RawRun) -> Result<RunRecord, StoreError> {
    let (
        id,
        job_id,
        job_name,
        trigger,
        status,
        started,
        finished,
        bin,
        bout,
        outcome,
        code,
        msg,
        cancel,
    ) = raw;
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "run",
        id: id.clone(),
        reason,
    };
    let time = |t: &str| t.parse::<Timestamp>().map_err(|e| corrupt(e.to_string()));
    Ok(RunRecord {
        started_at: time(&started)?,
        finished_at: finished.as_deref().map(time).transpose()?,
        outcome: serde_json::from_str(&outcome).map_err(|e| corrupt(e.to_string()))?,
        bytes_in: u64::try_from(bin).unwrap_or(0),
        bytes_out: u64::try_from(bout).unwrap_or(0),
        id,
        job_id,
        job_name,
        trigger,
        status,
        error_code: code,
        error_message: msg,
        cancel_requested: cancel,
    })
}

impl Store {
    /// Records the start of a run. Fails with [`StoreError::JobRunning`] when the job
    /// already has a running run, whichever process started it.
    pub fn begin_run(
        &self,
        id: &str,
        job_id: &str,
        job_name: &str,
        trigger: &str,
        started_at: Timestamp,
    ) -> Result<RunRecord, StoreError> {
        let result = self.conn.execute(
            "INSERT INTO runs (id, job_id, job_name, trigger, status, started_at) \
             VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
            params![id, job_id, job_name, trigger, started_at.to_string()],
        );
        match result {
            Ok(_) => self.run(id),
            Err(e) if is_unique_violation(&e, "runs.job_id") => Err(StoreError::JobRunning {
                job: job_name.to_owned(),
            }),
            Err(e) => Err(self.err("record the start of a run in", e)),
        }
    }

    /// Records a run that ended as soon as it began (a skipped run).
    pub fn insert_finished_run(
        &self,
        id: &str,
        job_id: &str,
        job_name: &str,
        trigger: &str,
        started_at: Timestamp,
        end: &RunEnd,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (id, job_id, job_name, trigger, status, started_at, finished_at, \
                 bytes_in, bytes_out, outcome, error_code, error_message) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    id,
                    job_id,
                    job_name,
                    trigger,
                    end.status,
                    started_at.to_string(),
                    end.finished_at.to_string(),
                    end.bytes_in as i64,
                    end.bytes_out as i64,
                    end.outcome.to_string(),
                    end.error_code,
                    end.error_message
                ],
            )
            .map_err(|e| self.err("record a run in", e))?;
        Ok(())
    }

    /// Records how a running run ended. A run that is no longer running (marked
    /// interrupted meanwhile) is left as it is; returns whether it was updated.
    pub fn finish_run(&self, id: &str, end: &RunEnd) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET status = ?2, finished_at = ?3, bytes_in = ?4, bytes_out = ?5, \
                 outcome = ?6, error_code = ?7, error_message = ?8 \
                 WHERE id = ?1 AND status = 'running'",
                params![
                    id,
                    end.status,
                    end.finished_at.to_string(),
                    end.bytes_in as i64,
                    end.bytes_out as i64,
                    end.outcome.to_string(),
                    end.error_code,
                    end.error_message
                ],
            )
            .map_err(|e| self.err("record the end of a run in", e))?;
        Ok(changed == 1)
    }

    pub fn run(&self, id: &str) -> Result<RunRecord, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM runs WHERE id = ?1");
        let raw = self
            .conn
            .query_row(&sql, [id], read)
            .optional()
            .map_err(|e| self.err("read a run from", e))?
            .ok_or_else(|| StoreError::NotFound {
                what: "run",
                id: id.to_owned(),
            })?;
        decode(raw)
    }

    /// One page of the history, newest first.
    pub fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>, StoreError> {
        let action = "list runs in";
        let (before_time, before_id) = match &query.before {
            Some((t, id)) => (Some(t.to_string()), Some(id.clone())),
            None => (None, None),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM runs \
             WHERE (?1 IS NULL OR job_id = ?1) \
               AND (?2 IS NULL OR started_at < ?2 OR (started_at = ?2 AND id < ?3)) \
             ORDER BY started_at DESC, id DESC LIMIT ?4"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(action, e))?;
        let rows = stmt
            .query_map(
                params![query.job_id, before_time, before_id, query.limit.max(1)],
                read,
            )
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter().map(decode).collect()
    }

    pub fn running_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let action = "list running runs in";
        let sql =
            format!("SELECT {COLUMNS} FROM runs WHERE status = 'running' ORDER BY started_at");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(action, e))?;
        let rows = stmt
            .query_map([], read)
            .map_err(|e| self.err(action, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(action, e))?;
        rows.into_iter().map(decode).collect()
    }

    /// The newest finished run of a job, if any.
    pub fn last_finished_run(&self, job_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM runs WHERE job_id = ?1 AND status != 'running' \
             ORDER BY started_at DESC, id DESC LIMIT 1"
        );
        self.conn
            .query_row(&sql, [job_id], read)
            .optional()
            .map_err(|e| self.err("read a job's last run from", e))?
            .map(decode)
            .transpose()
    }

    /// Asks the process running `id` to cancel it (it checks this flag while it runs).
    pub fn request_cancel(&self, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'",
                [id],
            )
            .map_err(|e| self.err("request a cancel in", e))?;
        Ok(changed == 1)
    }

    pub fn cancel_requested(&self, id: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT cancel_requested FROM runs WHERE id = ?1",
                [id],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map_err(|e| self.err("read a run from", e))
            .map(|v| v.unwrap_or(false))
    }

    /// Removes finished runs that started before `before`; returns how many.
    pub fn prune_runs(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM runs WHERE status != 'running' AND started_at < ?1",
                [before.to_string()],
            )
            .map_err(|e| self.err("prune the history in", e))
    }

    /// Records that retention deleted a backup.
    pub fn record_deletion(
        &self,
        run_id: Option<&str>,
        destination_id: &str,
        object: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO deletions (run_id, destination_id, object, reason, deleted_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![run_id, destination_id, object, reason, at.to_string()],
            )
            .map_err(|e| self.err("record a deletion in", e))?;
        Ok(())
    }

    /// A setting's JSON value, if set.
    pub fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err("read a setting from", e))?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                what: "setting",
                id: key.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    pub fn set_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )
            .map_err(|e| self.err("save a setting in", e))?;
        Ok(())
    }
}

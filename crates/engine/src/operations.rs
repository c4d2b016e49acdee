//! Long work the Storage Explorer starts on a stored backup: verify, download (as stored
//! or decrypted) and restore into a source. Each runs in the background with live
//! progress, can be cancelled, and keeps its outcome until dismissed, so the window can
//! be closed and reopened meanwhile. The CLI runs the same engine calls in the foreground.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dbackup_storage::{Destination, ObjectKey};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::alerts::human_size;
use crate::restore::{restore_to_file, verify, SharedKeys, Trust};
use crate::source_run::{restore_to_source, FailureView, RestoreInto};
use crate::transfer::progress::{Phase, Progress, ProgressReporter};
use crate::{Engine, EngineError};

/// Bytes per ranged GET when downloading an object as stored.
const RAW_CHUNK: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Verify,
    Download,
    Restore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OperationState {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// How to restore a backup into a saved source, from the window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RestoreRequest {
    pub source_id: String,
    /// The database to restore into; default: the one the backup came from.
    pub database: Option<String>,
    /// SQLite: the database file; folders: the folder to restore into.
    pub path: Option<String>,
    /// Confirmed: the target may hold data, which the restore replaces.
    pub overwrite: bool,
    /// Confirmed: the backup is not encrypted, and the user knows where it came from.
    #[serde(default)]
    pub allow_unencrypted: bool,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    pub id: String,
    pub kind: OperationKind,
    pub destination_id: String,
    pub object: String,
    pub state: OperationState,
    pub progress: Progress,
    /// What it did, in words, once it succeeded.
    pub summary: Option<String>,
    pub warnings: Vec<String>,
    pub error: Option<FailureView>,
}

struct Running {
    /// Start order: lists show the newest first.
    seq: u64,
    kind: OperationKind,
    destination_id: String,
    object: String,
    progress: watch::Receiver<Progress>,
    cancel: CancellationToken,
    outcome: Option<Result<(String, Vec<String>), FailureView>>,
    /// Turns true when the outcome is in.
    done: watch::Receiver<bool>,
}

/// The operations of this process, by id.
pub struct Operations {
    engine: Arc<Engine>,
    all: Mutex<BTreeMap<String, Running>>,
    started: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations").finish_non_exhaustive()
    }
}

type Outcome = Result<(String, Vec<String>), EngineError>;

impl Operations {
    pub fn new(engine: Arc<Engine>) -> Arc<Self> {
        Arc::new(Self {
            engine,
            all: Mutex::new(BTreeMap::new()),
            started: std::sync::atomic::AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Running>> {
        self.all.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until the operation has finished, and returns how it ended.
    pub async fn finished(&self, id: &str) -> Option<OperationView> {
        let mut done = self.lock().get(id)?.done.clone();
        // An error means the task is gone, which only happens after it reported.
        let _ = done.wait_for(|d| *d).await;
        self.list().into_iter().find(|op| op.id == id)
    }

    /// Newest first.
    pub fn list(&self) -> Vec<OperationView> {
        let all = self.lock();
        let mut ops: Vec<(&String, &Running)> = all.iter().collect();
        ops.sort_by_key(|(_, op)| std::cmp::Reverse(op.seq));
        ops.into_iter()
            .map(|(id, op)| {
                let (state, summary, warnings, error) = match &op.outcome {
                    None => (OperationState::Running, None, vec![], None),
                    Some(Ok((summary, warnings))) => (
                        OperationState::Succeeded,
                        Some(summary.clone()),
                        warnings.clone(),
                        None,
                    ),
                    Some(Err(e)) if e.code == crate::ErrorCode::Cancelled => {
                        (OperationState::Cancelled, None, vec![], Some(e.clone()))
                    }
                    Some(Err(e)) => (OperationState::Failed, None, vec![], Some(e.clone())),
                };
                OperationView {
                    id: id.clone(),
                    kind: op.kind,
                    destination_id: op.destination_id.clone(),
                    object: op.object.clone(),
                    state,
                    progress: op.progress.borrow().clone(),
                    summary,
                    warnings,
                    error,
                }
            })
            .collect()
    }

    pub fn cancel(&self, id: &str) {
        if let Some(op) = self.lock().get(id) {
            op.cancel.cancel();
        }
    }

    /// Forgets a finished operation (a running one is cancelled first).
    pub fn dismiss(&self, id: &str) {
        let mut all = self.lock();
        if let Some(op) = all.get(id) {
            if op.outcome.is_none() {
                op.cancel.cancel();
                return;
            }
        }
        all.remove(id);
    }

    pub fn start_verify(
        self: &Arc<Self>,
        destination_id: &str,
        object: &str,
    ) -> Result<String, EngineError> {
        let (destination, key, keys) = self.open(destination_id, object)?;
        let engine = self.engine.clone();
        let destination_id_owned = destination_id.to_owned();
        self.spawn(
            OperationKind::Verify,
            destination_id,
            object,
            None,
            move |progress, cancel| async move {
                let result = verify(destination, &key, keys, &progress, &cancel).await;
                engine.record_check(
                    &destination_id_owned,
                    key.as_str(),
                    result.as_ref().err(),
                    jiff::Timestamp::now(),
                );
                let report = result?;
                let mut summary = if report.authenticated {
                    format!(
                        "Every chunk of {} is authentic ({} of data)",
                        report.object,
                        human_size(report.plain_size)
                    )
                } else {
                    format!(
                        "{} reads whole ({} of data); it is not encrypted, so its checksums show damage but not changes made on purpose",
                        report.object,
                        human_size(report.plain_size)
                    )
                };
                if report.manifest_checked {
                    summary.push_str(", and it matches its manifest");
                }
                Ok((summary, report.warnings))
            },
        )
    }

    /// `decrypt`: the original data (decrypted, decompressed); otherwise the object as
    /// stored, still encrypted. Either way written to a temporary name, renamed when whole.
    pub fn start_download(
        self: &Arc<Self>,
        destination_id: &str,
        object: &str,
        target: &Path,
        decrypt: bool,
        allow_unencrypted: bool,
    ) -> Result<String, EngineError> {
        let target = checked_target(target)?;
        let (destination, key, keys) = self.open(destination_id, object)?;
        let trust = self
            .engine
            .trust_for(destination_id, object, allow_unencrypted)?;
        self.spawn(
            OperationKind::Download,
            destination_id,
            object,
            None,
            move |progress, cancel| async move {
                if decrypt {
                    let report = restore_to_file(
                        destination,
                        &key,
                        keys,
                        trust,
                        &target,
                        false,
                        &progress,
                        &cancel,
                    )
                    .await?;
                    Ok((
                        format!(
                            "Saved the data of {} to {} ({})",
                            report.object,
                            target.display(),
                            human_size(report.plain_size)
                        ),
                        report.warnings,
                    ))
                } else {
                    let size = download_raw(destination, &key, &target, &progress, &cancel).await?;
                    Ok((
                        format!(
                            "Saved {} as stored (encrypted) to {} ({})",
                            key,
                            target.display(),
                            human_size(size)
                        ),
                        Vec::new(),
                    ))
                }
            },
        )
    }

    pub fn start_restore(
        self: &Arc<Self>,
        destination_id: &str,
        object: &str,
        request: RestoreRequest,
    ) -> Result<String, EngineError> {
        let (destination, key, keys) = self.open(destination_id, object)?;
        let source = Arc::new(self.engine.open_source(&request.source_id)?);
        let into = RestoreInto {
            database: request.database.filter(|d| !d.trim().is_empty()),
            path: match request.path.filter(|p| !p.trim().is_empty()) {
                Some(p) => Some(checked_target(Path::new(p.trim()))?),
                None => None,
            },
            clean: false,
            overwrite: request.overwrite,
            count_rows: false,
            trust: self
                .engine
                .trust_for(destination_id, object, request.allow_unencrypted)?,
        };
        self.spawn(
            OperationKind::Restore,
            destination_id,
            object,
            None,
            move |progress, cancel| async move {
                let report =
                    restore_to_source(destination, &key, keys, source, into, &progress, &cancel)
                        .await?;
                let mut warnings = report.read.warnings;
                warnings.extend(report.warnings);
                Ok((
                    format!("Restored {} into {}", report.read.object, report.target),
                    warnings,
                ))
            },
        )
    }

    fn open(
        &self,
        destination_id: &str,
        object: &str,
    ) -> Result<(Arc<dyn Destination>, ObjectKey, SharedKeys), EngineError> {
        let (_, destination) = self.engine.open_destination(destination_id)?;
        let key = ObjectKey::new(object)?;
        let keys: SharedKeys = Arc::new(self.engine.key_lookup()?);
        Ok((destination, key, keys))
    }

    fn spawn<F, Fut>(
        self: &Arc<Self>,
        kind: OperationKind,
        destination_id: &str,
        object: &str,
        total: Option<u64>,
        work: F,
    ) -> Result<String, EngineError>
    where
        F: FnOnce(ProgressReporter, CancellationToken) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Outcome> + Send + 'static,
    {
        let id = uuid::Uuid::new_v4().to_string();
        let (reporter, progress) = ProgressReporter::new(total);
        let cancel = CancellationToken::new();
        let (done_tx, done) = watch::channel(false);
        {
            let mut all = self.lock();
            if all.values().any(|op| {
                op.outcome.is_none() && op.object == object && op.destination_id == destination_id
            }) {
                return Err(EngineError::invalid(
                    "object",
                    format!("{object} is already being verified, downloaded or restored; wait for it or cancel it"),
                ));
            }
            all.insert(
                id.clone(),
                Running {
                    seq: self
                        .started
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                    kind,
                    destination_id: destination_id.to_owned(),
                    object: object.to_owned(),
                    progress,
                    cancel: cancel.clone(),
                    outcome: None,
                    done,
                },
            );
        }
        let this = Arc::clone(self);
        let op_id = id.clone();
        tokio::spawn(async move {
            let outcome = work(reporter, cancel).await;
            match &outcome {
                Ok((summary, _)) => tracing::info!(op = ?kind, "{summary}"),
                Err(e) => tracing::warn!(op = ?kind, "failed: {e}"),
            }
            if let Some(op) = this.lock().get_mut(&op_id) {
                op.outcome = Some(outcome.map_err(|e| FailureView {
                    code: e.code(),
                    message: e.to_string(),
                }));
            }
            let _ = done_tx.send(true);
        });
        Ok(id)
    }
}

/// An absolute path (or one in the home folder, `~/...`) whose folder exists and where
/// no file is yet.
fn checked_target(target: &Path) -> Result<PathBuf, EngineError> {
    let expanded;
    let target = match (target.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => {
            expanded = PathBuf::from(home).join(rest);
            expanded.as_path()
        }
        _ => target,
    };
    if !target.is_absolute() {
        return Err(EngineError::invalid(
            "target",
            format!("{} is relative; give the full path", target.display()),
        ));
    }
    match target.parent() {
        Some(dir) if dir.is_dir() => {}
        _ => {
            return Err(EngineError::invalid(
                "target",
                format!(
                    "the folder of {} does not exist; create it or choose another",
                    target.display()
                ),
            ))
        }
    }
    if target.exists() {
        return Err(EngineError::invalid(
            "target",
            format!(
                "{} already exists; choose a new file name",
                target.display()
            ),
        ));
    }
    Ok(target.to_path_buf())
}

async fn download_raw(
    destination: Arc<dyn Destination>,
    key: &ObjectKey,
    target: &Path,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<u64, EngineError> {
    use sha2::Digest;
    let size = crate::restore::existing(destination.as_ref(), key)
        .await?
        .size;
    // The copy is checked as a restore is: length and SHA-256 against the manifest.
    let mut warnings = Vec::new();
    let manifest = crate::restore::fetch_manifest(destination.as_ref(), key, &mut warnings).await?;
    let (created, temp) = crate::transfer::publish::create_partial(target)?;
    let result = async {
        let mut file = tokio::fs::File::from_std(created);
        let mut hash = sha2::Sha256::new();
        let mut done = 0;
        while done < size {
            if cancel.is_cancelled() {
                return Err(EngineError::Cancelled);
            }
            let end = (done + RAW_CHUNK).min(size);
            let bytes = destination.get_range(key, done, end).await?;
            if bytes.len() as u64 != end - done {
                return Err(EngineError::Mismatch {
                    object: key.to_string(),
                    detail: format!(
                        "the server sent {} bytes of a {}-byte range",
                        bytes.len(),
                        end - done
                    ),
                });
            }
            hash.update(&bytes);
            file.write_all(&bytes)
                .await
                .map_err(|e| EngineError::RestoreTarget {
                    kind: e.kind(),
                    detail: format!("cannot write {}: {e}", temp.display()),
                })?;
            done = end;
            progress.update(Phase::Transferring, done, done);
        }
        file.sync_all()
            .await
            .map_err(|e| EngineError::RestoreTarget {
                kind: e.kind(),
                detail: format!("cannot write {}: {e}", temp.display()),
            })?;
        if let Some(m) = &manifest {
            let sha = hex::encode(hash.finalize());
            if m.stored_size != size || m.sha256 != sha {
                return Err(EngineError::Mismatch {
                    object: key.to_string(),
                    detail: format!(
                        "the copy has {size} bytes with SHA-256 {sha}, the manifest says {} bytes with {}",
                        m.stored_size, m.sha256
                    ),
                });
            }
        }
        crate::transfer::publish::publish(&temp, target, false)?;
        progress.update(Phase::Done, size, size);
        Ok(size)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

impl Engine {
    /// What a restore of a catalogued backup accepts: when the catalog says an
    /// encrypting job of this computer made it, only an encrypted archive.
    pub fn trust_for(
        &self,
        destination_id: &str,
        object: &str,
        allow_unencrypted: bool,
    ) -> Result<Trust, EngineError> {
        let job_id = self
            .store()
            .backup(destination_id, object)?
            .and_then(|b| b.job_id);
        let encrypting_job = match job_id.map(|id| self.load_job(&id)) {
            Some(Ok(job)) => job.key_profile_id.is_some().then_some(job.name),
            // A job removed since, or another computer's: the user's choice decides.
            Some(Err(EngineError::Store(dbackup_store::StoreError::NotFound { .. }))) | None => {
                None
            }
            Some(Err(e)) => return Err(e),
        };
        Ok(Trust {
            allow_unencrypted,
            encrypting_job,
        })
    }
}

#[cfg(test)]
mod tests;

//! One backup: a source stream, compressed and encrypted once, fanned out to every
//! destination of the job. Order of writes: data object, then its manifest; a failed
//! or cancelled backup aborts its uploads and leaves nothing that looks complete.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use dbackup_archive::{
    ArchiveError, ArchiveWriter, Compression, EncryptionSetting, Randomness, WriterSettings,
    FORMAT_VERSION,
};
use dbackup_storage::{Destination, ObjectKey, StorageError, Upload};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::manifest::{Manifest, MANIFEST_VERSION};
use crate::transfer::pipe::ChannelWriter;
use crate::transfer::progress::{Phase, ProgressReporter};
use crate::EngineError;

/// Bytes per message between the archive writer and the uploads.
const PIPE_BATCH: usize = 1024 * 1024;
/// Messages in flight: with the uploads' own part buffers, this bounds memory.
const PIPE_DEPTH: usize = 4;

/// A destination with the name people know it by.
#[derive(Debug, Clone)]
pub struct NamedDestination {
    pub name: String,
    pub destination: Arc<dyn Destination>,
}

#[derive(Debug)]
pub struct BackupPlan {
    pub object: ObjectKey,
    pub settings: WriterSettings,
    pub destinations: Vec<NamedDestination>,
    pub trigger: String,
    /// The installation making it; `None` for ad-hoc backups without a state database.
    pub installation_id: Option<String>,
    /// Signs the manifest (see `manifest::auth`); `None` for ad-hoc backups, which no
    /// retention judges.
    pub manifest_key: Option<crate::manifest::auth::ManifestKey>,
    /// The input's size, when known: an upper bound for the stored size that lets
    /// uploads pick fitting part sizes (compression only shrinks; encryption adds
    /// 16 bytes a MiB).
    pub size_hint: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BackupStatus {
    Success,
    /// Stored on some destinations, failed on others.
    Partial,
    Failed,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CopyReport {
    pub destination: String,
    pub stored: bool,
    /// Why this copy failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    pub status: BackupStatus,
    pub object: String,
    pub manifest: Manifest,
    pub copies: Vec<CopyReport>,
}

impl BackupReport {
    /// Whether at least one destination holds this backup.
    pub fn stored_anywhere(&self) -> bool {
        self.copies.iter().any(|c| c.stored)
    }
}

/// Counts what the archive writer pulls from the source.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

struct Produced {
    plain: u64,
    stored: u64,
    sha256: [u8; 32],
}

/// Where the producer failed: reading the source, or writing the archive.
enum ProduceError {
    Source(io::Error),
    Archive(ArchiveError),
    /// Every destination stopped taking data.
    Downstream,
}

fn produce(
    input: impl Read,
    settings: WriterSettings,
    randomness: Randomness,
    tx: mpsc::Sender<Bytes>,
    count: Arc<AtomicU64>,
) -> Result<Produced, ProduceError> {
    let mut input = CountingReader {
        inner: input,
        count,
    };
    let sink = ChannelWriter::new(tx, PIPE_BATCH);
    let mut archive =
        ArchiveWriter::new(sink, settings, &randomness).map_err(ProduceError::Archive)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ProduceError::Source(e)),
        };
        io::Write::write_all(&mut archive, &buf[..n]).map_err(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                ProduceError::Downstream
            } else {
                ProduceError::Archive(ArchiveError::from(e))
            }
        })?;
    }
    let sink = archive.finish().map_err(ProduceError::Archive)?;
    let plain = input.count.load(Ordering::Relaxed);
    let (stored, sha256) = sink.finish().map_err(|_| ProduceError::Downstream)?;
    Ok(Produced {
        plain,
        stored,
        sha256,
    })
}

struct Copy {
    name: String,
    destination: Arc<dyn Destination>,
    upload: Option<Box<dyn Upload>>,
    error: Option<StorageError>,
}

impl Copy {
    async fn fail(&mut self, error: StorageError) {
        if let Some(upload) = self.upload.take() {
            if let Err(abort) = upload.abort().await {
                tracing::warn!(destination = %self.name, "aborting the upload failed: {abort}");
            }
        }
        tracing::warn!(destination = %self.name, "copy failed: {error}");
        self.error = Some(error);
    }
}

async fn abort_all(copies: &mut [Copy]) {
    for copy in copies {
        if let Some(upload) = copy.upload.take() {
            let _ = upload.abort().await;
        }
    }
}

/// Runs the backup. `input` is read on a blocking thread; compression and encryption
/// happen there too, off the async threads.
pub async fn run_backup(
    input: impl Read + Send + 'static,
    plan: BackupPlan,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<BackupReport, EngineError> {
    if plan.destinations.is_empty() {
        return Err(EngineError::invalid(
            "destinations",
            "choose at least one destination",
        ));
    }
    let randomness = Randomness::generate()?;
    let metadata = plan.settings.metadata.clone();
    let (compression, level) = (plan.settings.compression, plan.settings.level);
    let (encryption, key_id) = match &plan.settings.encryption {
        EncryptionSetting::None => ("none", None),
        EncryptionSetting::KeyProfile(key) => ("key", Some(key.id().to_string())),
        EncryptionSetting::Passphrase { .. } => ("passphrase", None),
    };

    let mut copies = Vec::new();
    for named in &plan.destinations {
        let (upload, error) = match named
            .destination
            .start_upload(&plan.object, plan.size_hint)
            .await
        {
            Ok(upload) => (Some(upload), None),
            Err(e) => (None, Some(e)),
        };
        copies.push(Copy {
            name: named.name.clone(),
            destination: named.destination.clone(),
            upload,
            error,
        });
    }
    if copies.iter().all(|c| c.upload.is_none()) {
        return Err(all_failed(copies));
    }

    let (tx, mut rx) = mpsc::channel::<Bytes>(PIPE_DEPTH);
    let count = Arc::new(AtomicU64::new(0));
    let producer = {
        let count = count.clone();
        let settings = plan.settings;
        tokio::task::spawn_blocking(move || produce(input, settings, randomness, tx, count))
    };
    progress.update(Phase::Transferring, 0, 0);

    let mut stored = 0u64;
    loop {
        let chunk = tokio::select! {
            _ = cancel.cancelled() => {
                drop(rx);
                abort_all(&mut copies).await;
                let _ = producer.await;
                return Err(EngineError::Cancelled);
            }
            chunk = rx.recv() => chunk,
        };
        let Some(chunk) = chunk else { break };
        stored += chunk.len() as u64;
        let writes = copies.iter_mut().map(|copy| {
            let chunk = chunk.clone();
            async move {
                let result = match copy.upload.as_mut() {
                    Some(upload) => upload.write(chunk).await,
                    None => return,
                };
                if let Err(e) = result {
                    copy.fail(e).await;
                }
            }
        });
        futures::future::join_all(writes).await;
        progress.update(Phase::Transferring, count.load(Ordering::Relaxed), stored);
        if copies.iter().all(|c| c.upload.is_none()) {
            // Nobody is taking data: stop the producer, report every failure.
            drop(rx);
            let _ = producer.await;
            return Err(all_failed(copies));
        }
    }

    let produced = match producer.await {
        Ok(Ok(produced)) => produced,
        Ok(Err(e)) => {
            abort_all(&mut copies).await;
            return Err(match e {
                ProduceError::Source(e) => EngineError::SourceFailed {
                    detail: e.to_string(),
                },
                ProduceError::Archive(e) => e.into(),
                ProduceError::Downstream => all_failed(copies),
            });
        }
        Err(join) => {
            abort_all(&mut copies).await;
            return Err(EngineError::Internal {
                detail: format!("the compression task failed: {join}"),
            });
        }
    };

    progress.update(Phase::Finishing, produced.plain, produced.stored);
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        format_version: FORMAT_VERSION,
        object: plan.object.to_string(),
        job_id: metadata.job_id.clone(),
        job_name: metadata.job_name.clone(),
        source_kind: metadata.source_kind.clone(),
        db_engine: metadata.db_engine.clone(),
        db_version: metadata.db_version.clone(),
        installation_id: plan.installation_id.clone(),
        database: metadata.database.clone(),
        compression: match compression {
            Compression::None => "none".into(),
            Compression::Zstd => "zstd".into(),
        },
        compression_level: if compression == Compression::None {
            0
        } else {
            level
        },
        encryption: encryption.into(),
        key_id,
        plain_size: produced.plain,
        stored_size: produced.stored,
        sha256: hex::encode(produced.sha256),
        created_at: metadata.created_at.to_string(),
        trigger: plan.trigger,
        locked: false,
        object_lock: None,
        auth: None,
    };
    let mut manifest = manifest;
    if let Some(key) = &plan.manifest_key {
        manifest.auth = Some(key.tag(&manifest)?);
    }
    let manifest_key = Manifest::key_for(&plan.object)?;
    let manifest_json = Bytes::from(manifest.to_json()?);

    for copy in &mut copies {
        let Some(upload) = copy.upload.take() else {
            continue;
        };
        if cancel.is_cancelled() {
            let _ = upload.abort().await;
            copy.error = Some(StorageError::Aborted {
                key: plan.object.to_string(),
            });
            continue;
        }
        match upload.complete().await {
            Ok(_) => {
                // Data first, then the manifest: a crash between the two leaves a data
                // object without a manifest, which readers handle via its header.
                if let Err(e) = copy
                    .destination
                    .put(&manifest_key, manifest_json.clone())
                    .await
                {
                    copy.error = Some(e);
                }
            }
            Err(e) => copy.error = Some(e),
        }
    }
    if cancel.is_cancelled() {
        let stored: Vec<Arc<dyn Destination>> = copies
            .iter()
            .filter(|c| c.error.is_none())
            .map(|c| c.destination.clone())
            .collect();
        for destination in stored {
            let _ = destination.delete(&manifest_key).await;
            let _ = destination.delete(&plan.object).await;
        }
        return Err(EngineError::Cancelled);
    }
    progress.update(Phase::Done, produced.plain, produced.stored);

    let reports: Vec<CopyReport> = copies
        .iter()
        .map(|c| CopyReport {
            destination: c.name.clone(),
            stored: c.error.is_none(),
            error: c.error.as_ref().map(|e| e.to_string()),
        })
        .collect();
    let ok = reports.iter().filter(|r| r.stored).count();
    let status = match ok {
        0 => BackupStatus::Failed,
        n if n == reports.len() => BackupStatus::Success,
        _ => BackupStatus::Partial,
    };
    Ok(BackupReport {
        status,
        object: plan.object.to_string(),
        manifest,
        copies: reports,
    })
}

/// `wanted`, or the first of `<name>-2.dbk`, `<name>-3.dbk`... that no destination holds
/// yet: a backup never replaces another (two runs within one second share a name).
pub async fn free_object_name(
    destinations: &[NamedDestination],
    wanted: ObjectKey,
) -> Result<ObjectKey, EngineError> {
    let (stem, extension) = match wanted.as_str().rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => (stem.to_owned(), format!(".{ext}")),
        _ => (wanted.to_string(), String::new()),
    };
    let mut candidate = wanted;
    for n in 2..=1000u32 {
        let mut taken = false;
        for named in destinations {
            // A destination that cannot answer now will fail its upload on its own.
            if let Ok(Some(_)) = named.destination.head(&candidate).await {
                taken = true;
                break;
            }
        }
        if !taken {
            return Ok(candidate);
        }
        candidate = ObjectKey::new(format!("{stem}-{n}{extension}"))?;
    }
    Err(EngineError::invalid(
        "name",
        "a thousand backups of this name already exist for this second; try again in a second",
    ))
}

fn all_failed(copies: Vec<Copy>) -> EngineError {
    let failures = copies
        .into_iter()
        .map(|c| {
            let why = c
                .error
                .map(|e| e.to_string())
                .unwrap_or_else(|| "stopped".into());
            format!("{}: {why}", c.name)
        })
        .collect::<Vec<_>>()
        .join("; ");
    EngineError::AllDestinationsFailed { failures }
}

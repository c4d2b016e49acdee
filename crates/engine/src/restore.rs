//! Reading a backup back: parallel ranged downloads with bounded memory, then
//! decryption and decompression on a blocking thread, into a file (restore) or into
//! nothing (verify). Every chunk is authenticated on the way; the stored object's
//! SHA-256 and sizes are compared with its manifest.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use dbackup_archive::{default_threads, ArchiveError, ArchiveReader, CopyError, Header, KeyLookup};
use dbackup_storage::{Destination, ObjectKey, StorageError};
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::manifest::Manifest;
use crate::transfer::durable::{Caching, DurableFile};
use crate::transfer::pipe::{ChannelReader, HashingReader};
use crate::transfer::progress::{Phase, ProgressReporter};
use crate::EngineError;

/// Bytes per ranged GET.
const RANGE: u64 = 4 * 1024 * 1024;
/// Ranged GETs in flight; memory is about (in flight + queue + 1) x RANGE. Six
/// keep 24 MiB in flight, enough to hide a long-distance round trip; the
/// decoding side holds a few frames more (dbackup_archive::ArchiveReader::copy_to).
const RANGES_IN_FLIGHT: usize = 6;
const QUEUE: usize = 1;

pub type SharedKeys = Arc<dyn KeyLookup + Send + Sync>;

/// What a restore accepts from a destination. Anyone who can write there (or sit on
/// the path of a plain-HTTP endpoint) can plant an archive, and only one encrypted
/// with one of the user's keys cannot be forged (reading it authenticates every
/// chunk): restoring an unencrypted one is the user's explicit choice, and a backup
/// of a job that encrypts must be encrypted with a key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// The user chose to accept an unencrypted archive.
    pub allow_unencrypted: bool,
    /// The name of the job the catalog says made it, when that job encrypts: then
    /// only an archive encrypted with a key is accepted, whatever the choice above.
    pub encrypting_job: Option<String>,
}

impl Trust {
    /// For reads that only check (verify): nothing read is kept or run.
    pub fn checking_only() -> Self {
        Self {
            allow_unencrypted: true,
            encrypting_job: None,
        }
    }

    pub fn allowing_unencrypted(allow: bool) -> Self {
        Self {
            allow_unencrypted: allow,
            encrypting_job: None,
        }
    }

    /// Refuses what this trust does not accept. `encryption` is `none`, `key` or
    /// `passphrase`, as the header says.
    pub fn check(&self, object: &str, encryption: &str) -> Result<(), EngineError> {
        if let Some(job) = &self.encrypting_job {
            if encryption != "key" {
                let found = if encryption == "passphrase" {
                    "is encrypted with a passphrase instead"
                } else {
                    "is not encrypted"
                };
                return Err(EngineError::NotFromJob {
                    object: object.to_owned(),
                    detail: format!(
                        "the job {job} encrypts its backups with a key, and this one {found}"
                    ),
                });
            }
            return Ok(());
        }
        if encryption == "none" && !self.allow_unencrypted {
            return Err(EngineError::Unencrypted {
                object: object.to_owned(),
            });
        }
        Ok(())
    }

    fn check_header(&self, object: &str, header: &Header) -> Result<(), EngineError> {
        self.check(object, encryption_name(header))
    }
}

/// `none`, `key` or `passphrase`: how manifests and inspections name a header's encryption.
pub(crate) fn encryption_name(header: &Header) -> &'static str {
    match header.encryption {
        dbackup_archive::EncryptionInfo::None => "none",
        dbackup_archive::EncryptionInfo::KeyProfile { .. } => "key",
        dbackup_archive::EncryptionInfo::Passphrase { .. } => "passphrase",
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadReport {
    pub object: String,
    /// Bytes after decryption and decompression.
    pub plain_size: u64,
    pub stored_size: u64,
    pub sha256: String,
    /// Whether a usable manifest was found and matched.
    pub manifest_checked: bool,
    /// Whether the archive is encrypted, so every chunk was authenticated; an
    /// unencrypted one is only checked by its checksums, which anyone can recompute.
    pub authenticated: bool,
    /// Notes a person should see (e.g. a missing manifest).
    pub warnings: Vec<String>,
}

/// The object's size and class; NotFound when there is no such object, NeedsRestore
/// when it is in S3 Glacier without a readable restored copy.
pub(crate) async fn existing(
    destination: &dyn Destination,
    object: &ObjectKey,
) -> Result<dbackup_storage::ObjectInfo, EngineError> {
    let info = existing_object(destination, object).await?;
    crate::glacier::ensure_readable(destination, &info).await?;
    Ok(info)
}

/// The object's size and class; NotFound when there is no such object.
pub(crate) async fn existing_object(
    destination: &dyn Destination,
    object: &ObjectKey,
) -> Result<dbackup_storage::ObjectInfo, EngineError> {
    Ok(destination
        .head(object)
        .await?
        .ok_or_else(|| StorageError::NotFound {
            destination: "the destination".into(),
            key: object.to_string(),
        })?)
}

/// Fetches the manifest, tolerating its absence or damage (the header suffices).
pub(crate) async fn fetch_manifest(
    destination: &dyn Destination,
    object: &ObjectKey,
    warnings: &mut Vec<String>,
) -> Result<Option<Manifest>, EngineError> {
    let key = Manifest::key_for(object)?;
    match destination.get(&key).await {
        Ok(bytes) => match Manifest::parse(&bytes) {
            Some(m) => Ok(Some(m)),
            None => {
                warnings.push(format!(
                    "the manifest {key} is damaged; checked against the archive header only"
                ));
                Ok(None)
            }
        },
        Err(StorageError::NotFound { .. }) => {
            warnings.push(format!(
                "no manifest {key}; checked against the archive header only"
            ));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn spawn_download(
    destination: Arc<dyn Destination>,
    object: ObjectKey,
    size: u64,
    tx: mpsc::Sender<io::Result<Bytes>>,
    downloaded: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let ranges = (0..size.div_ceil(RANGE)).map(|i| (i * RANGE, ((i + 1) * RANGE).min(size)));
        let mut parts = futures::stream::iter(ranges)
            .map(|(start, end)| {
                let destination = destination.clone();
                let object = object.clone();
                async move {
                    destination
                        .get_range(&object, start, end)
                        .await
                        .map(|b| (b, end - start))
                }
            })
            .buffered(RANGES_IN_FLIGHT);
        while let Some(part) = parts.next().await {
            let item = match part {
                Ok((bytes, expected)) if bytes.len() as u64 == expected => Ok(bytes),
                Ok((bytes, expected)) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the server sent {} bytes of a {expected}-byte range",
                        bytes.len()
                    ),
                )),
                Err(e) => Err(io::Error::other(e.to_string())),
            };
            let failed = item.is_err();
            if let Ok(bytes) = &item {
                downloaded.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    })
}

/// Streams the object through the archive reader into `sink`.
async fn read_into<W: Write + Send + 'static>(
    destination: Arc<dyn Destination>,
    object: &ObjectKey,
    keys: SharedKeys,
    trust: Trust,
    sink: W,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<(ReadReport, W, Header), EngineError> {
    let mut warnings = Vec::new();
    let manifest = fetch_manifest(destination.as_ref(), object, &mut warnings).await?;
    let info = existing(destination.as_ref(), object).await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    let downloaded = Arc::new(AtomicU64::new(0));
    let download = spawn_download(
        destination,
        object.clone(),
        info.size,
        tx,
        downloaded.clone(),
    );
    let written = Arc::new(AtomicU64::new(0));
    let written2 = written.clone();
    let object_name = object.to_string();
    let mut decode = tokio::task::spawn_blocking(move || {
        let mut hashing = HashingReader::new(ChannelReader::new(rx));
        let reader = ArchiveReader::open(&mut hashing, keys.as_ref())?;
        let header = reader.header().clone();
        // Before a byte reaches the target.
        trust
            .check_header(&object_name, &header)
            .map_err(ReadFailure::Refused)?;
        // Reading, decrypting and hashing on one thread, decompressing on one per
        // core, and writing the target on this one: none waits for another.
        let mut sink = CountingWriter {
            inner: sink,
            count: written2,
        };
        reader
            .copy_to(&mut sink, default_threads())
            .map_err(|e| match e {
                CopyError::Archive(e) => ReadFailure::Archive(e),
                CopyError::Output(e) => ReadFailure::Target(e),
            })?;
        sink.flush().map_err(ReadFailure::Target)?;
        // Anything after the archive's end was already refused by the reader; drain
        // nothing more. The hash covers every byte the reader consumed.
        let (stored, sha) = hashing.finish();
        Ok((stored, sha, header, sink.inner))
    });
    let result = loop {
        tokio::select! {
            _ = cancel.cancelled() => {
                download.abort();
                decode.abort();
                return Err(EngineError::Cancelled);
            }
            done = &mut decode => break done,
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                progress.update(Phase::Transferring, written.load(Ordering::Relaxed), downloaded.load(Ordering::Relaxed));
            }
        }
    };
    download.abort();
    let (stored, sha, header, sink) = match result {
        Ok(Ok(v)) => v,
        Ok(Err(ReadFailure::Archive(e))) => return Err(e.into()),
        Ok(Err(ReadFailure::Refused(e))) => return Err(e),
        Ok(Err(ReadFailure::Target(e))) => {
            return Err(EngineError::RestoreTarget {
                kind: e.kind(),
                detail: e.to_string(),
            })
        }
        Err(join) => {
            return Err(EngineError::Internal {
                detail: format!("the decryption task failed: {join}"),
            })
        }
    };
    let sha = hex::encode(sha);
    if stored != info.size {
        return Err(EngineError::Mismatch {
            object: object.to_string(),
            detail: format!(
                "the archive ended after {stored} of the object's {} bytes",
                info.size
            ),
        });
    }
    let mut manifest_checked = false;
    if let Some(m) = manifest {
        // Retention and the explorer go by the manifest: it must say what the archive's
        // header (bound to every chunk) says.
        let metadata = &header.metadata;
        let created = m.created_at.parse::<jiff::Timestamp>().ok();
        for (what, agrees) in [
            ("job", m.job_id == metadata.job_id),
            ("database", m.database == metadata.database),
            ("creation time", created == Some(metadata.created_at)),
        ] {
            if !agrees {
                return Err(EngineError::Mismatch {
                    object: object.to_string(),
                    detail: format!("its manifest names another {what} than the archive's header"),
                });
            }
        }
        if m.stored_size != stored {
            return Err(EngineError::Mismatch {
                object: object.to_string(),
                detail: format!(
                    "the manifest says {} bytes, the object has {stored}",
                    m.stored_size
                ),
            });
        }
        if m.sha256 != sha {
            return Err(EngineError::Mismatch {
                object: object.to_string(),
                detail: format!("SHA-256 is {sha}, the manifest says {}", m.sha256),
            });
        }
        let plain = written.load(Ordering::Relaxed);
        if m.plain_size != plain {
            return Err(EngineError::Mismatch {
                object: object.to_string(),
                detail: format!("restored {plain} bytes, the manifest says {}", m.plain_size),
            });
        }
        manifest_checked = true;
    }
    let plain = written.load(Ordering::Relaxed);
    progress.update(Phase::Done, plain, stored);
    Ok((
        ReadReport {
            object: object.to_string(),
            plain_size: plain,
            stored_size: stored,
            sha256: sha,
            manifest_checked,
            authenticated: encryption_name(&header) != "none",
            warnings,
        },
        sink,
        header,
    ))
}

enum ReadFailure {
    Archive(ArchiveError),
    Target(io::Error),
    /// The archive is not one this restore trusts.
    Refused(EngineError),
}

impl From<ArchiveError> for ReadFailure {
    fn from(e: ArchiveError) -> Self {
        Self::Archive(e)
    }
}

struct CountingWriter<W> {
    inner: W,
    count: Arc<AtomicU64>,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Downloads, authenticates every chunk, decompresses to nowhere and compares with
/// the manifest.
pub async fn verify(
    destination: Arc<dyn Destination>,
    object: &ObjectKey,
    keys: SharedKeys,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<ReadReport, EngineError> {
    let (report, _, _) = read_into(
        destination,
        object,
        keys,
        Trust::checking_only(),
        io::sink(),
        progress,
        cancel,
    )
    .await?;
    Ok(report)
}

/// Restores into `target`: written to a temp file beside it and renamed into place
/// only when complete and checked, so a failure (disk full, wrong key, damage) never
/// leaves a partial file under the final name, nor touches an existing one.
#[allow(clippy::too_many_arguments)]
pub async fn restore_to_file(
    destination: Arc<dyn Destination>,
    object: &ObjectKey,
    keys: SharedKeys,
    trust: Trust,
    target: &Path,
    overwrite: bool,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<ReadReport, EngineError> {
    if target.exists() && !overwrite {
        return Err(EngineError::invalid(
            "target",
            format!(
                "{} already exists; choose another path or confirm overwriting it",
                target.display()
            ),
        ));
    }
    let (created, temp) = crate::transfer::publish::create_partial(target)?;
    drop(created);
    let file = match DurableFile::create(&temp, Caching::Bypass) {
        Ok(file) => file,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(EngineError::RestoreTarget {
                kind: e.kind(),
                detail: format!("cannot create {}: {e}", temp.display()),
            });
        }
    };
    let result = read_into(destination, object, keys, trust, file, progress, cancel).await;
    let finished = result.and_then(|(report, file, _)| {
        let file = file.finish().map_err(|e| EngineError::RestoreTarget {
            kind: e.kind(),
            detail: format!("cannot write {}: {e}", temp.display()),
        })?;
        drop(file);
        crate::transfer::publish::publish(&temp, target, overwrite)?;
        Ok(report)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    finished
}

/// Restores into a consumer on its own thread (a database's restore tool, a folder
/// unpacker). The consumer sees the end of its input only after every chunk is
/// authenticated and the object checked against its manifest; on any failure its
/// input fails instead, so it never takes a cut-off stream for a complete one.
pub async fn restore_into<T: Send + 'static>(
    destination: Arc<dyn Destination>,
    object: &ObjectKey,
    keys: SharedKeys,
    trust: Trust,
    consumer: impl FnOnce(&mut dyn io::Read) -> Result<T, EngineError> + Send + 'static,
    progress: &ProgressReporter,
    cancel: &CancellationToken,
) -> Result<(ReadReport, T), EngineError> {
    let (writer, mut reader) = crate::transfer::pipe::handoff(8);
    let consumer = tokio::task::spawn_blocking(move || consumer(&mut reader));
    let read = read_into(destination, object, keys, trust, writer, progress, cancel).await;
    let read = match read {
        Ok((report, writer, _)) => {
            writer.finish();
            Ok(report)
        }
        Err(e) => Err(e),
    };
    let consumed = consumer.await.map_err(|join| EngineError::Internal {
        detail: format!("the restore task failed: {join}"),
    })?;
    match (read, consumed) {
        (Ok(report), Ok(value)) => Ok((report, value)),
        // The consumer stopped reading first: its error is the cause.
        (Err(EngineError::RestoreTarget { .. }), Err(e)) => Err(e),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unencrypted_archive_is_restored_only_by_choice_and_never_for_an_encrypting_job() {
        let refused = Trust::default().check("a.dbk", "none").unwrap_err();
        assert!(
            matches!(refused, EngineError::Unencrypted { .. }),
            "{refused}"
        );
        assert_eq!(refused.code(), crate::ErrorCode::InvalidInput);
        Trust::allowing_unencrypted(true)
            .check("a.dbk", "none")
            .unwrap();
        Trust::default().check("a.dbk", "key").unwrap();
        Trust::default().check("a.dbk", "passphrase").unwrap();

        let job = Trust {
            allow_unencrypted: true,
            encrypting_job: Some("orders".into()),
        };
        job.check("a.dbk", "key").unwrap();
        for planted in ["none", "passphrase"] {
            let e = job.check("a.dbk", planted).unwrap_err();
            assert!(matches!(e, EngineError::NotFromJob { .. }), "{e}");
            assert!(e.to_string().contains("the job orders encrypts"), "{e}");
        }
        // Verifying reads anything: nothing read is kept or run.
        Trust::checking_only().check("a.dbk", "none").unwrap();
    }
}

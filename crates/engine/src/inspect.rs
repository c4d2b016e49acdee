//! Describing a stored backup without its key: the archive header (always readable)
//! and the manifest, if there is one.

use std::sync::Arc;

use dbackup_archive::{read_header, Compression, EncryptionInfo, MAX_METADATA_LEN};
use dbackup_storage::{Destination, ObjectKey, StorageError};
use serde::Serialize;

use crate::manifest::Manifest;
use crate::EngineError;

/// Enough bytes for any valid header: the fixed fields, the largest metadata block
/// and the checksum.
const HEADER_READ: u64 = MAX_METADATA_LEN as u64 + 4096;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    pub object: String,
    pub stored_size: u64,
    pub storage_class: Option<String>,
    pub format_version: u16,
    pub compression: String,
    pub compression_level: u8,
    /// `none`, `key` or `passphrase`.
    pub encryption: String,
    pub key_id: Option<String>,
    pub chunk_size: Option<u32>,
    pub created_at: String,
    pub source_kind: Option<String>,
    pub db_engine: Option<String>,
    pub db_version: Option<String>,
    pub job_name: Option<String>,
    pub job_id: Option<String>,
    pub database: Option<String>,
    /// The sidecar, when present and readable.
    pub manifest: Option<Manifest>,
}

pub async fn inspect(
    destination: Arc<dyn Destination>,
    object: &ObjectKey,
) -> Result<Inspection, EngineError> {
    let info = crate::restore::existing(destination.as_ref(), object).await?;
    let head = destination
        .get_range(object, 0, info.size.min(HEADER_READ))
        .await?;
    let header = read_header(&mut std::io::Cursor::new(&head[..]))?;
    let manifest = match destination.get(&Manifest::key_for(object)?).await {
        Ok(bytes) => Manifest::parse(&bytes),
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let (encryption, key_id) = match &header.encryption {
        EncryptionInfo::None => ("none", None),
        EncryptionInfo::KeyProfile { key_id, .. } => ("key", Some(key_id.to_string())),
        EncryptionInfo::Passphrase { .. } => ("passphrase", None),
    };
    let meta = header.metadata.clone();
    Ok(Inspection {
        object: object.to_string(),
        stored_size: info.size,
        storage_class: info.storage_class,
        format_version: header.version,
        compression: match header.compression {
            Compression::None => "none".into(),
            Compression::Zstd => "zstd".into(),
        },
        compression_level: header.compression_level,
        encryption: encryption.into(),
        key_id,
        chunk_size: header.chunk_size(),
        created_at: meta.created_at.to_string(),
        source_kind: meta.source_kind,
        db_engine: meta.db_engine,
        db_version: meta.db_version,
        job_name: meta.job_name,
        job_id: meta.job_id,
        database: meta.database,
        manifest,
    })
}

//! The sidecar written next to each backup (`<object>.meta.json`): what it is, how to
//! read it and how to check it, readable without the key. Always stored in the
//! STANDARD class so it stays readable while the data object is in Glacier.

use dbackup_storage::ObjectKey;
use serde::{Deserialize, Serialize};

use crate::EngineError;

pub mod auth;

pub const MANIFEST_VERSION: u32 = 1;
pub const MANIFEST_SUFFIX: &str = ".meta.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub manifest_version: u32,
    /// The archive format version of the data object.
    pub format_version: u16,
    /// The data object's key, relative to the destination's root.
    pub object: String,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub job_name: Option<String>,
    #[serde(default)]
    pub source_kind: Option<String>,
    #[serde(default)]
    pub db_engine: Option<String>,
    #[serde(default)]
    pub db_version: Option<String>,
    /// The installation (computer) that made it: retention judges only its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_id: Option<String>,
    /// The database this backup holds, for servers with several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `zstd` or `none`.
    pub compression: String,
    pub compression_level: i32,
    /// `none`, `key` (a key profile) or `passphrase`.
    pub encryption: String,
    /// The key profile's id (never the key).
    #[serde(default)]
    pub key_id: Option<String>,
    /// Bytes read from the source.
    pub plain_size: u64,
    /// Bytes of the stored object.
    pub stored_size: u64,
    /// SHA-256 of the stored object, hex.
    pub sha256: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// `manual`, `schedule`, `catch_up`, `cli`.
    pub trigger: String,
    /// Locked by the user: retention never deletes it.
    #[serde(default)]
    pub locked: bool,
    /// S3 Object Lock retention of the data object, as set through DBackup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock: Option<dbackup_storage::ObjectRetention>,
    /// HMAC-SHA-256 (hex) over the rest of the manifest (see `auth`): retention
    /// deletes only backups whose manifest checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
}

impl Manifest {
    pub fn key_for(object: &ObjectKey) -> Result<ObjectKey, EngineError> {
        Ok(ObjectKey::new(format!("{object}{MANIFEST_SUFFIX}"))?)
    }

    pub fn to_json(&self) -> Result<Vec<u8>, EngineError> {
        serde_json::to_vec_pretty(self).map_err(|e| EngineError::Internal {
            detail: format!("cannot encode a manifest: {e}"),
        })
    }

    /// Parses a sidecar; `None` when it is damaged (readers fall back to the header).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

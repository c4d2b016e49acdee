//! Where backups are stored. Every backend implements [`Destination`]; the engine
//! never knows which one it talks to. Keys are relative to the destination's root
//! (its folder, or its bucket and path prefix) and always use `/` as separator.

mod credentials;
mod error;
mod glacier;
mod key;
mod local;
mod object_lock;
pub mod probe;
mod s3;

pub use credentials::S3Credentials;
pub use error::StorageError;
pub use glacier::{needs_restore, ArchiveState, RestoreRequested, RestoreTier};
pub use key::ObjectKey;
pub use local::LocalFolder;
pub use object_lock::{LockMode, ObjectRetention};
pub use s3::{
    S3Destination, S3Settings, ServerSideEncryption, DEFAULT_ANSWER_WAIT, DEFAULT_PARTS_IN_FLIGHT,
    DEFAULT_PART_SIZE, SLOWEST_UPLOAD,
};

use async_trait::async_trait;
use bytes::Bytes;
use jiff::Timestamp;

/// An object as listed or inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: ObjectKey,
    pub size: u64,
    pub modified: Option<Timestamp>,
    /// The S3 storage class (`STANDARD` when the server omits it); `None` for folders.
    pub storage_class: Option<String>,
}

#[async_trait]
pub trait Destination: Send + Sync + std::fmt::Debug {
    /// Stores a small object in one request, replacing any object of that key.
    async fn put(&self, key: &ObjectKey, body: Bytes) -> Result<(), StorageError>;
    /// Starts a streamed upload. Nothing is visible under `key` until `complete`.
    /// `size_hint` (an upper bound of the final size, when known) lets multipart
    /// uploads choose parts large enough for S3's 10,000-part limit.
    async fn start_upload(
        &self,
        key: &ObjectKey,
        size_hint: Option<u64>,
    ) -> Result<Box<dyn Upload>, StorageError>;
    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StorageError>;
    /// Bytes `start..end` (end exclusive) of the object.
    async fn get_range(&self, key: &ObjectKey, start: u64, end: u64)
        -> Result<Bytes, StorageError>;
    /// The object's size and class, or `None` if there is no such object.
    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StorageError>;
    /// Every object whose key starts with `prefix`, across all pages, sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError>;
    /// Deletes the object; deleting a missing object is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError>;

    /// Whether objects here can get S3 Object Lock retention (a bucket created with
    /// Object Lock enabled). Folders: never.
    async fn object_lock_enabled(&self) -> Result<bool, StorageError> {
        Ok(false)
    }

    /// Gives the object Object Lock retention until a date.
    async fn set_retention(
        &self,
        key: &ObjectKey,
        retention: &ObjectRetention,
    ) -> Result<(), StorageError> {
        let _ = (key, retention);
        Err(StorageError::ObjectLockUnavailable {
            destination: format!("{self:?}"),
        })
    }

    /// Whether the object can be read now, or is in an archive storage class (S3
    /// Glacier) and needs or awaits a restore. Folders: always readable.
    async fn archive_state(&self, key: &ObjectKey) -> Result<ArchiveState, StorageError> {
        let _ = key;
        Ok(ArchiveState::Readable)
    }

    /// Asks S3 to make a readable copy of an archived object for `days` days.
    async fn request_restore(
        &self,
        key: &ObjectKey,
        days: u32,
        tier: RestoreTier,
    ) -> Result<RestoreRequested, StorageError> {
        let _ = (days, tier);
        Err(StorageError::NotArchived {
            key: key.to_string(),
            class: "a folder".into(),
        })
    }

    /// The object's Object Lock retention, if it has one.
    async fn retention(&self, key: &ObjectKey) -> Result<Option<ObjectRetention>, StorageError> {
        let _ = key;
        Ok(None)
    }

    /// Aborts the incomplete uploads under `prefix` whose key contains `marker` (left
    /// by a process that was killed: invisible, and billed by S3 until aborted), and
    /// says how many and how many bytes of parts they held. Folders: none.
    async fn abort_incomplete_uploads(
        &self,
        prefix: &str,
        marker: &str,
    ) -> Result<AbortedUploads, StorageError> {
        let _ = (prefix, marker);
        Ok(AbortedUploads::default())
    }
}

/// What aborting incomplete uploads freed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase")]
pub struct AbortedUploads {
    pub uploads: u32,
    /// Bytes of the parts they held.
    pub bytes: u64,
}

/// A streamed upload in progress. Dropping it without `complete` or `abort` leaves
/// at most an incomplete upload that is never visible as an object.
#[async_trait]
pub trait Upload: Send {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError>;
    async fn complete(self: Box<Self>) -> Result<ObjectInfo, StorageError>;
    async fn abort(self: Box<Self>) -> Result<(), StorageError>;
}

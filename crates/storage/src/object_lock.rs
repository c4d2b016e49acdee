//! S3 Object Lock: object-level retention that not even the bucket owner can shorten
//! (COMPLIANCE) or only with a special permission (GOVERNANCE), for immutable backups.
//! Needs a bucket created with Object Lock enabled; folders never have it.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ObjectLockEnabled, ObjectLockRetention, ObjectLockRetentionMode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::s3::S3Destination;
use crate::{ObjectKey, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LockMode {
    /// Users with s3:BypassGovernanceRetention can still remove it.
    Governance,
    /// Nobody can remove it or shorten it until the date passes.
    Compliance,
}

/// An object's Object Lock retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRetention {
    pub mode: LockMode,
    pub until: Timestamp,
}

impl S3Destination {
    pub(crate) async fn object_lock_enabled_s3(&self) -> Result<bool, StorageError> {
        let result = self
            .client()
            .get_object_lock_configuration()
            .bucket(&self.settings().bucket)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .object_lock_configuration()
                .and_then(|c| c.object_lock_enabled())
                == Some(&ObjectLockEnabled::Enabled)),
            Err(e) => {
                use aws_sdk_s3::error::ProvideErrorMetadata;
                match e.code() {
                    // No configuration: the bucket was made without Object Lock.
                    Some("ObjectLockConfigurationNotFoundError")
                    | Some("NoSuchObjectLockConfiguration") => Ok(false),
                    _ => Err(self.map_err(
                        "reading the bucket's Object Lock configuration",
                        "GetBucketObjectLockConfiguration",
                        e,
                    )),
                }
            }
        }
    }

    pub(crate) async fn set_retention_s3(
        &self,
        key: &ObjectKey,
        retention: &ObjectRetention,
    ) -> Result<(), StorageError> {
        let mode = match retention.mode {
            LockMode::Governance => ObjectLockRetentionMode::Governance,
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        };
        self.client()
            .put_object_retention()
            .bucket(&self.settings().bucket)
            .key(self.full_key(key))
            .retention(
                ObjectLockRetention::builder()
                    .mode(mode)
                    .retain_until_date(DateTime::from_secs(retention.until.as_second()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.map_err(&format!("locking {key}"), "PutObjectRetention", e))?;
        Ok(())
    }

    pub(crate) async fn retention_s3(
        &self,
        key: &ObjectKey,
    ) -> Result<Option<ObjectRetention>, StorageError> {
        let result = self
            .client()
            .get_object_retention()
            .bucket(&self.settings().bucket)
            .key(self.full_key(key))
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                use aws_sdk_s3::error::ProvideErrorMetadata;
                if matches!(
                    e.code(),
                    Some("NoSuchObjectLockConfiguration")
                        | Some("ObjectLockConfigurationNotFoundError")
                        | Some("InvalidRequest")
                ) {
                    return Ok(None);
                }
                return Err(self.map_err(
                    &format!("reading the lock of {key}"),
                    "GetObjectRetention",
                    e,
                ));
            }
        };
        let Some(retention) = out.retention() else {
            return Ok(None);
        };
        let mode = match retention.mode() {
            Some(ObjectLockRetentionMode::Compliance) => LockMode::Compliance,
            Some(ObjectLockRetentionMode::Governance) => LockMode::Governance,
            _ => return Ok(None),
        };
        let Some(until) = retention
            .retain_until_date()
            .and_then(|d| Timestamp::from_second(d.secs()).ok())
        else {
            return Ok(None);
        };
        Ok(Some(ObjectRetention { mode, until }))
    }
}

//! S3's archive storage classes. An object in GLACIER or DEEP_ARCHIVE (or in an
//! Intelligent-Tiering archive tier) cannot be read until a RestoreObject request has
//! made a temporary copy; HeadObject's `x-amz-restore` header tells how that is going.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{GlacierJobParameters, RestoreRequest, Tier};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::s3::S3Destination;
use crate::{ObjectKey, StorageError};

/// Whether an object can be read now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveState {
    /// Not archived (any other class, or a folder): reads work.
    Readable,
    /// Archived, no restore asked for (or an earlier restored copy expired).
    Archived,
    /// A restore was asked for and is under way.
    Restoring,
    /// A restored copy exists and can be read until `until`.
    Restored { until: Option<Timestamp> },
}

impl ArchiveState {
    pub fn is_readable(&self) -> bool {
        matches!(self, ArchiveState::Readable | ArchiveState::Restored { .. })
    }
}

/// How fast (and how expensively) S3 restores an archived object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RestoreTier {
    /// 1-5 minutes; GLACIER only.
    Expedited,
    /// 3-5 hours (GLACIER), within 12 hours (DEEP_ARCHIVE).
    Standard,
    /// 5-12 hours (GLACIER), within 48 hours (DEEP_ARCHIVE); the cheapest.
    Bulk,
}

impl RestoreTier {
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreTier::Expedited => "Expedited",
            RestoreTier::Standard => "Standard",
            RestoreTier::Bulk => "Bulk",
        }
    }

    pub fn parse(text: &str) -> Option<RestoreTier> {
        match text.to_ascii_lowercase().as_str() {
            "expedited" => Some(RestoreTier::Expedited),
            "standard" => Some(RestoreTier::Standard),
            "bulk" => Some(RestoreTier::Bulk),
            _ => None,
        }
    }

    /// How long S3 says a restore of `class` at this tier takes, in words.
    pub fn typical_wait(self, class: &str) -> &'static str {
        let deep = class == "DEEP_ARCHIVE";
        match (self, deep) {
            (RestoreTier::Expedited, _) => "1-5 minutes",
            (RestoreTier::Standard, false) => "3-5 hours",
            (RestoreTier::Standard, true) => "up to 12 hours",
            (RestoreTier::Bulk, false) => "5-12 hours",
            (RestoreTier::Bulk, true) => "up to 48 hours",
        }
    }
}

/// What a restore request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RestoreRequested {
    /// The restore was started.
    Started,
    /// One was already under way; nothing was changed.
    AlreadyInProgress,
    /// A restored copy already existed; its lifetime now runs `days` from today.
    Extended,
}

/// Storage classes whose objects need a restore before they can be read.
pub fn needs_restore(class: &str) -> bool {
    matches!(class, "GLACIER" | "DEEP_ARCHIVE")
}

/// The state of an archived object from HeadObject's `x-amz-restore` header, e.g.
/// `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`.
pub fn state_from_restore_header(header: Option<&str>) -> ArchiveState {
    let Some(header) = header else {
        return ArchiveState::Archived;
    };
    if header.contains("ongoing-request=\"true\"") {
        return ArchiveState::Restoring;
    }
    if !header.contains("ongoing-request=\"false\"") {
        return ArchiveState::Archived;
    }
    let until = header
        .split_once("expiry-date=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .and_then(|(date, _)| jiff::fmt::rfc2822::parse(date).ok())
        .map(|zoned| zoned.timestamp());
    ArchiveState::Restored { until }
}

impl S3Destination {
    /// The object's storage class and whether it can be read now.
    pub(crate) async fn archive_state_s3(
        &self,
        key: &ObjectKey,
    ) -> Result<(String, ArchiveState), StorageError> {
        let out = self
            .client()
            .head_object()
            .bucket(&self.settings().bucket)
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => StorageError::NotFound {
                    destination: self.describe(),
                    key: key.to_string(),
                },
                _ => self.map_err(&format!("inspecting {key}"), "GetObject", e),
            })?;
        let class = out
            .storage_class()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "STANDARD".into());
        // Intelligent-Tiering's opt-in archive tiers need a restore like Glacier.
        let archived = needs_restore(&class) || out.archive_status().is_some();
        let state = if archived {
            state_from_restore_header(out.restore())
        } else {
            ArchiveState::Readable
        };
        Ok((class, state))
    }

    pub(crate) async fn request_restore_s3(
        &self,
        key: &ObjectKey,
        days: u32,
        tier: RestoreTier,
    ) -> Result<RestoreRequested, StorageError> {
        let (class, state) = self.archive_state_s3(key).await?;
        let outcome = match state {
            ArchiveState::Readable => {
                return Err(StorageError::NotArchived {
                    key: key.to_string(),
                    class,
                })
            }
            ArchiveState::Restoring => return Ok(RestoreRequested::AlreadyInProgress),
            ArchiveState::Archived => RestoreRequested::Started,
            // Asking again for a restored copy sets its expiry `days` from now.
            ArchiveState::Restored { .. } => RestoreRequested::Extended,
        };
        let job = GlacierJobParameters::builder()
            .tier(Tier::from(tier.as_str()))
            .build()
            .map_err(|e| StorageError::Service {
                destination: self.describe(),
                operation: format!("restoring {key} from {class}"),
                code: "InvalidRequest".into(),
                message: e.to_string(),
            })?;
        let mut request = RestoreRequest::builder().days(i32::try_from(days).unwrap_or(i32::MAX));
        // Intelligent-Tiering restores take no tier: S3 refuses one there.
        if needs_restore(&class) {
            request = request.glacier_job_parameters(job);
        }
        let result = self
            .client()
            .restore_object()
            .bucket(&self.settings().bucket)
            .key(self.full_key(key))
            .restore_request(request.build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(outcome),
            Err(e) => match e.code() {
                Some("RestoreAlreadyInProgress") => Ok(RestoreRequested::AlreadyInProgress),
                Some("InvalidObjectState") => Err(StorageError::NotArchived {
                    key: key.to_string(),
                    class,
                }),
                _ => {
                    Err(self.map_err(&format!("restoring {key} from {class}"), "RestoreObject", e))
                }
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn restore_header_states() {
        assert_eq!(state_from_restore_header(None), ArchiveState::Archived);
        assert_eq!(
            state_from_restore_header(Some("ongoing-request=\"true\"")),
            ArchiveState::Restoring
        );
        assert_eq!(
            state_from_restore_header(Some(
                "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\""
            )),
            ArchiveState::Restored {
                until: Some("2012-12-21T00:00:00Z".parse().unwrap())
            }
        );
        // A date S3 might format differently still means a readable copy.
        assert_eq!(
            state_from_restore_header(Some("ongoing-request=\"false\", expiry-date=\"soon\"")),
            ArchiveState::Restored { until: None }
        );
        assert!(!ArchiveState::Archived.is_readable());
        assert!(!ArchiveState::Restoring.is_readable());
    }

    #[test]
    fn tiers_parse_and_describe_their_wait() {
        assert_eq!(RestoreTier::parse("BULK"), Some(RestoreTier::Bulk));
        assert_eq!(RestoreTier::parse("fast"), None);
        assert_eq!(
            RestoreTier::Bulk.typical_wait("DEEP_ARCHIVE"),
            "up to 48 hours"
        );
        assert_eq!(
            RestoreTier::Expedited.typical_wait("GLACIER"),
            "1-5 minutes"
        );
        assert!(needs_restore("DEEP_ARCHIVE"));
        assert!(!needs_restore("GLACIER_IR"));
    }
}

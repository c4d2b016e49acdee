//! "Test connection" for an S3 destination: each IAM action of the minimal policy
//! tried within the prefix on a small probe object, the bucket's real region, and
//! what the bucket's configuration means for backups.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use std::time::Duration;

use crate::s3::S3Destination;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
#[specta(rename = "ProbeOutcome")]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
    /// Not tried because an earlier step failed.
    Skipped,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ActionCheck {
    /// The IAM action, e.g. `s3:PutObject`.
    pub action: &'static str,
    pub outcome: Outcome,
    /// The error, mapped to what to do, when it did not work.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    pub actions: Vec<ActionCheck>,
    /// The bucket's region as the server reports it, when it does.
    pub bucket_region: Option<String>,
    /// Set when the configured region differs from the bucket's.
    pub region_mismatch: Option<String>,
    /// `Enabled`, `Suspended`, `Disabled` (never enabled), or `None` when not readable.
    pub versioning: Option<String>,
    /// MFA Delete (`Enabled` or `Disabled`), read with versioning; `None` when not readable.
    pub mfa_delete: Option<String>,
    /// The default encryption algorithm, when readable.
    pub default_encryption: Option<String>,
    /// Whether all four public-access blocks are on, when readable.
    pub public_access_blocked: Option<bool>,
    /// Problems and advice, in words.
    pub warnings: Vec<String>,
    /// Incomplete multipart uploads older than a day found under the prefix and aborted.
    pub stale_uploads_aborted: usize,
    /// The minimal IAM policy for this bucket and prefix, ready to copy.
    pub iam_policy: String,
    /// False when the server took the first request and never answered: nothing else
    /// was asked, so the bucket's settings above are unknown, not unreadable.
    pub answered: bool,
}

impl ProbeReport {
    /// A report of the actions alone: nothing known about a bucket's settings.
    pub fn actions_only(actions: Vec<ActionCheck>, iam_policy: String) -> Self {
        Self {
            actions,
            bucket_region: None,
            region_mismatch: None,
            versioning: None,
            mfa_delete: None,
            default_encryption: None,
            public_access_blocked: None,
            warnings: Vec::new(),
            stale_uploads_aborted: 0,
            iam_policy,
            answered: true,
        }
    }

    pub fn all_ok(&self) -> bool {
        self.actions.iter().all(|a| a.outcome == Outcome::Ok)
    }

    /// The actions that did not work, comma-separated (e.g. `s3:PutObject, s3:DeleteObject`).
    pub fn failed_actions(&self) -> String {
        self.actions
            .iter()
            .filter(|a| a.outcome != Outcome::Ok)
            .map(|a| a.action)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The page's minimal IAM policy, scoped to the bucket and prefix.
pub fn iam_policy(bucket: &str, prefix: &str) -> String {
    let objects = format!("arn:aws:s3:::{bucket}/{prefix}*");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{bucket}"), objects]
        }]
    });
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

fn check(action: &'static str, result: Result<(), crate::StorageError>) -> ActionCheck {
    match result {
        Ok(()) => ActionCheck {
            action,
            outcome: Outcome::Ok,
            detail: None,
        },
        Err(e) => ActionCheck {
            action,
            outcome: if matches!(e, crate::StorageError::AccessDenied { .. }) {
                Outcome::Denied
            } else {
                Outcome::Failed
            },
            detail: Some(e.to_string()),
        },
    }
}

/// How long each request of a connection test waits for an answer. Someone is waiting
/// at the window: a server that takes requests and stays silent is reported within
/// seconds, not after the minutes (and retries) a backup's requests may wait.
pub const PROBE_ANSWER_WAIT: Duration = Duration::from_secs(10);
/// One retry, for a dropped connection; a silent server costs two waits per request.
const PROBE_ATTEMPTS: u32 = 2;

impl S3Destination {
    /// Runs the connection test. `now` decides which incomplete uploads are stale.
    pub async fn probe(&self, now: jiff::Timestamp) -> ProbeReport {
        self.probe_within(now, PROBE_ANSWER_WAIT).await
    }

    /// [`Self::probe`], each request waiting at most `wait` for an answer.
    pub async fn probe_within(&self, now: jiff::Timestamp, wait: Duration) -> ProbeReport {
        self.impatient(wait, PROBE_ATTEMPTS).run_probe(now).await
    }

    async fn run_probe(&self, now: jiff::Timestamp) -> ProbeReport {
        let settings = self.settings();
        let bucket = settings.bucket.clone();
        let prefix = settings.prefix.clone();
        let client = self.client();
        let mut warnings = Vec::new();

        // Region first: a wrong region makes everything else fail confusingly.
        let (bucket_region, redirected) = match client.head_bucket().bucket(&bucket).send().await {
            Ok(out) => (out.bucket_region().map(str::to_owned), false),
            // Every other request would wait as long: say so once, now.
            Err(aws_sdk_s3::error::SdkError::TimeoutError(_)) => {
                return self.unanswered(&bucket, &prefix);
            }
            Err(e) => (
                crate::s3::bucket_region_header(&e),
                e.raw_response().map(|r| r.status().as_u16()) == Some(301),
            ),
        };
        // Amazon S3 reports the region of every bucket; other servers' reports are only
        // trusted when they also refused the request for it.
        let region_mismatch = match &bucket_region {
            Some(actual)
                if (settings.endpoint.is_none() || redirected) && *actual != settings.region =>
            {
                Some(format!(
                    "the bucket is in {actual}, not {}: set the region to {actual}",
                    settings.region
                ))
            }
            _ => None,
        };
        if let (Some(mismatch), Some(actual)) = (&region_mismatch, &bucket_region) {
            // Follow the redirect (the SDK does not), so the rest of the report says what
            // works once the region is right, rather than failing on every action.
            let mut right = settings.clone();
            right.region = actual.clone();
            let wait = settings.answer_wait;
            let there = S3Destination::new(right).impatient(wait, PROBE_ATTEMPTS);
            let mut report = Box::pin(there.run_probe(now)).await;
            report.region_mismatch = Some(mismatch.clone());
            report.bucket_region = Some(actual.clone());
            report
                .warnings
                .insert(0, format!("{mismatch}; the checks below used {actual}"));
            return report;
        }

        let probe_name = format!(".dbackup-probe-{}", uuid::Uuid::new_v4());
        let key = format!("{prefix}{probe_name}");
        let body = b"DBackup connection test; safe to delete.".to_vec();
        let put = client
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.map_probe_err("PutObject", "writing a probe object", e));
        let put_ok = put.is_ok();
        let mut actions = vec![check("s3:PutObject", put)];
        if put_ok {
            let get = match client.get_object().bucket(&bucket).key(&key).send().await {
                Ok(out) => match out.body.collect().await.map(|d| d.into_bytes()) {
                    Ok(data) if data.as_ref() == body.as_slice() => Ok(()),
                    Ok(_) => Err(crate::StorageError::Service {
                        destination: bucket.clone(),
                        operation: "reading the probe object".into(),
                        code: "ContentMismatch".into(),
                        message: "the server returned other bytes than were written".into(),
                    }),
                    Err(e) => Err(crate::StorageError::Unreachable {
                        endpoint: bucket.clone(),
                        detail: e.to_string(),
                    }),
                },
                Err(e) => Err(self.map_probe_err("GetObject", "reading the probe object", e)),
            };
            actions.push(check("s3:GetObject", get));
        } else {
            actions.push(ActionCheck {
                action: "s3:GetObject",
                outcome: Outcome::Skipped,
                detail: None,
            });
        }
        let list = client
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&prefix)
            .max_keys(5)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.map_probe_err("ListBucket", "listing the prefix", e));
        actions.push(check("s3:ListBucket", list));
        if put_ok {
            let delete = client
                .delete_object()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.map_probe_err("DeleteObject", "deleting the probe object", e));
            if delete.is_err() {
                warnings.push(format!(
                    "the probe object {key} could not be deleted; remove it by hand"
                ));
            }
            actions.push(check("s3:DeleteObject", delete));
        } else {
            actions.push(ActionCheck {
                action: "s3:DeleteObject",
                outcome: Outcome::Skipped,
                detail: None,
            });
        }

        let (versioning, mfa_delete) =
            match client.get_bucket_versioning().bucket(&bucket).send().await {
                // Absent fields mean never set: off.
                Ok(out) => (
                    Some(
                        out.status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_else(|| "Disabled".into()),
                    ),
                    Some(
                        out.mfa_delete()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_else(|| "Disabled".into()),
                    ),
                ),
                Err(_) => (None, None),
            };
        if versioning.as_deref() == Some("Disabled") || versioning.as_deref() == Some("Suspended") {
            warnings.push(
                "versioning is off: enable it so an accidental or malicious delete can be undone"
                    .into(),
            );
        }
        let default_encryption = match client.get_bucket_encryption().bucket(&bucket).send().await {
            Ok(out) => out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .map(|d| d.sse_algorithm().as_str().to_owned()),
            Err(_) => None,
        };
        let public_access_blocked = match client
            .get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
        {
            Ok(out) => out.public_access_block_configuration().map(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            }),
            Err(_) => None,
        };
        if public_access_blocked == Some(false) {
            warnings.push(
                "public access is not fully blocked on this bucket: turn on Block Public Access"
                    .into(),
            );
        }
        if let Ok(out) = client
            .get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send()
            .await
        {
            for rule in out.rules() {
                // A rule without a filter prefix applies to the whole bucket.
                let rule_prefix = rule.filter().and_then(|f| f.prefix()).unwrap_or("");
                let touches = prefix.starts_with(rule_prefix) || rule_prefix.starts_with(&prefix);
                let to_glacier = rule.transitions().iter().any(|t| {
                    t.storage_class()
                        .is_some_and(|c| matches!(c.as_str(), "GLACIER" | "DEEP_ARCHIVE"))
                });
                if touches && to_glacier {
                    warnings.push(format!(
                        "the lifecycle rule {:?} moves backups under this prefix to Glacier: restores then need hours and DBackup's retention may not delete them cheaply. Let DBackup's retention and storage class manage them instead",
                        rule.id().unwrap_or("(unnamed)")
                    ));
                }
            }
        }

        let stale_uploads_aborted = self.abort_stale_uploads(now).await.unwrap_or(0);
        ProbeReport {
            actions,
            bucket_region,
            region_mismatch,
            versioning,
            mfa_delete,
            default_encryption,
            public_access_blocked,
            warnings,
            stale_uploads_aborted,
            iam_policy: iam_policy(&bucket, &prefix),
            answered: true,
        }
    }

    /// Aborts incomplete multipart uploads under the prefix started more than a day
    /// before `now` (left by crashes; they cost money and are never visible).
    pub async fn abort_stale_uploads(
        &self,
        now: jiff::Timestamp,
    ) -> Result<usize, crate::StorageError> {
        let cutoff = now.as_second() - 24 * 3600;
        let mut aborted = 0;
        for upload in self.incomplete_uploads("").await? {
            if upload.started.unwrap_or(i64::MAX) < cutoff {
                self.abort_incomplete(&upload).await?;
                aborted += 1;
            }
        }
        Ok(aborted)
    }

    /// The report when the server took the first request (HeadBucket, allowed by
    /// s3:ListBucket) and never answered: the other actions are not tried.
    fn unanswered(&self, bucket: &str, prefix: &str) -> ProbeReport {
        let settings = self.settings();
        let server = settings
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("Amazon S3 ({})", settings.region));
        let detail = format!(
            "the server at {server} took the connection but did not answer within {} s, twice: check that the endpoint is an S3 server and that it is not overloaded, or out of space and holding writes back (a Ceph cluster with a full OSD does)",
            settings.answer_wait.as_secs_f32()
        );
        let actions = [
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:DeleteObject",
        ]
        .into_iter()
        .map(|action| {
            let failed = action == "s3:ListBucket";
            ActionCheck {
                action,
                outcome: if failed {
                    Outcome::Failed
                } else {
                    Outcome::Skipped
                },
                detail: failed.then(|| detail.clone()),
            }
        })
        .collect();
        ProbeReport {
            answered: false,
            ..ProbeReport::actions_only(actions, iam_policy(bucket, prefix))
        }
    }

    fn map_probe_err<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
        &self,
        action: &'static str,
        operation: &str,
        err: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> crate::StorageError {
        crate::s3::map_sdk_error(self.settings(), operation, action, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_scoped_to_the_prefix() {
        let p: serde_json::Value =
            serde_json::from_str(&iam_policy("my-backup-bucket", "backups/")).unwrap();
        let s = &p["Statement"][0];
        assert_eq!(s["Resource"][0], "arn:aws:s3:::my-backup-bucket");
        assert_eq!(s["Resource"][1], "arn:aws:s3:::my-backup-bucket/backups/*");
        assert_eq!(s["Action"].as_array().unwrap().len(), 4);
    }
}

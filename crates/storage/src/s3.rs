//! Amazon S3 and S3-compatible servers (Cloudflare R2, Ceph RGW, Garage, Wasabi...)
//! through aws-sdk-s3.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, StorageClass};
use aws_sdk_s3::Client;
use bytes::{Bytes, BytesMut};
use tokio::task::JoinSet;

use crate::credentials::{static_keys, LazyDefaultChain, S3Credentials};
use crate::{Destination, ObjectInfo, ObjectKey, StorageError, Upload};

/// S3 refuses parts under 5 MiB (but the last); larger parts mean fewer requests and
/// room for 10,000 parts: 16 MiB x 10,000 = 156 GiB before the size must grow.
pub const DEFAULT_PART_SIZE: usize = 16 * 1024 * 1024;
/// Parts uploading at once. Memory is bounded by (in flight + 1) x part size.
pub const DEFAULT_PARTS_IN_FLIGHT: usize = 2;
/// S3's limits: parts of 5 MiB to 5 GiB (but the last), at most 10,000 of them.
const MIN_PART: usize = 5 * 1024 * 1024;
const MAX_PART: usize = 5 * 1024 * 1024 * 1024;
const MAX_PARTS: u64 = 10_000;
/// Without a size hint, the part size doubles after every this many parts, so an
/// unbounded stream still fits in 10,000 parts (16 MiB x 1000 x (1 + 2 + 4 ...)).
const PARTS_PER_SIZE_STEP: i32 = 1000;

/// The first part size: the configured one, at least 5 MiB, and large enough that
/// `size_hint` bytes fit in 10,000 parts (with room to spare for a hint that is
/// slightly low).
fn base_part_size(configured: usize, size_hint: Option<u64>) -> usize {
    let floor = configured.max(MIN_PART);
    match size_hint {
        Some(size) => {
            let needed = size.div_ceil(MAX_PARTS * 9 / 10);
            floor
                .max(usize::try_from(needed).unwrap_or(MAX_PART))
                .min(MAX_PART)
        }
        None => floor,
    }
}

/// With equal parts and no size hint, parts of this size: 10,000 of them hold 625 GiB.
const EQUAL_PART_UNKNOWN_SIZE: usize = 64 * 1024 * 1024;

fn first_part_size(settings: &S3Settings, size_hint: Option<u64>) -> usize {
    let base = base_part_size(settings.part_size, size_hint);
    if settings.equal_parts && size_hint.is_none() {
        base.max(EQUAL_PART_UNKNOWN_SIZE)
    } else {
        base
    }
}

/// The size of part `number` (1-based): doubling every 1000 parts, capped at 5 GiB.
fn part_size(base: usize, number: i32) -> usize {
    let steps = ((number.max(1) - 1) / PARTS_PER_SIZE_STEP).min(20) as u32;
    base.saturating_mul(1usize << steps).min(MAX_PART)
}

#[derive(Clone)]
pub struct S3Settings {
    /// `None` for Amazon S3 itself; e.g. `http://127.0.0.1:7480` or an R2 endpoint.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    /// Normalised: empty, or segments each followed by `/`.
    pub prefix: String,
    pub force_path_style: bool,
    pub credentials: S3Credentials,
    /// For backup data objects only; `None` means the bucket's default (STANDARD).
    pub storage_class: Option<String>,
    pub part_size: usize,
    /// Every part but the last the same size (Cloudflare R2 refuses others): the part
    /// size never grows, so it starts large enough for long streams.
    pub equal_parts: bool,
    pub parts_in_flight: usize,
    /// Server-side encryption for data objects; `None` leaves the bucket's default.
    pub sse: Option<ServerSideEncryption>,
    /// S3 Transfer Acceleration (Amazon S3 only; the bucket must have it enabled).
    pub accelerate: bool,
    /// How long a request may wait for the server's answer, plus, for one that
    /// carries data, the time the data takes at [`SLOWEST_UPLOAD`]: a server that
    /// stops answering must fail the backup, not hold it (and the tray's "running")
    /// forever. [`DEFAULT_ANSWER_WAIT`] unless a test needs less.
    pub answer_wait: Duration,
}

pub const DEFAULT_ANSWER_WAIT: Duration = Duration::from_secs(300);
/// The slowest upload, in bytes per second, given time before an attempt is
/// abandoned (and retried): 16 KiB/s, a 16 MiB part getting 17 minutes.
pub const SLOWEST_UPLOAD: u64 = 16 * 1024;
/// The SDK's own default, kept when the timeouts are set.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// CompleteMultipartUpload may take minutes on Amazon S3 for large objects.
const COMPLETE_WAIT_FACTOR: u32 = 3;

fn timeouts(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(attempt)
        .build()
}

/// Per-request settings for one carrying `len` bytes of data.
fn upload_config(settings: &S3Settings, len: usize) -> aws_sdk_s3::config::Builder {
    let data_time = Duration::from_secs(len as u64 / SLOWEST_UPLOAD);
    aws_sdk_s3::Config::builder().timeout_config(timeouts(settings.answer_wait + data_time))
}

/// What the S3 page calls server-side encryption, applied per object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSideEncryption {
    /// SSE-S3 (`AES256`).
    S3Managed,
    /// SSE-KMS, with the bucket's or a given KMS key.
    Kms { key_id: Option<String> },
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("force_path_style", &self.force_path_style)
            .field("credentials", &self.credentials)
            .field("storage_class", &self.storage_class)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct S3Destination {
    client: Client,
    settings: std::sync::Arc<S3Settings>,
}

impl S3Destination {
    pub fn new(settings: S3Settings) -> Self {
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()));
        config = match &settings.credentials {
            S3Credentials::Keys {
                access_key_id,
                secret_access_key,
            } => config.credentials_provider(static_keys(access_key_id, secret_access_key)),
            S3Credentials::DefaultChain { profile } => config.credentials_provider(
                LazyDefaultChain::new(settings.region.clone(), profile.clone()),
            ),
        };
        config = config
            .force_path_style(settings.force_path_style)
            .accelerate(settings.accelerate)
            // Throttling (SlowDown, 503), timeouts and resets are retried with
            // exponential backoff and jitter by the SDK's standard strategy.
            .retry_config(RetryConfig::standard().with_max_attempts(6))
            .timeout_config(timeouts(settings.answer_wait));
        if let Some(endpoint) = &settings.endpoint {
            // The SDK's default CRC checksums (aws-chunked trailers) break R2, Ceph RGW
            // and Garage; only send them where an operation demands one.
            config = config
                .endpoint_url(endpoint)
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        }
        Self {
            client: Client::from_conf(config.build()),
            settings: std::sync::Arc::new(settings),
        }
    }

    /// The server-side encryption chosen for this destination, for every object written
    /// (data, multipart or not, and manifests); `None` leaves the bucket's default.
    fn sse_algorithm(&self) -> Option<aws_sdk_s3::types::ServerSideEncryption> {
        use aws_sdk_s3::types::ServerSideEncryption as Sse;
        match &self.settings.sse {
            None => None,
            Some(ServerSideEncryption::S3Managed) => Some(Sse::Aes256),
            Some(ServerSideEncryption::Kms { .. }) => Some(Sse::AwsKms),
        }
    }

    fn sse_kms_key(&self) -> Option<String> {
        match &self.settings.sse {
            Some(ServerSideEncryption::Kms { key_id }) => key_id.clone(),
            _ => None,
        }
    }

    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    /// The same destination with requests that wait at most `wait` for an answer and
    /// are tried `attempts` times: for someone waiting at the window.
    pub(crate) fn impatient(&self, wait: Duration, attempts: u32) -> Self {
        let config = self
            .client
            .config()
            .to_builder()
            .timeout_config(timeouts(wait))
            .retry_config(RetryConfig::standard().with_max_attempts(attempts))
            .build();
        let mut settings = (*self.settings).clone();
        settings.answer_wait = wait;
        Self {
            client: Client::from_conf(config),
            settings: std::sync::Arc::new(settings),
        }
    }

    /// The underlying client, for bucket-level probes (connection tests, setup in tests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn full_key(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.settings.prefix, key.as_str())
    }

    pub(crate) fn describe(&self) -> String {
        describe(&self.settings)
    }

    /// The whole object, or the HTTP `range` of it.
    async fn get_object(
        &self,
        key: &ObjectKey,
        range: Option<String>,
    ) -> Result<Bytes, StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.full_key(key))
            .set_range(range)
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("NoSuchKey") => StorageError::NotFound {
                    destination: self.describe(),
                    key: key.to_string(),
                },
                Some("InvalidObjectState") => StorageError::Archived {
                    destination: self.describe(),
                    key: key.to_string(),
                },
                _ => self.map_err(&format!("downloading {key}"), "GetObject", e),
            })?;
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| StorageError::Unreachable {
                endpoint: self.describe(),
                detail: format!("the download of {key} broke off: {e}"),
            })?;
        Ok(data.into_bytes())
    }

    pub(crate) fn map_err<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
        &self,
        operation: &str,
        action: &'static str,
        err: SdkError<E, HttpResponse>,
    ) -> StorageError {
        map_sdk_error(&self.settings, operation, action, err)
    }
}

/// Why the credentials could not be found, when that is what failed: the SDK reports
/// it as a dispatch failure, which would otherwise read as an unreachable server.
fn credentials_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            let mut detail = c.to_string();
            let mut inner = std::error::Error::source(c);
            while let Some(cause) = inner {
                detail = format!("{detail}: {cause}");
                inner = cause.source();
            }
            return Some(detail);
        }
        next = e.source();
    }
    None
}

/// The `x-amz-bucket-region` S3 puts on a wrong-region answer.
pub(crate) fn bucket_region_header<E>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    err.raw_response()?
        .headers()
        .get("x-amz-bucket-region")
        .map(str::to_owned)
}

fn describe(settings: &S3Settings) -> String {
    match &settings.endpoint {
        Some(endpoint) => format!("s3://{}/{} at {endpoint}", settings.bucket, settings.prefix),
        None => format!(
            "s3://{}/{} ({})",
            settings.bucket, settings.prefix, settings.region
        ),
    }
}

pub(crate) fn map_sdk_error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    settings: &S3Settings,
    operation: &str,
    action: &'static str,
    err: SdkError<E, HttpResponse>,
) -> StorageError {
    let destination = describe(settings);
    let endpoint = || {
        settings
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("Amazon S3 in {}", settings.region))
    };
    if let Some(detail) = credentials_failure(&err) {
        return StorageError::NoCredentials {
            destination,
            detail,
        };
    }
    match &err {
        SdkError::DispatchFailure(failure) => {
            return StorageError::Unreachable {
                endpoint: endpoint(),
                detail: failure
                    .as_connector_error()
                    .map(|c| format!("{c}"))
                    .unwrap_or_else(|| "the connection failed".into()),
            }
        }
        // Only attempt timeouts are set (connect timeouts are dispatch failures).
        SdkError::TimeoutError(_) => {
            return StorageError::NoAnswer {
                endpoint: endpoint(),
            }
        }
        _ => {}
    }
    let code = err.code().unwrap_or_default().to_owned();
    let message = err.message().unwrap_or_default().to_owned();
    let status = err.raw_response().map(|r| r.status().as_u16());
    let wrong_region = code == "PermanentRedirect"
        || status == Some(301)
        || (code == "AuthorizationHeaderMalformed" && message.contains("region"));
    if wrong_region {
        // S3 names the bucket's region in a header; the Rust SDK does not follow it.
        return StorageError::WrongRegion {
            bucket: settings.bucket.clone(),
            configured: settings.region.clone(),
            actual: bucket_region_header(&err),
        };
    }
    match code.as_str() {
        "AccessDenied" => StorageError::AccessDenied {
            destination,
            operation: operation.to_owned(),
            action,
        },
        "NoSuchBucket" => StorageError::NoSuchBucket {
            bucket: settings.bucket.clone(),
        },
        "InvalidAccessKeyId" => StorageError::InvalidAccessKeyId { destination },
        // Ceph RGW's word for a disabled key (AWS says InvalidAccessKeyId, covered above).
        "UserSuspended" => StorageError::KeyDisabled { destination },
        "SignatureDoesNotMatch" => StorageError::SignatureDoesNotMatch { destination },
        "RequestTimeTooSkewed" => StorageError::ClockSkew { destination },
        "" => StorageError::Service {
            destination,
            operation: operation.to_owned(),
            code: match err.raw_response() {
                Some(raw) => format!("HTTP {}", raw.status().as_u16()),
                None => "UnknownError".into(),
            },
            message: String::new(),
        },
        _ => StorageError::Service {
            destination,
            operation: operation.to_owned(),
            code,
            message,
        },
    }
}

#[async_trait]
impl Destination for S3Destination {
    async fn put(&self, key: &ObjectKey, body: Bytes) -> Result<(), StorageError> {
        let config = upload_config(&self.settings, body.len());
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(self.full_key(key))
            .set_server_side_encryption(self.sse_algorithm())
            .set_ssekms_key_id(self.sse_kms_key())
            .body(ByteStream::from(body))
            .customize()
            .config_override(config)
            .send()
            .await
            .map_err(|e| self.map_err(&format!("uploading {key}"), "PutObject", e))?;
        Ok(())
    }

    async fn start_upload(
        &self,
        key: &ObjectKey,
        size_hint: Option<u64>,
    ) -> Result<Box<dyn Upload>, StorageError> {
        Ok(Box::new(S3Upload {
            base_part_size: first_part_size(&self.settings, size_hint),
            dest: self.clone(),
            key: key.clone(),
            buffer: BytesMut::new(),
            multipart: None,
            size: 0,
        }))
    }

    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StorageError> {
        self.get_object(key, None).await
    }

    async fn get_range(
        &self,
        key: &ObjectKey,
        start: u64,
        end: u64,
    ) -> Result<Bytes, StorageError> {
        if end <= start {
            return Ok(Bytes::new());
        }
        self.get_object(key, Some(format!("bytes={start}-{}", end - 1)))
            .await
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StorageError> {
        let result = self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(ObjectInfo {
                key: key.clone(),
                size: out.content_length().unwrap_or_default().max(0) as u64,
                modified: out
                    .last_modified()
                    .and_then(|t| jiff::Timestamp::from_second(t.secs()).ok()),
                storage_class: Some(
                    out.storage_class()
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_else(|| "STANDARD".into()),
                ),
            })),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => {
                // HEAD has no body, so a missing bucket also looks like a 404 here.
                Ok(None)
            }
            Err(e) if e.code().is_none() => {
                // HEAD responses have no body, so the error code (wrong secret, unknown
                // key, missing bucket...) is lost; a one-byte GET brings it back.
                let generic = self.map_err(&format!("inspecting {key}"), "GetObject", e);
                match self.get_range(key, 0, 1).await {
                    Err(specific) => Err(specific),
                    Ok(_) => Err(generic),
                }
            }
            Err(e) => Err(self.map_err(&format!("inspecting {key}"), "GetObject", e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let full_prefix = format!("{}{prefix}", self.settings.prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.settings.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.map_err("listing backups", "ListBucket", e))?;
            for object in page.contents() {
                let Some(full) = object.key() else { continue };
                let Some(rel) = full.strip_prefix(&self.settings.prefix) else {
                    continue;
                };
                // Keys we could not have written (e.g. `a//b`) are not ours to touch.
                let Ok(key) = ObjectKey::new(rel) else {
                    continue;
                };
                out.push(ObjectInfo {
                    key,
                    size: object.size().unwrap_or_default().max(0) as u64,
                    modified: object
                        .last_modified()
                        .and_then(|t| jiff::Timestamp::from_second(t.secs()).ok()),
                    storage_class: Some(
                        object
                            .storage_class()
                            .map(|c| c.as_str().to_owned())
                            .unwrap_or_else(|| "STANDARD".into()),
                    ),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| self.map_err(&format!("deleting {key}"), "DeleteObject", e))?;
        Ok(())
    }

    async fn object_lock_enabled(&self) -> Result<bool, StorageError> {
        self.object_lock_enabled_s3().await
    }

    async fn archive_state(&self, key: &ObjectKey) -> Result<crate::ArchiveState, StorageError> {
        Ok(self.archive_state_s3(key).await?.1)
    }

    async fn request_restore(
        &self,
        key: &ObjectKey,
        days: u32,
        tier: crate::RestoreTier,
    ) -> Result<crate::RestoreRequested, StorageError> {
        self.request_restore_s3(key, days, tier).await
    }

    async fn set_retention(
        &self,
        key: &ObjectKey,
        retention: &crate::ObjectRetention,
    ) -> Result<(), StorageError> {
        if !self.object_lock_enabled_s3().await? {
            return Err(StorageError::ObjectLockUnavailable {
                destination: self.describe(),
            });
        }
        self.set_retention_s3(key, retention).await
    }

    async fn retention(
        &self,
        key: &ObjectKey,
    ) -> Result<Option<crate::ObjectRetention>, StorageError> {
        self.retention_s3(key).await
    }

    async fn abort_incomplete_uploads(
        &self,
        prefix: &str,
        marker: &str,
    ) -> Result<crate::AbortedUploads, StorageError> {
        self.abort_marked_uploads(prefix, marker).await
    }
}

impl S3Destination {
    /// The incomplete uploads under `prefix` whose key contains `marker`, aborted;
    /// their parts counted first (ListParts) so the caller can say what was freed.
    pub async fn abort_marked_uploads(
        &self,
        prefix: &str,
        marker: &str,
    ) -> Result<crate::AbortedUploads, StorageError> {
        let mut freed = crate::AbortedUploads::default();
        for upload in self.incomplete_uploads(prefix).await? {
            let Some(relative) = upload.key.strip_prefix(&self.settings.prefix) else {
                continue;
            };
            if !relative.contains(marker) {
                continue;
            }
            freed.bytes += self.parts_size(&upload.key, &upload.id).await.unwrap_or(0);
            self.abort_incomplete(&upload).await?;
            freed.uploads += 1;
        }
        Ok(freed)
    }

    /// Every incomplete multipart upload under `prefix` (relative to the destination's
    /// own prefix), across all pages.
    pub(crate) async fn incomplete_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<IncompleteUpload>, StorageError> {
        let full_prefix = format!("{}{prefix}", self.settings.prefix);
        let mut uploads = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut upload_marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.settings.bucket)
                .prefix(&full_prefix)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(upload_marker.clone())
                .send()
                .await
                .map_err(|e| {
                    self.map_err(
                        "listing incomplete uploads",
                        "ListBucketMultipartUploads",
                        e,
                    )
                })?;
            uploads.extend(page.uploads().iter().filter_map(|u| {
                Some(IncompleteUpload {
                    key: u.key()?.to_owned(),
                    id: u.upload_id()?.to_owned(),
                    started: u.initiated().map(|t| t.secs()),
                })
            }));
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            upload_marker = page.next_upload_id_marker().map(str::to_owned);
        }
        Ok(uploads)
    }

    pub(crate) async fn abort_incomplete(
        &self,
        upload: &IncompleteUpload,
    ) -> Result<(), StorageError> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(&upload.key)
            .upload_id(&upload.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                self.map_err(
                    &format!("aborting the incomplete upload of {}", upload.key),
                    "AbortMultipartUpload",
                    e,
                )
            })
    }

    /// Bytes of the parts an incomplete upload holds.
    async fn parts_size(&self, key: &str, upload_id: &str) -> Result<u64, StorageError> {
        let mut total = 0u64;
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_parts()
                .bucket(&self.settings.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(|e| {
                    self.map_err(
                        "listing the parts of an incomplete upload",
                        "ListMultipartUploadParts",
                        e,
                    )
                })?;
            total += page
                .parts()
                .iter()
                .map(|p| p.size().unwrap_or(0).max(0) as u64)
                .sum::<u64>();
            if page.is_truncated() != Some(true) {
                break;
            }
            marker = page.next_part_number_marker().map(str::to_owned);
        }
        Ok(total)
    }
}

/// A multipart upload that was started and neither completed nor aborted.
pub(crate) struct IncompleteUpload {
    /// The full key, the destination's prefix included.
    pub key: String,
    pub id: String,
    /// When it was started (Unix seconds), if the server says.
    pub started: Option<i64>,
}

struct Multipart {
    upload_id: String,
    next_part: i32,
    in_flight: JoinSet<Result<CompletedPart, StorageError>>,
    done: Vec<CompletedPart>,
}

/// Buffers up to one part; an upload that ends within the first part is a single PUT,
/// anything larger a multipart upload with a bounded number of parts in flight.
struct S3Upload {
    base_part_size: usize,
    dest: S3Destination,
    key: ObjectKey,
    buffer: BytesMut,
    multipart: Option<Multipart>,
    size: u64,
}

impl S3Upload {
    fn storage_class(&self) -> Option<StorageClass> {
        self.dest
            .settings
            .storage_class
            .as_deref()
            .map(StorageClass::from)
    }

    async fn send_part(&mut self, body: Bytes) -> Result<(), StorageError> {
        if self.multipart.is_none() {
            let out = self
                .dest
                .client
                .create_multipart_upload()
                .bucket(&self.dest.settings.bucket)
                .key(self.dest.full_key(&self.key))
                .set_storage_class(self.storage_class())
                .set_server_side_encryption(self.dest.sse_algorithm())
                .set_ssekms_key_id(self.dest.sse_kms_key())
                .send()
                .await
                .map_err(|e| {
                    self.dest.map_err(
                        &format!("starting the upload of {}", self.key),
                        "PutObject",
                        e,
                    )
                })?;
            let upload_id = out.upload_id().unwrap_or_default().to_owned();
            self.multipart = Some(Multipart {
                upload_id,
                next_part: 1,
                in_flight: JoinSet::new(),
                done: Vec::new(),
            });
        }
        let Some(mp) = self.multipart.as_mut() else {
            return Err(StorageError::Aborted {
                key: self.key.to_string(),
            });
        };
        // Back-pressure: wait for a slot before taking on another part.
        while mp.in_flight.len() >= self.dest.settings.parts_in_flight.max(1) {
            if let Some(joined) = mp.in_flight.join_next().await {
                mp.done.push(joined_part(joined, &self.key)?);
            }
        }
        let number = mp.next_part;
        mp.next_part += 1;
        let client = self.dest.client.clone();
        let settings = self.dest.settings.clone();
        let bucket = settings.bucket.clone();
        let full_key = self.dest.full_key(&self.key);
        let upload_id = mp.upload_id.clone();
        let key = self.key.clone();
        let config = upload_config(&settings, body.len());
        mp.in_flight.spawn(async move {
            let out = client
                .upload_part()
                .bucket(bucket)
                .key(full_key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(body))
                .customize()
                .config_override(config)
                .send()
                .await
                .map_err(|e| {
                    map_sdk_error(
                        &settings,
                        &format!("uploading part {number} of {key}"),
                        "PutObject",
                        e,
                    )
                })?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_owned))
                .build())
        });
        Ok(())
    }

    async fn abort_multipart(&mut self) -> Result<(), StorageError> {
        if let Some(mut mp) = self.multipart.take() {
            mp.in_flight.abort_all();
            while mp.in_flight.join_next().await.is_some() {}
            self.dest
                .client
                .abort_multipart_upload()
                .bucket(&self.dest.settings.bucket)
                .key(self.dest.full_key(&self.key))
                .upload_id(&mp.upload_id)
                .send()
                .await
                .map_err(|e| {
                    self.dest.map_err(
                        &format!("aborting the upload of {}", self.key),
                        "PutObject",
                        e,
                    )
                })?;
        }
        Ok(())
    }
}

fn joined_part(
    joined: Result<Result<CompletedPart, StorageError>, tokio::task::JoinError>,
    key: &ObjectKey,
) -> Result<CompletedPart, StorageError> {
    match joined {
        Ok(part) => part,
        Err(_) => Err(StorageError::Aborted {
            key: key.to_string(),
        }),
    }
}

#[async_trait]
impl Upload for S3Upload {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError> {
        self.size += chunk.len() as u64;
        self.buffer.extend_from_slice(&chunk);
        loop {
            let next = self.multipart.as_ref().map_or(1, |mp| mp.next_part);
            let part_size = if self.dest.settings.equal_parts {
                self.base_part_size
            } else {
                part_size(self.base_part_size, next)
            };
            if self.buffer.len() < part_size {
                break;
            }
            let part = self.buffer.split_to(part_size).freeze();
            if let Err(e) = self.send_part(part).await {
                let _ = self.abort_multipart().await;
                return Err(e);
            }
        }
        Ok(())
    }

    async fn complete(mut self: Box<Self>) -> Result<ObjectInfo, StorageError> {
        let rest = std::mem::take(&mut self.buffer).freeze();
        if self.multipart.is_none() {
            let config = upload_config(&self.dest.settings, rest.len());
            self.dest
                .client
                .put_object()
                .bucket(&self.dest.settings.bucket)
                .key(self.dest.full_key(&self.key))
                .set_storage_class(self.storage_class())
                .set_server_side_encryption(self.dest.sse_algorithm())
                .set_ssekms_key_id(self.dest.sse_kms_key())
                .body(ByteStream::from(rest))
                .customize()
                .config_override(config)
                .send()
                .await
                .map_err(|e| {
                    self.dest
                        .map_err(&format!("uploading {}", self.key), "PutObject", e)
                })?;
        } else {
            let result = self.finish_multipart(rest).await;
            if result.is_err() {
                let _ = self.abort_multipart().await;
            }
            result?;
        }
        Ok(ObjectInfo {
            key: self.key.clone(),
            size: self.size,
            modified: Some(jiff::Timestamp::now()),
            storage_class: self.dest.settings.storage_class.clone(),
        })
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StorageError> {
        self.abort_multipart().await
    }
}

impl S3Upload {
    async fn finish_multipart(&mut self, rest: Bytes) -> Result<(), StorageError> {
        if !rest.is_empty() {
            self.send_part(rest).await?;
        }
        let Some(mut mp) = self.multipart.take() else {
            return Ok(());
        };
        let collected = async {
            while let Some(joined) = mp.in_flight.join_next().await {
                mp.done.push(joined_part(joined, &self.key)?);
            }
            mp.done.sort_by_key(|p| p.part_number());
            self.dest
                .client
                .complete_multipart_upload()
                .bucket(&self.dest.settings.bucket)
                .key(self.dest.full_key(&self.key))
                .upload_id(&mp.upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(std::mem::take(&mut mp.done)))
                        .build(),
                )
                .customize()
                .config_override(aws_sdk_s3::Config::builder().timeout_config(timeouts(
                    self.dest.settings.answer_wait * COMPLETE_WAIT_FACTOR,
                )))
                .send()
                .await
                .map_err(|e| {
                    self.dest.map_err(
                        &format!("finishing the upload of {}", self.key),
                        "PutObject",
                        e,
                    )
                })?;
            Ok(())
        }
        .await;
        if collected.is_err() {
            // Put it back so the caller's abort can remove the parts.
            self.multipart = Some(mp);
        }
        collected
    }
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        // Dropped mid-way (a cancelled task): abort in the background so the parts do
        // not linger and bill. A crash is covered by the stale-upload sweep instead.
        if let Some(mut mp) = self.multipart.take() {
            mp.in_flight.abort_all();
            let client = self.dest.client.clone();
            let bucket = self.dest.settings.bucket.clone();
            let key = self.dest.full_key(&self.key);
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = client
                        .abort_multipart_upload()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(mp.upload_id)
                        .send()
                        .await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn known_sizes_fit_in_ten_thousand_parts() {
        assert_eq!(base_part_size(16 * MIB, Some(1024)), 16 * MIB);
        assert_eq!(base_part_size(MIB, None), 5 * MIB);
        for size in [0u64, 1 << 30, 200 << 30, 1 << 40, 5 << 40] {
            let part = base_part_size(16 * MIB, Some(size)) as u64;
            assert!(part >= 16 * MIB as u64);
            assert!(
                size.div_ceil(part) <= MAX_PARTS,
                "{size} in parts of {part}"
            );
        }
    }

    #[test]
    fn equal_parts_start_large_when_the_size_is_unknown() {
        let mut settings = S3Settings {
            endpoint: None,
            region: "auto".into(),
            bucket: "b".into(),
            prefix: String::new(),
            force_path_style: false,
            credentials: S3Credentials::keys("k", "s"),
            storage_class: None,
            part_size: 16 * MIB,
            equal_parts: true,
            parts_in_flight: 2,
            sse: None,
            accelerate: false,
            answer_wait: DEFAULT_ANSWER_WAIT,
        };
        assert_eq!(first_part_size(&settings, None), 64 * MIB);
        // A known size needs no more than what fits it.
        assert_eq!(first_part_size(&settings, Some(1 << 30)), 16 * MIB);
        settings.equal_parts = false;
        assert_eq!(first_part_size(&settings, None), 16 * MIB);
    }

    #[test]
    fn unknown_sizes_grow_so_a_terabyte_stream_fits() {
        assert_eq!(part_size(16 * MIB, 1), 16 * MIB);
        assert_eq!(part_size(16 * MIB, 1000), 16 * MIB);
        assert_eq!(part_size(16 * MIB, 1001), 32 * MIB);
        assert_eq!(part_size(16 * MIB, 10_000), MAX_PART);
        let total: u64 = (1..=10_000).map(|n| part_size(16 * MIB, n) as u64).sum();
        assert!(total > 5 << 40, "only {total} bytes fit");
    }
}

//! Amazon S3, Cloudflare R2 and S3-compatible destinations: the fields of the S3
//! page, validated before any request; the secret key goes to the OS keyring.

use std::sync::Arc;

pub use dbackup_storage::probe::ProbeReport;
use dbackup_storage::{
    Destination, LocalFolder, S3Credentials, S3Destination, S3Settings, ServerSideEncryption,
    DEFAULT_PARTS_IN_FLIGHT, DEFAULT_PART_SIZE,
};
use dbackup_store::NewDestination;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::destinations::{secret_account, validate_name, DestinationView};
use crate::secrets::{ExposeSecret, Secret};
use crate::{Engine, EngineError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum S3Provider {
    Aws,
    R2,
    /// Ceph, Garage, Wasabi, Backblaze B2, Hetzner, MinIO...
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum R2Jurisdiction {
    Default,
    Eu,
    Fedramp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SseMode {
    /// Whatever the bucket does by default.
    BucketDefault,
    /// SSE-S3 (AES256).
    S3Managed,
    /// SSE-KMS.
    Kms,
}

/// The storage classes DBackup offers, with the S3 page's use case and cost hint.
pub const STORAGE_CLASSES: &[(&str, &str, &str)] = &[
    ("STANDARD", "Frequent access", "$$$$"),
    ("STANDARD_IA", "Infrequent access", "$$$"),
    (
        "INTELLIGENT_TIERING",
        "Unknown or changing access",
        "$$-$$$$",
    ),
    ("GLACIER_IR", "Archive, read in milliseconds", "$$"),
    ("GLACIER", "Archive (hours to retrieve)", "$$"),
    ("DEEP_ARCHIVE", "Long-term archive (12h+ retrieve)", "$"),
];

/// R2 accepts only these.
const R2_CLASSES: &[&str] = &["STANDARD", "STANDARD_IA"];

/// What the store keeps for an S3 destination (no secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct S3DestinationConfig {
    pub provider: S3Provider,
    pub region: String,
    pub bucket: String,
    /// Normalised: empty, or `a/b/`.
    pub prefix: String,
    /// Custom endpoints only; R2's is derived from the account id.
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub account_id: Option<String>,
    pub jurisdiction: Option<R2Jurisdiction>,
    /// Empty when the credentials come from the AWS default chain.
    pub access_key_id: String,
    #[serde(default)]
    pub credentials: CredentialSource,
    /// With the default chain: the profile of ~/.aws/config to use (default: AWS_PROFILE,
    /// else `default`).
    #[serde(default)]
    pub profile: Option<String>,
    pub storage_class: String,
    pub sse: SseMode,
    pub kms_key_id: Option<String>,
    pub transfer_acceleration: bool,
    /// The user chose plain HTTP to a server that is not on this computer or a
    /// private network (the window warns about it).
    #[serde(default)]
    pub allow_plain_http: bool,
}

/// Where an S3 destination's credentials come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// An access key id, with its secret in the OS keyring.
    #[default]
    AccessKey,
    /// The AWS default chain: environment, ~/.aws profiles, SSO, credential_process,
    /// web identity, and the instance or container role. Nothing goes to the keyring.
    DefaultChain,
}

/// A saved destination's settings, for its edit form (no secret).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum DestinationSettings {
    Local {
        name: String,
        path: String,
    },
    S3 {
        name: String,
        config: S3DestinationConfig,
    },
}

/// The form for a new S3 destination. Its Debug leaves the secret out.
#[derive(Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewS3Destination {
    pub name: String,
    pub provider: S3Provider,
    pub region: String,
    pub bucket: String,
    pub prefix: String,
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub account_id: Option<String>,
    pub jurisdiction: Option<R2Jurisdiction>,
    /// Required with `credentials: access_key`, ignored with the default chain.
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub credentials: CredentialSource,
    #[serde(default)]
    pub profile: Option<String>,
    pub storage_class: Option<String>,
    pub sse: SseMode,
    pub kms_key_id: Option<String>,
    pub transfer_acceleration: bool,
    /// Plain HTTP to a server beyond this computer and private networks: only by
    /// this explicit choice.
    #[serde(default)]
    pub allow_plain_http: bool,
}

impl std::fmt::Debug for NewS3Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewS3Destination")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// The host of an endpoint without its scheme: `[::1]:7480/x` gives `::1`.
pub fn endpoint_host(without_scheme: &str) -> String {
    let authority = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// This computer or a private network: loopback, RFC 1918 and unique-local
/// addresses, link-local, `localhost` and `.local` names. Only there is plain HTTP
/// accepted without an explicit choice.
pub fn is_local_or_private(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
        Err(_) => false,
    }
}

/// Plain HTTP carries the keys' signatures and every byte in clear: accepted for this
/// computer and private networks, elsewhere only by the user's explicit choice.
pub fn check_plain_http(endpoint: &str, allowed: bool) -> Result<(), EngineError> {
    let Some(rest) = endpoint.trim().strip_prefix("http://") else {
        return Ok(());
    };
    let host = endpoint_host(rest);
    if allowed || is_local_or_private(&host) {
        return Ok(());
    }
    Err(EngineError::invalid(
        "endpoint",
        format!(
            "{endpoint} is plain HTTP to {host}, which is neither this computer nor a private network: anyone on the way could read and change the backups. Use https://, or choose to allow plain HTTP for this server (--allow-plain-http) if you know the network"
        ),
    ))
}

/// S3's bucket naming rules, checked before any request is made.
pub fn validate_bucket(bucket: &str) -> Result<(), EngineError> {
    let bad = |why: &str| Err(EngineError::invalid("bucket", why.to_owned()));
    if !(3..=63).contains(&bucket.len()) {
        return bad("a bucket name has 3 to 63 characters");
    }
    if !bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return bad("a bucket name uses only lower-case letters, digits, dots and hyphens (names are case-sensitive: check the exact name)");
    }
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_last_ok(bucket.chars().next()) || !first_last_ok(bucket.chars().last()) {
        return bad("a bucket name starts and ends with a letter or digit");
    }
    if bucket.contains("..") || bucket.contains(".-") || bucket.contains("-.") {
        return bad("a bucket name has no two adjacent dots, nor a dot next to a hyphen");
    }
    if bucket.split('.').count() == 4 && bucket.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return bad("a bucket name is not formatted like an IP address");
    }
    if bucket.starts_with("xn--")
        || bucket.starts_with("sthree-")
        || bucket.ends_with("-s3alias")
        || bucket.ends_with("--ol-s3")
    {
        return bad(
            "a bucket name cannot start with xn-- or sthree-, nor end with -s3alias or --ol-s3",
        );
    }
    Ok(())
}

/// No leading slash, single separators, no `.`/`..`, one trailing slash.
pub fn normalize_prefix(prefix: &str) -> Result<String, EngineError> {
    let segments: Vec<&str> = prefix.trim().split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(EngineError::invalid(
            "prefix",
            "remove the `.` and `..` parts of the path prefix",
        ));
    }
    if segments
        .iter()
        .any(|s| s.chars().any(|c| c.is_control() || c == '\\'))
    {
        return Err(EngineError::invalid(
            "prefix",
            "the path prefix cannot contain control characters or backslashes",
        ));
    }
    Ok(segments.iter().map(|s| format!("{s}/")).collect())
}

fn trimmed_key(
    field: &'static str,
    value: &str,
    notices: &mut Vec<String>,
) -> Result<String, EngineError> {
    let trimmed = value.trim();
    if trimmed.len() != value.len() {
        notices.push(format!("removed spaces around the {field}; pasted keys often carry them, and S3 then rejects the key"));
    }
    if trimmed.is_empty() {
        return Err(EngineError::invalid(field, "required"));
    }
    Ok(trimmed.to_owned())
}

fn r2_endpoint(account: &str, jurisdiction: R2Jurisdiction) -> String {
    match jurisdiction {
        R2Jurisdiction::Default => format!("https://{account}.r2.cloudflarestorage.com"),
        R2Jurisdiction::Eu => format!("https://{account}.eu.r2.cloudflarestorage.com"),
        R2Jurisdiction::Fedramp => format!("https://{account}.fedramp.r2.cloudflarestorage.com"),
    }
}

/// Validates the form and returns the config to store, the secret, and notices.
pub fn validate(
    input: &NewS3Destination,
) -> Result<(String, S3DestinationConfig, Option<Secret>, Vec<String>), EngineError> {
    let mut notices = Vec::new();
    let name = validate_name(&input.name)?;
    let bucket = input.bucket.trim().to_owned();
    validate_bucket(&bucket)?;
    let prefix = normalize_prefix(&input.prefix)?;
    let (access_key_id, secret, profile) = match input.credentials {
        CredentialSource::AccessKey => (
            trimmed_key("accessKeyId", &input.access_key_id, &mut notices)?,
            Some(Secret::from(trimmed_key(
                "secretAccessKey",
                &input.secret_access_key,
                &mut notices,
            )?)),
            None,
        ),
        CredentialSource::DefaultChain => {
            if input.provider == S3Provider::R2 {
                return Err(EngineError::invalid(
                    "credentials",
                    "Cloudflare R2 has no AWS credential chain: give the access key of an R2 API token",
                ));
            }
            let profile = input
                .profile
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned);
            if let Some(p) = &profile {
                if !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@+".contains(c))
                {
                    return Err(EngineError::invalid(
                        "profile",
                        format!("{p:?} is not a profile name of ~/.aws/config"),
                    ));
                }
            }
            (String::new(), None, profile)
        }
    };
    let storage_class = input
        .storage_class
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("STANDARD")
        .to_ascii_uppercase();
    if !STORAGE_CLASSES.iter().any(|(c, _, _)| *c == storage_class) {
        return Err(EngineError::invalid(
            "storageClass",
            format!("{storage_class} is not a storage class DBackup offers"),
        ));
    }
    let (region, endpoint, path_style, account_id, jurisdiction) = match input.provider {
        S3Provider::Aws => {
            let region = input.region.trim().to_owned();
            if region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(EngineError::invalid(
                    "region",
                    "give the bucket's AWS region, e.g. us-east-1",
                ));
            }
            (region, None, false, None, None)
        }
        S3Provider::R2 => {
            let account = input
                .account_id
                .as_deref()
                .map(str::trim)
                .unwrap_or_default();
            if account.len() != 32 || !account.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(EngineError::invalid("accountId", "the Cloudflare account ID is 32 hexadecimal characters (Cloudflare dashboard, R2 overview)"));
            }
            if !R2_CLASSES.contains(&storage_class.as_str()) {
                return Err(EngineError::invalid(
                    "storageClass",
                    "R2 accepts only STANDARD and STANDARD_IA",
                ));
            }
            if input.sse != SseMode::BucketDefault {
                return Err(EngineError::invalid(
                    "sse",
                    "R2 always encrypts at rest and does not take SSE options",
                ));
            }
            (
                "auto".to_owned(),
                None,
                true,
                Some(account.to_ascii_lowercase()),
                Some(input.jurisdiction.unwrap_or(R2Jurisdiction::Default)),
            )
        }
        S3Provider::Custom => {
            let endpoint = input.endpoint.as_deref().map(str::trim).unwrap_or_default();
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
                || endpoint.len() < 10
            {
                return Err(EngineError::invalid(
                    "endpoint",
                    "give the server's URL, e.g. https://s3.eu-central-003.backblazeb2.com",
                ));
            }
            check_plain_http(endpoint, input.allow_plain_http)?;
            let region = input.region.trim();
            let region = if region.is_empty() {
                "us-east-1"
            } else {
                region
            };
            (
                region.to_owned(),
                Some(endpoint.trim_end_matches('/').to_owned()),
                input.path_style,
                None,
                None,
            )
        }
    };
    if input.transfer_acceleration && input.provider != S3Provider::Aws {
        return Err(EngineError::invalid(
            "transferAcceleration",
            "Transfer Acceleration exists only on Amazon S3",
        ));
    }
    let kms_key_id = match input.sse {
        SseMode::Kms => input
            .kms_key_id
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned),
        _ => None,
    };
    let config = S3DestinationConfig {
        provider: input.provider,
        region,
        bucket,
        prefix,
        endpoint,
        path_style,
        account_id,
        jurisdiction,
        access_key_id,
        credentials: input.credentials,
        profile,
        storage_class,
        sse: input.sse,
        kms_key_id,
        transfer_acceleration: input.transfer_acceleration,
        allow_plain_http: input.allow_plain_http && input.provider == S3Provider::Custom,
    };
    Ok((name, config, secret, notices))
}

/// A saved S3 destination's config as the store holds it.
fn stored_config(id: &str, config: serde_json::Value) -> Result<S3DestinationConfig, EngineError> {
    serde_json::from_value(config).map_err(|e| {
        dbackup_store::StoreError::Corrupt {
            what: "destination",
            id: id.to_owned(),
            reason: e.to_string(),
        }
        .into()
    })
}

/// The S3 client settings for a stored config and its secret (`None` with the default
/// credential chain).
pub fn settings(config: &S3DestinationConfig, secret: Option<Secret>) -> S3Settings {
    let endpoint = match (config.provider, &config.account_id) {
        (S3Provider::R2, Some(account)) => Some(r2_endpoint(
            account,
            config.jurisdiction.unwrap_or(R2Jurisdiction::Default),
        )),
        _ => config.endpoint.clone(),
    };
    S3Settings {
        endpoint,
        region: config.region.clone(),
        bucket: config.bucket.clone(),
        prefix: config.prefix.clone(),
        force_path_style: config.path_style,
        credentials: match (config.credentials, secret) {
            (CredentialSource::AccessKey, Some(secret)) => S3Credentials::Keys {
                access_key_id: config.access_key_id.clone(),
                secret_access_key: secret,
            },
            _ => S3Credentials::DefaultChain {
                profile: config.profile.clone(),
            },
        },
        storage_class: (config.storage_class != "STANDARD").then(|| config.storage_class.clone()),
        part_size: DEFAULT_PART_SIZE,
        equal_parts: config.provider == S3Provider::R2,
        parts_in_flight: DEFAULT_PARTS_IN_FLIGHT,
        sse: match config.sse {
            SseMode::BucketDefault => None,
            SseMode::S3Managed => Some(ServerSideEncryption::S3Managed),
            SseMode::Kms => Some(ServerSideEncryption::Kms {
                key_id: config.kms_key_id.clone(),
            }),
        },
        accelerate: config.transfer_acceleration,
        answer_wait: dbackup_storage::DEFAULT_ANSWER_WAIT,
    }
}

/// What adding an S3 destination returns: the destination and notices to show.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AddedDestination {
    pub destination: DestinationView,
    pub notices: Vec<String>,
}

impl Engine {
    /// Adds an S3 destination; its secret key goes to the OS keyring.
    pub fn add_s3_destination(
        &self,
        input: NewS3Destination,
        now: Timestamp,
    ) -> Result<AddedDestination, EngineError> {
        let (name, config, secret, notices) = validate(&input)?;
        let id = uuid::Uuid::new_v4().to_string();
        let config_json = serde_json::to_value(&config).map_err(|e| EngineError::Internal {
            detail: format!("cannot encode the destination: {e}"),
        })?;
        // Keyring first, so a stored destination always has its secret.
        if let Some(secret) = &secret {
            self.keyring.set(&secret_account(&id), secret)?;
        }
        let record = self.store().insert_destination(
            &NewDestination {
                id: id.clone(),
                name,
                kind: dbackup_store::DestinationKind::S3,
                config: config_json,
            },
            now,
        );
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let _ = self.keyring.delete(&secret_account(&id));
                return Err(e.into());
            }
        };
        tracing::info!(id = %record.id, name = %record.name, bucket = %config.bucket, "added an S3 destination");
        Ok(AddedDestination {
            destination: DestinationView::from_record(record),
            notices,
        })
    }

    /// Changes a saved S3 destination. An empty secret keeps the stored one (the form
    /// never shows it); choosing the default credential chain deletes it from the
    /// keyring. The provider cannot change.
    pub fn update_s3_destination(
        &self,
        id: &str,
        input: NewS3Destination,
        now: Timestamp,
    ) -> Result<AddedDestination, EngineError> {
        let record = self.store().destination(id)?;
        let old = match record.kind {
            dbackup_store::DestinationKind::S3 => stored_config(id, record.config)?,
            dbackup_store::DestinationKind::Local => {
                return Err(EngineError::invalid(
                    "kind",
                    "this destination is a local folder; edit it as one",
                ))
            }
        };
        if input.provider != old.provider {
            return Err(EngineError::invalid(
                "provider",
                "the provider of a destination cannot change; add a new destination instead",
            ));
        }
        let account = secret_account(id);
        let keep_secret = input.credentials == CredentialSource::AccessKey
            && input.secret_access_key.trim().is_empty();
        // Read once: the stored secret stands in for an empty one, and is put back if
        // the row cannot change.
        let previous = match self.keyring.get(&account) {
            Ok(secret) => Some(secret),
            Err(crate::secrets::KeyringError::NotFound { .. }) => None,
            Err(e) if keep_secret => return Err(e.into()),
            Err(_) => None,
        };
        let mut checked = input.clone();
        if keep_secret {
            let Some(stored) = &previous else {
                return Err(EngineError::invalid(
                    "secretAccessKey",
                    "no secret access key is stored for this destination: enter it",
                ));
            };
            // Validation wants a secret; the stored one stands in and is kept as is.
            checked.secret_access_key = stored.expose_secret().to_owned();
        }
        let (name, config, secret, notices) = validate(&checked)?;
        let config_json = serde_json::to_value(&config).map_err(|e| EngineError::Internal {
            detail: format!("cannot encode the destination: {e}"),
        })?;
        // The secret first, as when adding.
        match (&secret, keep_secret) {
            (Some(secret), false) => self.keyring.set(&account, secret)?,
            (None, _) => {
                if previous.is_some() {
                    self.keyring.delete(&account)?;
                }
            }
            (Some(_), true) => {}
        }
        let record = match self
            .store()
            .update_destination(id, &name, &config_json, now)
        {
            Ok(r) => r,
            Err(e) => {
                self.keyring.restore(&account, previous.as_ref());
                return Err(e.into());
            }
        };
        tracing::info!(id, name = %record.name, bucket = %config.bucket, "edited an S3 destination");
        Ok(AddedDestination {
            destination: DestinationView::from_record(record),
            notices,
        })
    }

    /// What the edit form starts from: the stored settings, never the secret.
    pub fn destination_settings(&self, id: &str) -> Result<DestinationSettings, EngineError> {
        let record = self.store().destination(id)?;
        Ok(match record.kind {
            dbackup_store::DestinationKind::Local => DestinationSettings::Local {
                name: record.name,
                path: record.config["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            },
            dbackup_store::DestinationKind::S3 => DestinationSettings::S3 {
                name: record.name,
                config: stored_config(id, record.config)?,
            },
        })
    }

    /// "Test connection": for S3, each IAM action of the minimal policy on a probe
    /// object within the prefix, the bucket's region and configuration, and stale
    /// incomplete uploads aborted; for folders, write, read, list and delete.
    pub async fn test_destination(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<ProbeReport, EngineError> {
        let record = self.store().destination(id)?;
        if record.kind == dbackup_store::DestinationKind::S3 {
            return Ok(self
                .s3_destination(id, &record.name, record.config)?
                .probe(now)
                .await);
        }
        let (_, destination) = self.open_destination(id)?;
        Ok(probe_folder(destination.as_ref()).await)
    }

    /// A saved destination, ready to use (its secret read from the keyring).
    pub fn open_destination(
        &self,
        id: &str,
    ) -> Result<(String, Arc<dyn Destination>), EngineError> {
        let record = self.store().destination(id)?;
        match record.kind {
            dbackup_store::DestinationKind::Local => {
                let path = record.config["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                Ok((record.name, Arc::new(LocalFolder::new(path))))
            }
            dbackup_store::DestinationKind::S3 => {
                let destination = self.s3_destination(id, &record.name, record.config)?;
                Ok((record.name, Arc::new(destination)))
            }
        }
    }

    /// A saved S3 destination's client, its secret read from the keyring (none with
    /// the default credential chain).
    fn s3_destination(
        &self,
        id: &str,
        name: &str,
        config: serde_json::Value,
    ) -> Result<S3Destination, EngineError> {
        let config = stored_config(id, config)?;
        // Stored settings may come from an imported file: the same rule as the form's.
        if let Some(endpoint) = &config.endpoint {
            check_plain_http(endpoint, config.allow_plain_http)?;
        }
        let secret = match config.credentials {
            CredentialSource::AccessKey => match self.keyring.get(&secret_account(id)) {
                Ok(secret) => Some(secret),
                // Imported from another computer, or removed from the keyring by hand.
                Err(crate::secrets::KeyringError::NotFound { .. }) => {
                    return Err(EngineError::invalid(
                        "secretAccessKey",
                        format!("the destination {name:?} has no secret access key on this computer: edit it and type the secret access key"),
                    ))
                }
                Err(e) => return Err(e.into()),
            },
            CredentialSource::DefaultChain => None,
        };
        Ok(S3Destination::new(settings(&config, secret)))
    }
}

async fn probe_folder(destination: &dyn Destination) -> ProbeReport {
    use dbackup_storage::probe::{ActionCheck, Outcome};
    let check =
        |action: &'static str, result: Result<(), dbackup_storage::StorageError>| match result {
            Ok(()) => ActionCheck {
                action,
                outcome: Outcome::Ok,
                detail: None,
            },
            Err(e) => ActionCheck {
                action,
                outcome: Outcome::Failed,
                detail: Some(e.to_string()),
            },
        };
    let key =
        match dbackup_storage::ObjectKey::new(format!(".dbackup-probe-{}", uuid::Uuid::new_v4())) {
            Ok(k) => k,
            Err(e) => {
                return ProbeReport::actions_only(vec![check("write", Err(e))], String::new());
            }
        };
    let body = bytes::Bytes::from_static(b"DBackup connection test; safe to delete.");
    let write = destination.put(&key, body.clone()).await;
    let wrote = write.is_ok();
    let mut actions = vec![check("write", write)];
    let read = if wrote {
        destination.get(&key).await.and_then(|b| {
            if b == body {
                Ok(())
            } else {
                Err(dbackup_storage::StorageError::Io {
                    operation: "read back",
                    path: key.to_string().into(),
                    source: std::io::Error::other(
                        "the file read back differs from what was written",
                    ),
                })
            }
        })
    } else {
        Ok(())
    };
    actions.push(if wrote {
        check("read", read)
    } else {
        ActionCheck {
            action: "read",
            outcome: Outcome::Skipped,
            detail: None,
        }
    });
    actions.push(check("list", destination.list("").await.map(|_| ())));
    actions.push(if wrote {
        check("delete", destination.delete(&key).await)
    } else {
        ActionCheck {
            action: "delete",
            outcome: Outcome::Skipped,
            detail: None,
        }
    });
    ProbeReport::actions_only(actions, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for ok in ["my-backup-bucket", "abc", "a.b-c1", &"a".repeat(63)] {
            assert!(validate_bucket(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.5.4",
            "xn--abc",
            "abc-s3alias",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert_eq!(normalize_prefix("/backups").unwrap(), "backups/");
        assert_eq!(normalize_prefix(" backups//db/ ").unwrap(), "backups/db/");
        assert!(normalize_prefix("a/../b").is_err());
    }

    fn form() -> NewS3Destination {
        NewS3Destination {
            name: "AWS".into(),
            provider: S3Provider::Aws,
            region: "eu-west-1".into(),
            bucket: "my-backup-bucket".into(),
            prefix: "/backups".into(),
            endpoint: None,
            path_style: false,
            account_id: None,
            jurisdiction: None,
            access_key_id: " AKIAEXAMPLE ".into(),
            secret_access_key: "secret".into(),
            credentials: CredentialSource::AccessKey,
            profile: None,
            storage_class: None,
            sse: SseMode::S3Managed,
            kms_key_id: None,
            transfer_acceleration: false,
            allow_plain_http: false,
        }
    }

    #[test]
    fn plain_http_goes_only_to_this_computer_or_a_private_network_unless_chosen() {
        for local in [
            "http://127.0.0.1:7480",
            "http://localhost:9000/",
            "http://[::1]:7480",
            "http://10.1.2.3",
            "http://192.168.1.20:9000",
            "http://172.16.0.9",
            "http://nas.local:9000",
            "http://[fd00::5]:80",
            "https://s3.example.com",
        ] {
            check_plain_http(local, false).unwrap_or_else(|e| panic!("{local}: {e}"));
        }
        for remote in [
            "http://s3.example.com",
            "http://8.8.8.8:80",
            "http://172.32.0.1",
            "http://user@evil.example.net:9000/x",
            "http://127.0.0.1.evil.example.net",
            "http://[2001:db8::1]",
        ] {
            let e = check_plain_http(remote, false).unwrap_err();
            assert_eq!(e.field(), Some("endpoint"), "{remote}");
            assert!(e.to_string().contains("https://"), "{e}");
            check_plain_http(remote, true).unwrap();
        }
        let mut custom = form();
        custom.provider = S3Provider::Custom;
        custom.endpoint = Some("http://ceph.example.org:7480".into());
        assert!(validate(&custom).is_err());
        custom.allow_plain_http = true;
        let (_, config, _, _) = validate(&custom).unwrap();
        assert!(config.allow_plain_http);
    }

    #[test]
    fn forms_validate_per_provider() {
        let (_, config, _, notices) = validate(&form()).unwrap();
        assert_eq!(config.prefix, "backups/");
        assert_eq!(config.access_key_id, "AKIAEXAMPLE");
        assert_eq!(config.storage_class, "STANDARD");
        assert_eq!(notices.len(), 1, "{notices:?}");

        let mut r2 = form();
        r2.provider = S3Provider::R2;
        r2.sse = SseMode::BucketDefault;
        r2.account_id = Some("0123456789abcdef0123456789ABCDEF".into());
        r2.jurisdiction = Some(R2Jurisdiction::Eu);
        let (_, config, secret, _) = validate(&r2).unwrap();
        assert!(secret.is_some());
        assert_eq!(config.region, "auto");
        let s = settings(&config, secret);
        assert_eq!(
            s.endpoint.as_deref(),
            Some("https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com")
        );
        r2.storage_class = Some("GLACIER".into());
        assert!(validate(&r2)
            .unwrap_err()
            .to_string()
            .contains("R2 accepts only"));

        let mut custom = form();
        custom.provider = S3Provider::Custom;
        custom.endpoint = Some("ceph.local".into());
        assert_eq!(validate(&custom).unwrap_err().field(), Some("endpoint"));
        custom.endpoint = Some("http://127.0.0.1:7480/".into());
        custom.transfer_acceleration = true;
        assert_eq!(
            validate(&custom).unwrap_err().field(),
            Some("transferAcceleration")
        );

        let mut bad = form();
        bad.bucket = "Bad_Bucket".into();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("bucket"));
        bad = form();
        bad.secret_access_key = "   ".into();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("secretAccessKey"));
        bad = form();
        bad.region = "EU West".into();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("region"));
        bad.region = String::new();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("region"));
        bad = form();
        bad.storage_class = Some("COLD".into());
        assert_eq!(validate(&bad).unwrap_err().field(), Some("storageClass"));
        // Classes are case-insensitive as typed.
        bad.storage_class = Some("glacier".into());
        assert_eq!(validate(&bad).unwrap().1.storage_class, "GLACIER");
    }

    #[test]
    fn the_default_chain_needs_no_keys_and_stores_no_secret() {
        let mut chain = form();
        chain.credentials = CredentialSource::DefaultChain;
        chain.access_key_id = String::new();
        chain.secret_access_key = String::new();
        chain.profile = Some(" backup-role ".into());
        let (_, config, secret, _) = validate(&chain).unwrap();
        assert!(secret.is_none());
        assert_eq!(config.access_key_id, "");
        assert_eq!(config.profile.as_deref(), Some("backup-role"));
        let s = settings(&config, None);
        assert!(matches!(
            s.credentials,
            S3Credentials::DefaultChain { profile: Some(ref p) } if p == "backup-role"
        ));
        // A config stored before the chain existed reads as an access key.
        let mut old = serde_json::to_value(&config).unwrap();
        old.as_object_mut().unwrap().remove("credentials");
        let old: S3DestinationConfig = serde_json::from_value(old).unwrap();
        assert_eq!(old.credentials, CredentialSource::AccessKey);

        chain.profile = Some("two words".into());
        assert_eq!(validate(&chain).unwrap_err().field(), Some("profile"));
        chain.profile = None;
        chain.provider = S3Provider::R2;
        chain.account_id = Some("0123456789abcdef0123456789abcdef".into());
        chain.sse = SseMode::BucketDefault;
        assert_eq!(validate(&chain).unwrap_err().field(), Some("credentials"));
    }
}

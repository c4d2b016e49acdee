//! Where a command reads or writes backups: a folder, an S3 bucket given on the
//! command line (credentials from the environment, never from arguments, which other
//! users can see in `ps`), or a destination saved in DBackup's state.

use std::sync::Arc;

use dbackup_engine::backup::NamedDestination;
use dbackup_engine::EngineError;
use dbackup_storage::{
    LocalFolder, S3Credentials, S3Destination, S3Settings, ServerSideEncryption,
    DEFAULT_PARTS_IN_FLIGHT, DEFAULT_PART_SIZE,
};

use crate::args::{S3Options, SseArg};

pub fn resolve(spec: &str, s3: &S3Options) -> Result<NamedDestination, EngineError> {
    if let Some(rest) = spec.strip_prefix("s3://") {
        return s3_location(spec, rest, s3);
    }
    let path = std::path::Path::new(spec);
    if path.is_absolute() || spec.starts_with('.') {
        let path = std::path::absolute(path).map_err(|e| {
            EngineError::invalid("destination", format!("cannot resolve {spec}: {e}"))
        })?;
        return Ok(NamedDestination {
            name: path.display().to_string(),
            destination: Arc::new(LocalFolder::new(path)),
        });
    }
    // A saved destination, by name or id; else a folder here of that name.
    let engine = crate::open_engine()?;
    let found = engine
        .list_destinations()?
        .into_iter()
        .find(|d| d.id == spec || d.name.eq_ignore_ascii_case(spec));
    let Some(found) = found else {
        if path.is_dir() {
            return resolve(&format!("./{spec}"), s3);
        }
        return Err(EngineError::invalid(
            "destination",
            format!("{spec:?} is neither a folder here, an s3:// address nor a saved destination; `dbackup destination list` shows the saved ones, and ./{spec} names a folder to create"),
        ));
    };
    let (name, destination) = engine.open_destination(&found.id)?;
    Ok(NamedDestination { name, destination })
}

/// The id of the saved destination `spec` names, if it names one (not a folder path or
/// an s3:// address).
pub fn saved_destination_id(spec: &str) -> Option<String> {
    if spec.starts_with("s3://")
        || spec.starts_with('.')
        || std::path::Path::new(spec).is_absolute()
    {
        return None;
    }
    crate::open_engine()
        .ok()?
        .list_destinations()
        .ok()?
        .into_iter()
        .find(|d| d.id == spec || d.name.eq_ignore_ascii_case(spec))
        .map(|d| d.id)
}

fn s3_location(spec: &str, rest: &str, s3: &S3Options) -> Result<NamedDestination, EngineError> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(EngineError::invalid(
            "destination",
            format!("{spec}: the bucket name is missing (s3://BUCKET/prefix)"),
        ));
    }
    // Checked here, before any request: a server would only say the bucket is missing.
    dbackup_engine::s3_destination::validate_bucket(bucket)?;
    if let Some(endpoint) = &s3.endpoint {
        dbackup_engine::s3_destination::check_plain_http(endpoint, s3.allow_plain_http)?;
    }
    let storage_class = storage_class(s3.storage_class.as_deref())?;
    let sse = server_side_encryption(s3.sse, s3.kms_key_id.as_deref())?;
    // The same form as a saved destination's prefix (spaces trimmed), so a rescan of
    // the saved destination finds what an address wrote.
    let prefix = dbackup_engine::s3_destination::normalize_prefix(prefix)?;
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    // Keys in the environment (trimmed: pasted keys carry spaces), else the rest of the
    // AWS default chain: profiles, SSO, the instance role.
    let credentials = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret)) => S3Credentials::keys(access_key_id, secret),
        _ => S3Credentials::DefaultChain { profile: None },
    };
    let settings = S3Settings {
        endpoint: s3.endpoint.clone(),
        region: s3
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .unwrap_or_else(|| "us-east-1".into()),
        bucket: bucket.to_owned(),
        prefix,
        force_path_style: s3.path_style || s3.endpoint.is_some(),
        credentials,
        storage_class,
        part_size: DEFAULT_PART_SIZE,
        equal_parts: false,
        parts_in_flight: DEFAULT_PARTS_IN_FLIGHT,
        sse,
        accelerate: false,
        answer_wait: dbackup_storage::DEFAULT_ANSWER_WAIT,
    };
    Ok(NamedDestination {
        name: spec.to_owned(),
        destination: Arc::new(S3Destination::new(settings)),
    })
}

/// The storage class of an s3:// address, checked as a saved destination's is: a typo
/// must not reach S3 as a class it refuses half-way through an upload.
fn storage_class(wanted: Option<&str>) -> Result<Option<String>, EngineError> {
    use dbackup_engine::s3_destination::STORAGE_CLASSES;
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let class = wanted.trim().to_ascii_uppercase();
    if !STORAGE_CLASSES.iter().any(|(c, _, _)| *c == class) {
        let known: Vec<&str> = STORAGE_CLASSES.iter().map(|(c, _, _)| *c).collect();
        return Err(EngineError::invalid(
            "storage-class",
            format!(
                "{wanted:?} is not a storage class DBackup offers; use one of {}",
                known.join(", ")
            ),
        ));
    }
    // STANDARD is what S3 uses when none is given.
    Ok((class != "STANDARD").then_some(class))
}

/// The server-side encryption an s3:// address asks for, as a saved destination's form
/// would store it.
fn server_side_encryption(
    sse: SseArg,
    kms_key_id: Option<&str>,
) -> Result<Option<ServerSideEncryption>, EngineError> {
    let key = kms_key_id.map(str::trim).filter(|k| !k.is_empty());
    match (sse, key) {
        (SseArg::Kms, key) => Ok(Some(ServerSideEncryption::Kms {
            key_id: key.map(str::to_owned),
        })),
        (_, Some(_)) => Err(EngineError::invalid(
            "kms-key-id",
            "a KMS key applies only with --sse kms",
        )),
        (SseArg::S3, None) => Ok(Some(ServerSideEncryption::S3Managed)),
        (SseArg::BucketDefault, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_side_encryption_follows_the_flags() {
        assert_eq!(
            server_side_encryption(SseArg::BucketDefault, None).unwrap(),
            None
        );
        assert_eq!(
            server_side_encryption(SseArg::S3, None).unwrap(),
            Some(ServerSideEncryption::S3Managed)
        );
        assert_eq!(
            server_side_encryption(SseArg::Kms, Some(" alias/backups ")).unwrap(),
            Some(ServerSideEncryption::Kms {
                key_id: Some("alias/backups".into())
            })
        );
        assert_eq!(
            server_side_encryption(SseArg::Kms, None).unwrap(),
            Some(ServerSideEncryption::Kms { key_id: None })
        );
        let err = server_side_encryption(SseArg::S3, Some("k"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("only with --sse kms"), "{err}");
    }

    #[test]
    fn storage_classes_are_checked_and_normalised() {
        assert_eq!(storage_class(None).unwrap(), None);
        assert_eq!(storage_class(Some("standard")).unwrap(), None);
        assert_eq!(
            storage_class(Some(" glacier_ir ")).unwrap(),
            Some("GLACIER_IR".to_owned())
        );
        let wrong = storage_class(Some("GLACIER-IR")).unwrap_err().to_string();
        assert!(wrong.contains("not a storage class"), "{wrong}");
        assert!(
            wrong.contains("DEEP_ARCHIVE"),
            "the message lists the classes: {wrong}"
        );
    }
}

/// What went wrong at a destination. Messages name the operation, the object and
/// what to do; they never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{key:?} is not a usable object name: {reason}")]
    InvalidKey { key: String, reason: String },
    #[error("no object {key:?} at {destination}")]
    NotFound { destination: String, key: String },
    #[error("{operation} at {destination} failed: Access Denied. Check that the IAM policy allows s3:{action}, that no bucket policy denies it, that the access key is active, and that the region matches the bucket's")]
    AccessDenied {
        destination: String,
        operation: String,
        action: &'static str,
    },
    #[error("The specified bucket does not exist: {bucket:?}. Check the bucket name (it is case-sensitive), the region, and that the bucket belongs to this account")]
    NoSuchBucket { bucket: String },
    #[error("The AWS Access Key Id you provided does not exist in the records of {destination}. Regenerate the access key, check for leading or trailing spaces, and check that the key is active (not disabled)")]
    InvalidAccessKeyId { destination: String },
    #[error("The access key is disabled at {destination} (its user is suspended or the key is inactive), so every request is refused. Activate the key again (IAM console: Security credentials), or create a new access key and enter it here")]
    KeyDisabled { destination: String },
    #[error("The request signature does not match at {destination}: the Secret Access Key is wrong. Enter the secret that belongs to this access key again")]
    SignatureDoesNotMatch { destination: String },
    #[error("The difference between this computer's clock and {destination}'s is too large (RequestTimeTooSkewed). Set the clock right (enable automatic time) and try again")]
    ClockSkew { destination: String },
    #[error("no AWS credentials for {destination}: {detail}. The default credential chain looks in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, in ~/.aws/credentials and ~/.aws/config (AWS_PROFILE; for SSO run `aws sso login`), and at the instance or container role. Set one of these up, or give the destination an access key")]
    NoCredentials { destination: String, detail: String },
    #[error("The bucket {bucket:?} is not in {configured}{}: set the destination's region to {}", match actual { Some(a) => format!(" but in {a}"), None => String::new() }, actual.as_deref().unwrap_or("the bucket's (S3 console, the bucket's Properties)"))]
    WrongRegion {
        bucket: String,
        configured: String,
        actual: Option<String>,
    },
    #[error("cannot reach {endpoint}: {detail}. Check the endpoint address, your network connection, and any proxy or firewall")]
    Unreachable { endpoint: String, detail: String },
    #[error("{endpoint} took the request but did not answer in time: the server may be overloaded, or out of space and holding writes back (a Ceph cluster with a full OSD does). Check the server, then try again")]
    NoAnswer { endpoint: String },
    #[error("{operation} at {destination} failed: {code}{}", if message.is_empty() { String::new() } else { format!(" ({message})") })]
    Service {
        destination: String,
        operation: String,
        code: String,
        message: String,
    },
    #[error("{operation} in {path} failed: {source}")]
    Io {
        operation: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{key} already exists at {destination}; a backup never replaces another, so nothing was written under that name. Run the backup again (it picks a free name)")]
    AlreadyExists { destination: String, key: String },
    #[error("the upload of {key:?} was aborted; nothing was stored under that name")]
    Aborted { key: String },
    #[error("{key} at {destination} is in an archive storage class (S3 Glacier Flexible Retrieval or Deep Archive) and cannot be read until it is restored. Request a restore (Storage Explorer: Restore from Glacier, or `dbackup backup glacier-restore`), wait until it is ready (minutes to 48 hours, by tier), then try again")]
    Archived { destination: String, key: String },
    #[error("{key} is stored in {class}, which is read directly: it needs no restore")]
    NotArchived { key: String, class: String },
    #[error("{destination} has no S3 Object Lock: it is a folder, or its bucket was created without Object Lock (it can only be enabled when a bucket is created). Create a bucket with Object Lock enabled for immutable backups; a DBackup lock (without --until) still keeps a backup from retention")]
    ObjectLockUnavailable { destination: String },
}

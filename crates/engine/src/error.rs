use dbackup_store::StoreError;
use serde::Serialize;

use crate::secrets::KeyringError;

/// Stable codes the UI and scripts switch on; messages are for people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request itself is wrong: fix the named field.
    InvalidInput,
    NotFound,
    /// It clashes with something that exists (a name in use).
    Conflict,
    /// The local state database cannot be used.
    Store,
    /// The OS keyring is missing, locked or refused.
    Keyring,
    /// A destination (bucket, folder) failed.
    Storage,
    /// The key or passphrase does not fit the backup.
    WrongKey,
    /// A backup is damaged, truncated, or disagrees with its manifest.
    Corrupt,
    /// The source (database, dump tool, file) failed.
    Source,
    /// The backup is in S3 Glacier: request a restore and wait until it is ready.
    NeedsRestore,
    /// Writing on this computer failed (a restore or download target): the disk is
    /// full, or the place is not writable.
    LocalDisk,
    /// Made by a newer DBackup: update DBackup to read it.
    NeedsUpdate,
    Cancelled,
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Storage(#[from] dbackup_storage::StorageError),
    #[error(transparent)]
    Archive(#[from] dbackup_archive::ArchiveError),
    #[error(transparent)]
    Source(#[from] dbackup_sources::SourceError),
    #[error(transparent)]
    Folder(#[from] dbackup_sources::folder::FolderError),
    #[error("reading the source failed: {detail}. Nothing was stored; fix the source and run the backup again")]
    SourceFailed { detail: String },
    #[error("the backup was stored on no destination: {failures}")]
    AllDestinationsFailed { failures: String },
    #[error("{what} was written by a newer DBackup (format version {found}; this one reads up to {supported}): update DBackup, then try again")]
    Newer {
        what: String,
        found: u32,
        supported: u32,
    },
    #[error("the destination {destination} does not work for backups: {failed} failed (each action's reason is listed above). Fix the access key or the bucket's policy, then test again")]
    TestFailed { destination: String, failed: String },
    /// One unit (a database, a file) of a run failed; its own code and message.
    #[error("{unit}: {message}")]
    UnitFailed {
        unit: String,
        code: ErrorCode,
        message: String,
    },
    #[error("{object} does not match its record: {detail}. This copy is damaged; restore from another copy")]
    Mismatch { object: String, detail: String },
    #[error("{object} is not encrypted, so anyone who can write to that destination could have made it and it was not restored. If you know where it came from, restore it with the explicit choice to accept an unencrypted backup (--allow-unencrypted on the command line)")]
    Unencrypted { object: String },
    #[error("{object} was not made by the job it claims: {detail}. It was not restored; check who can write to that destination")]
    NotFromJob { object: String, detail: String },
    #[error("restoring failed: {detail}. Nothing was left under the target name; {}", target_advice(*kind))]
    RestoreTarget {
        detail: String,
        /// What the local filesystem said, for the advice and the code.
        kind: std::io::ErrorKind,
    },
    #[error("another scheduler already runs the jobs of this computer: {holder}. Only one may run at a time, so no job runs twice; stop that one first, or let it do the work")]
    SchedulerBusy { holder: String },
    #[error("{object} is stored in {class} and {state}. {what_to_do}")]
    NeedsRestore {
        object: String,
        class: String,
        state: String,
        what_to_do: String,
    },
    #[error("some restores from Glacier could not be checked: {failures}. They are checked again next time")]
    GlacierCheckFailed { failures: String },
    #[error("cancelled; nothing was left that looks like a complete backup")]
    Cancelled,
    #[error("internal error: {detail}. Please report it with the log file")]
    Internal { detail: String },
    #[error(
        "cannot find your home folder to keep DBackup's data in; set DBACKUP_DATA_DIR to a folder"
    )]
    NoHomeDir,
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::Store(
                StoreError::DuplicateName { .. }
                | StoreError::DuplicateKey { .. }
                | StoreError::InUse { .. }
                | StoreError::JobRunning { .. },
            ) => ErrorCode::Conflict,
            Self::Store(StoreError::NotFound { .. }) => ErrorCode::NotFound,
            Self::Store(_) | Self::NoHomeDir => ErrorCode::Store,
            Self::Keyring(KeyringError::NotFound { .. }) => ErrorCode::NotFound,
            Self::Keyring(_) => ErrorCode::Keyring,
            Self::Storage(
                dbackup_storage::StorageError::ObjectLockUnavailable { .. }
                | dbackup_storage::StorageError::NotArchived { .. },
            ) => ErrorCode::InvalidInput,
            Self::Storage(dbackup_storage::StorageError::Archived { .. })
            | Self::NeedsRestore { .. } => ErrorCode::NeedsRestore,
            Self::Storage(_)
            | Self::AllDestinationsFailed { .. }
            | Self::GlacierCheckFailed { .. } => ErrorCode::Storage,
            Self::Archive(e) => archive_code(e),
            Self::Mismatch { .. } | Self::NotFromJob { .. } => ErrorCode::Corrupt,
            Self::Unencrypted { .. } => ErrorCode::InvalidInput,
            Self::SourceFailed { .. } => ErrorCode::Source,
            Self::Source(e) => source_code(e),
            Self::Folder(e) => folder_code(e),
            Self::RestoreTarget { .. } => ErrorCode::LocalDisk,
            Self::SchedulerBusy { .. } => ErrorCode::Conflict,
            Self::UnitFailed { code, .. } => *code,
            Self::Newer { .. } => ErrorCode::NeedsUpdate,
            Self::TestFailed { .. } => ErrorCode::Storage,
            Self::Cancelled => ErrorCode::Cancelled,
            Self::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// The input field an InvalidInput error concerns, so a form can show it there.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidInput { field, .. } => Some(field),
            Self::Source(dbackup_sources::SourceError::Invalid { field, .. }) => Some(field),
            Self::Store(StoreError::DuplicateName { .. } | StoreError::DuplicateKey { .. }) => {
                Some("name")
            }
            _ => None,
        }
    }

    /// The message without the field name in front (for display next to the field).
    pub fn message_for_field(&self) -> String {
        match self {
            Self::InvalidInput { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }
}

/// What to do about a restore target the filesystem refused.
fn target_advice(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::StorageFull | K::QuotaExceeded | K::FileTooLarge => {
            "the disk is full: free space there, or choose a place on another disk"
        }
        K::PermissionDenied | K::ReadOnlyFilesystem => {
            "this user may not write there: choose a folder you own, or fix its permissions"
        }
        K::NotFound => "the folder does not exist: create it or choose another",
        _ => "check the place and try again, or choose another",
    }
}

fn source_code(e: &dbackup_sources::SourceError) -> ErrorCode {
    use dbackup_sources::SourceError as S;
    match e {
        S::Invalid { .. } => ErrorCode::InvalidInput,
        S::TargetExists { .. } | S::TargetNotEmpty { .. } => ErrorCode::Conflict,
        // Not what DBackup wrote: the same verdict as a damaged archive.
        S::UnsafeScript { .. } | S::ScriptTooLarge { .. } => ErrorCode::Corrupt,
        _ => ErrorCode::Source,
    }
}

fn folder_code(e: &dbackup_sources::folder::FolderError) -> ErrorCode {
    use dbackup_sources::folder::FolderError as F;
    match e {
        F::BadPattern { .. } | F::TargetNotFolder { .. } => ErrorCode::InvalidInput,
        F::TargetNotEmpty { .. } | F::Clash { .. } => ErrorCode::Conflict,
        F::UnsafeEntry { .. } | F::UnsupportedEntry { .. } | F::Truncated => ErrorCode::Corrupt,
        _ => ErrorCode::Source,
    }
}

fn archive_code(e: &dbackup_archive::ArchiveError) -> ErrorCode {
    use dbackup_archive::ArchiveError as A;
    match e {
        A::WrongKey | A::NoKey { .. } | A::PassphraseRequired => ErrorCode::WrongKey,
        // The keys come from the keyring: its failure (locked, refused) is its own.
        A::KeyLookup { source } => source
            .downcast_ref::<EngineError>()
            .map(EngineError::code)
            .unwrap_or(ErrorCode::Keyring),
        A::UnsupportedVersion { found, supported } if found > supported => ErrorCode::NeedsUpdate,
        A::Io { .. } => ErrorCode::Storage,
        _ => ErrorCode::Corrupt,
    }
}

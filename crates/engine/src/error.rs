use dbackup_store::StoreError;
use serde::Serialize;

use crate::secrets::KeyringError;

/// Stable codes the UI and scripts switch on; messages are for people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
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
    #[error(
        "cannot find your home folder to keep DBackup's data in; set DBACKUP_DATA_DIR to a folder"
    )]
    NoHomeDir,
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::Store(StoreError::DuplicateName { .. }) => ErrorCode::Conflict,
            Self::Store(StoreError::NotFound { .. }) => ErrorCode::NotFound,
            Self::Store(_) | Self::NoHomeDir => ErrorCode::Store,
            Self::Keyring(KeyringError::NotFound { .. }) => ErrorCode::NotFound,
            Self::Keyring(_) => ErrorCode::Keyring,
            Self::Storage(_) => ErrorCode::Storage,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }
}

use dbackup_engine::{EngineError, ErrorCode};
use serde::Serialize;

/// Every command error crosses IPC as `{code, message}`: the UI switches on the
/// stable code and shows the message.
#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field the error concerns (e.g. `name`, `path`), for forms.
    pub field: Option<String>,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        match e.field() {
            Some(field) => Self {
                code: e.code(),
                message: e.message_for_field(),
                field: Some(field.to_owned()),
            },
            None => Self {
                code: e.code(),
                message: e.to_string(),
                field: None,
            },
        }
    }
}

impl IpcError {
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Internal,
            message: message.into(),
            field: None,
        }
    }
}

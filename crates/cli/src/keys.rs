//! Keys for the CLI: a recovery kit or key file (64 hex characters), or a passphrase
//! from an environment variable or a file. Never from arguments (visible in `ps`).

use std::path::Path;

use dbackup_archive::{Key, KeySet, Passphrase};
use dbackup_engine::EngineError;

use crate::args::KeyOptions;

/// Reads a key from a recovery kit or a file holding the key as 64 hex characters.
pub fn read_key_file(path: &Path) -> Result<Key, EngineError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        EngineError::invalid("key-file", format!("cannot read {}: {e}", path.display()))
    })?;
    parse_key(&text).ok_or_else(|| {
        EngineError::invalid(
            "key-file",
            format!(
                "{} holds no key: expected a DBackup recovery kit or 64 hexadecimal characters",
                path.display()
            ),
        )
    })
}

pub use dbackup_engine::keys::{parse_key, recovery_kit};

pub fn passphrase(opts: &KeyOptions) -> Result<Option<Passphrase>, EngineError> {
    if let Some(var) = &opts.passphrase_env {
        let value = std::env::var(var).map_err(|_| {
            EngineError::invalid(
                "passphrase-env",
                format!("the environment variable {var} is not set"),
            )
        })?;
        return Ok(Some(Passphrase::new(value)));
    }
    if let Some(path) = &opts.passphrase_file {
        let value = std::fs::read_to_string(path).map_err(|e| {
            EngineError::invalid(
                "passphrase-file",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        return Ok(Some(Passphrase::new(
            value.trim_end_matches(['\n', '\r']).to_owned(),
        )));
    }
    Ok(None)
}

/// Whether the command was given keys of its own; if not, the key profiles in the
/// OS keyring are used.
pub fn given(opts: &KeyOptions) -> bool {
    !opts.key_file.is_empty() || opts.passphrase_env.is_some() || opts.passphrase_file.is_some()
}

/// Everything given for reading: key files and a passphrase.
pub fn key_set(opts: &KeyOptions) -> Result<KeySet, EngineError> {
    let mut set = KeySet::new();
    for path in &opts.key_file {
        set = set.with_key(read_key_file(path)?);
    }
    if let Some(p) = passphrase(opts)? {
        set = set.with_passphrase(p);
    }
    Ok(set)
}

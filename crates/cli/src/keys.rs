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

/// The first run of exactly 64 hex digits (a kit's `Key:` line, or a bare key).
pub fn parse_key(text: &str) -> Option<Key> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .find(|word| word.len() == 64)
        .and_then(|word| {
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(word, &mut bytes).ok()?;
            Some(Key::from_bytes(bytes))
        })
}

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

/// A recovery kit: everything needed to decrypt this key's backups without the app.
pub fn recovery_kit(key: &Key, name: &str, created: &str) -> String {
    format!(
        "DBackup recovery kit\n\
         ====================\n\
         Key name: {name}\n\
         Key ID:   {id}\n\
         Created:  {created}\n\
         Key:      {hex}\n\
         \n\
         Keep this file somewhere safe and offline (printed, or in a password manager).\n\
         Anyone holding it can read the backups made with this key; without it, nobody can.\n\
         To restore with only this kit and the bucket:\n\
         \n  AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\\n  \
         dbackup restore OBJECT --from s3://BUCKET/PREFIX --key-file THIS_FILE --output PATH\n",
        id = key.id(),
        hex = hex::encode(key.expose()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kit_round_trips_and_bare_hex_parses() {
        let key = Key::from_bytes([0xab; 32]);
        let kit = recovery_kit(&key, "laptop", "2026-11-25T10:00:00Z");
        assert_eq!(parse_key(&kit).unwrap().expose(), key.expose());
        assert!(kit.contains(&format!("Key ID:   {}", key.id())));
        let bare = format!("{}\n", "0f".repeat(32));
        assert_eq!(parse_key(&bare).unwrap().expose(), &[0x0f; 32]);
        assert!(parse_key("not a key").is_none());
        assert!(parse_key(&"a".repeat(63)).is_none());
        assert!(parse_key(&"a".repeat(65)).is_none());
    }
}

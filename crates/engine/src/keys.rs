//! Encryption key profiles: named random 256-bit keys kept in the OS keyring, with
//! recovery kits that restore backups without the app. The store holds only the
//! name and the key id (which identifies a key without revealing it).

use dbackup_archive::{Key, KeyId, KeyLookup, KeyLookupError, Passphrase};
use dbackup_store::KeyProfileRecord;
use jiff::Timestamp;
use serde::Serialize;

use crate::destinations::validate_name;
use crate::secrets::{ExposeSecret, Keyring, Secret};
use crate::{Engine, EngineError};

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyProfileView {
    pub id: String,
    pub name: String,
    /// 8 hex characters; backups name the key they need by it.
    pub key_id: String,
    pub created_at: String,
    /// False until a recovery kit was exported: such a key is one lost keyring away
    /// from losing every backup made with it.
    pub exported: bool,
}

impl From<KeyProfileRecord> for KeyProfileView {
    fn from(r: KeyProfileRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            key_id: r.key_id,
            created_at: r.created_at.to_string(),
            exported: r.exported_at.is_some(),
        }
    }
}

fn home() -> Result<std::path::PathBuf, EngineError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from)
        .ok_or_else(|| {
            EngineError::invalid(
                "output",
                "no home folder is set; give the full path of a new file",
            )
        })
}

/// `dir/stem.ext`, or `dir/stem (2).ext` and so on when taken.
fn free_name(dir: &std::path::Path, stem: &str, ext: &str) -> std::path::PathBuf {
    let stem: String = stem
        .chars()
        .map(|c| if c == '/' { '-' } else { c })
        .collect();
    let mut candidate = dir.join(format!("{stem}.{ext}"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{stem} ({n}).{ext}"));
        n += 1;
    }
    candidate
}

/// Where to write a new file the user asked for: their full path (`~` is the home
/// folder), or without one a free name in the home folder.
pub(crate) fn new_file_path(
    path: Option<std::path::PathBuf>,
    default_stem: &str,
    ext: &str,
) -> Result<std::path::PathBuf, EngineError> {
    match path {
        Some(p) if p.starts_with("~") => Ok(home()?.join(p.strip_prefix("~").unwrap_or(&p))),
        Some(p) if p.is_absolute() => Ok(p),
        Some(p) => Err(EngineError::invalid(
            "output",
            format!(
                "{} is relative; give the full path of a new file",
                p.display()
            ),
        )),
        None => Ok(free_name(&home()?, default_stem, ext)),
    }
}

/// Creates the file with mode 0600 (no window where others could read it); refuses to
/// replace an existing file.
pub fn write_private(path: &std::path::Path, contents: &[u8]) -> Result<(), EngineError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        EngineError::invalid("output", format!("cannot create {}: {e}", path.display()))
    })?;
    file.write_all(contents)
        .and_then(|_| file.sync_all())
        .map_err(|e| {
            EngineError::invalid("output", format!("cannot write {}: {e}", path.display()))
        })
}

fn account(profile_id: &str) -> String {
    format!("key-profile/{profile_id}")
}

/// Reads a key from a recovery kit or text holding the key as 64 hex characters
/// (the rule of docs/FORMAT.md, "Recovery kits and key files").
pub fn parse_key(text: &str) -> Option<Key> {
    dbackup_archive::parse_key_file(text)
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

fn key_from_keyring(keyring: &Keyring, profile_id: &str) -> Result<Key, EngineError> {
    let secret = keyring.get(&account(profile_id))?;
    parse_key(secret.expose_secret()).ok_or_else(|| EngineError::Internal {
        detail: format!(
            "the keyring entry {} does not hold a key",
            account(profile_id)
        ),
    })
}

impl Engine {
    pub fn list_key_profiles(&self) -> Result<Vec<KeyProfileView>, EngineError> {
        Ok(self
            .store()
            .list_key_profiles()?
            .into_iter()
            .map(KeyProfileView::from)
            .collect())
    }

    /// Creates a new random key, kept in the OS keyring.
    pub fn create_key_profile(
        &self,
        name: &str,
        now: Timestamp,
    ) -> Result<KeyProfileView, EngineError> {
        self.add_key_profile(name, Key::generate()?, now)
    }

    /// Imports an existing key (from a recovery kit or 64 hex characters). A key that
    /// is already held is refused, naming the profile that holds it.
    pub fn import_key_profile(
        &self,
        name: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<KeyProfileView, EngineError> {
        let key = parse_key(text).ok_or_else(|| {
            EngineError::invalid("key", "no key found: paste a DBackup recovery kit or the key as 64 hexadecimal characters")
        })?;
        let view = self.add_key_profile(name, key, now)?;
        // An imported key came from a kit: it already exists outside the keyring.
        self.store().mark_key_profile_exported(&view.id, now)?;
        Ok(KeyProfileView {
            exported: true,
            ..view
        })
    }

    /// Imports the key of a recovery kit file (or a file with the key as 64 hex characters).
    pub fn import_key_profile_file(
        &self,
        name: &str,
        path: &std::path::Path,
        now: Timestamp,
    ) -> Result<KeyProfileView, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            EngineError::invalid("path", format!("cannot read {}: {e}", path.display()))
        })?;
        self.import_key_profile(name, &text, now)
    }

    fn add_key_profile(
        &self,
        name: &str,
        key: Key,
        now: Timestamp,
    ) -> Result<KeyProfileView, EngineError> {
        let name = validate_name(name)?;
        let record = KeyProfileRecord {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            key_id: key.id().to_string(),
            created_at: now,
            exported_at: None,
        };
        if let Some(existing) = self.store().key_profile_by_key_id(&record.key_id)? {
            return Err(dbackup_store::StoreError::DuplicateKey {
                existing: existing.name,
            }
            .into());
        }
        // Keyring first: a row without its key would be useless, a key without a row
        // is only an orphan entry.
        self.keyring.set(
            &account(&record.id),
            &Secret::from(hex::encode(key.expose())),
        )?;
        if let Err(e) = self.store().insert_key_profile(&record) {
            let _ = self.keyring.delete(&account(&record.id));
            return Err(e.into());
        }
        tracing::info!(name = %record.name, key_id = %record.key_id, "added a key profile");
        Ok(record.into())
    }

    /// The id of the key profile with this name, id or key id.
    pub fn key_profile_id(&self, name_or_id: &str) -> Result<String, EngineError> {
        Ok(self.find_key_profile(name_or_id)?.id)
    }

    pub(crate) fn find_key_profile(
        &self,
        name_or_id: &str,
    ) -> Result<KeyProfileRecord, EngineError> {
        self.store()
            .list_key_profiles()?
            .into_iter()
            .find(|p| {
                p.id == name_or_id
                    || p.key_id == name_or_id
                    || p.name.eq_ignore_ascii_case(name_or_id)
            })
            .ok_or_else(|| {
                EngineError::invalid(
                    "key",
                    format!("no key profile named {name_or_id:?}; `dbackup key list` shows them, `dbackup key create` makes one"),
                )
            })
    }

    /// The key of a profile, for encrypting a backup.
    pub fn key_profile_key(&self, name_or_id: &str) -> Result<Key, EngineError> {
        let profile = self.find_key_profile(name_or_id)?;
        key_from_keyring(&self.keyring, &profile.id)
    }

    /// The recovery kit of a profile. It counts as exported only once the caller
    /// has it somewhere safe: see [`Engine::recovery_kit_saved`].
    pub fn export_recovery_kit(&self, name_or_id: &str) -> Result<String, EngineError> {
        let profile = self.find_key_profile(name_or_id)?;
        let key = key_from_keyring(&self.keyring, &profile.id)?;
        Ok(recovery_kit(
            &key,
            &profile.name,
            &profile.created_at.to_string(),
        ))
    }

    /// Records that a profile's recovery kit was written out, which turns off the
    /// "no recovery kit yet" warning. Only after the write succeeded: the kit is the
    /// only way to read the backups once this keyring is lost. Each export is logged
    /// (without the key).
    pub fn recovery_kit_saved(&self, name_or_id: &str, now: Timestamp) -> Result<(), EngineError> {
        let profile = self.find_key_profile(name_or_id)?;
        self.store().mark_key_profile_exported(&profile.id, now)?;
        tracing::warn!(name = %profile.name, key_id = %profile.key_id, "exported a recovery kit");
        Ok(())
    }

    /// Writes the recovery kit to a new private file and returns its path. Without
    /// `path`, a new file in the home folder named after the key.
    pub fn save_recovery_kit(
        &self,
        name_or_id: &str,
        path: Option<std::path::PathBuf>,
        now: Timestamp,
    ) -> Result<std::path::PathBuf, EngineError> {
        let profile = self.find_key_profile(name_or_id)?;
        let path = new_file_path(
            path,
            &format!("DBackup recovery kit - {}", profile.name),
            "txt",
        )?;
        let kit = self.export_recovery_kit(&profile.id)?;
        write_private(&path, kit.as_bytes())?;
        self.recovery_kit_saved(&profile.id, now)?;
        Ok(path)
    }

    /// The keys this installation holds, for reading backups.
    pub fn key_lookup(&self) -> Result<StoredKeys, EngineError> {
        let profiles = self.store().list_key_profiles()?;
        Ok(StoredKeys {
            keyring: self.keyring.clone(),
            profiles: profiles.into_iter().map(|p| (p.key_id, p.id)).collect(),
        })
    }
}

/// Key lookup over the profiles in the OS keyring: by key id first, every profile if
/// the id is unknown (per the key-profile rules).
#[derive(Debug, Clone)]
pub struct StoredKeys {
    keyring: Keyring,
    /// (key id, profile id)
    profiles: Vec<(String, String)>,
}

impl KeyLookup for StoredKeys {
    fn key_by_id(&self, id: KeyId) -> Result<Option<Key>, KeyLookupError> {
        let wanted = id.to_string();
        match self.profiles.iter().find(|(key_id, _)| *key_id == wanted) {
            Some((_, profile)) => Ok(Some(key_from_keyring(&self.keyring, profile)?)),
            None => Ok(None),
        }
    }

    fn all_keys(&self) -> Result<Vec<Key>, KeyLookupError> {
        let mut keys = Vec::new();
        for (_, profile) in &self.profiles {
            keys.push(key_from_keyring(&self.keyring, profile)?);
        }
        Ok(keys)
    }

    fn passphrase(&self) -> Result<Option<Passphrase>, KeyLookupError> {
        Ok(None)
    }
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

    /// The kit DBackup writes is byte for byte the one docs/FORMAT.md specifies, and
    /// reads back to its key: a decoder written from the document reads real kits.
    #[test]
    fn the_kit_written_is_the_documented_vector() {
        let doc = include_str!("../../../docs/FORMAT.md");
        let start = doc
            .find("<!-- vector recovery-kit/file -->")
            .and_then(|at| doc[at..].find("```text\n").map(|fence| at + fence + 8))
            .unwrap();
        let documented = &doc[start..start + doc[start..].find("```").unwrap()];
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        let key = Key::from_bytes(bytes);
        let kit = recovery_kit(&key, "vectors", "2025-01-02T03:04:05Z");
        assert_eq!(kit, documented);
        assert_eq!(parse_key(&kit).unwrap().expose(), key.expose());
        // A profile named with 64 hex digits still gives the key, not its name.
        let named = recovery_kit(&key, &"f".repeat(64), "2025-01-02T03:04:05Z");
        assert_eq!(parse_key(&named).unwrap().expose(), key.expose());
        // An edited Key ID line refuses the kit rather than give a wrong key.
        let edited = kit.replace(&key.id().to_string(), "deadbeef");
        assert!(parse_key(&edited).is_none());
    }
}

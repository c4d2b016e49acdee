//! Manifest authentication. Retention trusts a manifest's job, installation, date and
//! lock, and anyone who can write to the prefix could rewrite them (make an old backup
//! look new, or unlock a locked one). So each manifest carries an HMAC-SHA-256 tag over
//! everything else in it, keyed:
//! - for a backup encrypted with a key profile, by a key derived from that key (HKDF,
//!   info `dbackup manifest v1`): any computer holding the key can check it;
//! - otherwise, by this installation's own manifest key, kept in the OS keyring.
//!
//! A manifest whose tag does not check is kept by retention and reported, never
//! deleted: an unauthenticated manifest can keep a backup, never cost one.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::manifest::Manifest;
use crate::secrets::{ExposeSecret, Keyring, KeyringError, Secret};
use crate::EngineError;

const INFO: &[u8] = b"dbackup manifest v1";
const INSTALLATION_ACCOUNT: &str = "installation/manifest-key";

/// A key that signs and checks manifests.
#[derive(Clone)]
pub struct ManifestKey(pub(crate) [u8; 32]);

impl std::fmt::Debug for ManifestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManifestKey(..)")
    }
}

impl ManifestKey {
    /// The key for manifests of backups encrypted with `key`.
    pub fn for_archive_key(key: &dbackup_archive::Key) -> Self {
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA-256's limit of 8160: expand cannot fail.
        let _ = hkdf::Hkdf::<Sha256>::new(None, key.expose()).expand(INFO, &mut out);
        Self(out)
    }

    /// This installation's key for manifests of backups not encrypted with a key
    /// profile, created in the keyring on first use.
    pub fn installation(keyring: &Keyring) -> Result<Self, EngineError> {
        match keyring.get(INSTALLATION_ACCOUNT) {
            Ok(secret) => {
                parse_hex(secret.expose_secret())
                    .map(Self)
                    .ok_or_else(|| EngineError::Internal {
                        detail: format!(
                            "the keyring entry {INSTALLATION_ACCOUNT} does not hold a key"
                        ),
                    })
            }
            Err(KeyringError::NotFound { .. }) => {
                // Two UUIDs' worth of OS randomness.
                let bytes: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()]
                    .iter()
                    .flat_map(|u| *u.as_bytes())
                    .collect();
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                keyring.set(INSTALLATION_ACCOUNT, &Secret::from(hex::encode(key)))?;
                // Two processes creating it at once: both go on with the one stored.
                let stored = keyring.get(INSTALLATION_ACCOUNT)?;
                parse_hex(stored.expose_secret())
                    .map(Self)
                    .ok_or_else(|| EngineError::Internal {
                        detail: format!(
                            "the keyring entry {INSTALLATION_ACCOUNT} does not hold a key"
                        ),
                    })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The tag of `manifest` (its `auth` field left out).
    pub fn tag(&self, manifest: &Manifest) -> Result<String, EngineError> {
        let mut mac = self.mac()?;
        mac.update(&signed_bytes(manifest)?);
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `manifest` carries this key's tag over exactly what it says.
    pub fn verifies(&self, manifest: &Manifest) -> bool {
        let (Some(tag), Ok(bytes), Ok(mut mac)) = (
            manifest.auth.as_deref().and_then(|t| hex::decode(t).ok()),
            signed_bytes(manifest),
            self.mac(),
        ) else {
            return false;
        };
        mac.update(&bytes);
        mac.verify_slice(&tag).is_ok()
    }

    fn mac(&self) -> Result<Hmac<Sha256>, EngineError> {
        Hmac::<Sha256>::new_from_slice(&self.0).map_err(|e| EngineError::Internal {
            detail: format!("HMAC refused the manifest key: {e}"),
        })
    }
}

/// The manifest as JSON without its tag: the bytes the tag covers.
fn signed_bytes(manifest: &Manifest) -> Result<Vec<u8>, EngineError> {
    let mut unsigned = manifest.clone();
    unsigned.auth = None;
    serde_json::to_vec(&unsigned).map_err(|e| EngineError::Internal {
        detail: format!("cannot encode a manifest: {e}"),
    })
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut out).ok()?;
    Some(out)
}

impl crate::Engine {
    /// The key that signs the manifests of a backup made with `encryption`: derived
    /// from a key profile's key, else this installation's own. `None` (unsigned, so
    /// never deleted by retention) when the keyring cannot give one now.
    pub fn signing_key(
        &self,
        encryption: &dbackup_archive::EncryptionSetting,
    ) -> Option<ManifestKey> {
        match encryption {
            dbackup_archive::EncryptionSetting::KeyProfile(key) => {
                Some(ManifestKey::for_archive_key(key))
            }
            _ => match self.installation_manifest_key() {
                Ok(key) => Some(key),
                Err(e) => {
                    tracing::warn!(
                        "manifests are not signed ({e}); retention will keep these backups"
                    );
                    None
                }
            },
        }
    }

    /// The key that checks `manifest`: its key profile's, when it names one this
    /// computer holds, else this installation's.
    pub(crate) fn checking_key(&self, manifest: &Manifest) -> Option<ManifestKey> {
        use dbackup_archive::KeyLookup;
        if manifest.encryption == "key" {
            let id: dbackup_archive::KeyId = manifest.key_id.as_deref()?.parse().ok()?;
            let key = self.key_lookup().ok()?.key_by_id(id).ok()??;
            return Some(ManifestKey::for_archive_key(&key));
        }
        self.installation_manifest_key().ok()
    }

    /// This installation's manifest key (see [`ManifestKey::installation`]); the
    /// engine's unit tests give each bench a fixed one instead of a keyring entry.
    pub(crate) fn installation_manifest_key(&self) -> Result<ManifestKey, EngineError> {
        #[cfg(test)]
        if let Some(key) = &self.test_manifest_key {
            return Ok(key.clone());
        }
        ManifestKey::installation(self.keyring())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        serde_json::from_value(serde_json::json!({
            "manifestVersion": 1, "formatVersion": 2, "object": "a/a_2026-12-06T10-00-00Z.dbk",
            "jobId": "j1", "compression": "zstd", "compressionLevel": 3, "encryption": "key",
            "keyId": "630dcd29", "plainSize": 10, "storedSize": 20, "sha256": "00",
            "createdAt": "2026-12-06T10:00:00Z", "trigger": "schedule", "locked": true
        }))
        .unwrap()
    }

    #[test]
    fn a_tag_covers_every_field_retention_and_locks_rely_on() {
        let key = ManifestKey::for_archive_key(&dbackup_archive::Key::from_bytes([3; 32]));
        let mut signed = manifest();
        signed.auth = Some(key.tag(&signed).unwrap());
        assert!(key.verifies(&signed));
        // Another key, or any change, fails.
        let other = ManifestKey::for_archive_key(&dbackup_archive::Key::from_bytes([4; 32]));
        assert!(!other.verifies(&signed));
        for change in [
            (|m: &mut Manifest| m.locked = false) as fn(&mut Manifest),
            |m| m.created_at = "2026-01-01T00:00:00Z".into(),
            |m| m.job_id = Some("j2".into()),
            |m| m.installation_id = Some("another".into()),
            |m| m.database = Some("crm".into()),
        ] {
            let mut forged = signed.clone();
            change(&mut forged);
            assert!(!key.verifies(&forged));
        }
        let mut unsigned = signed.clone();
        unsigned.auth = None;
        assert!(!key.verifies(&unsigned));
    }
}

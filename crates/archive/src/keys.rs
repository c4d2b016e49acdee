//! Keys, passphrases and everything derived from them.

use std::fmt;
use std::str::FromStr;

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ArchiveError, KeyLookupError};

/// HKDF `info` for the AES-256-GCM data key (FORMAT.md, Keys).
pub const DATA_KEY_INFO: &[u8] = b"dbackup archive v1 data key";
/// HKDF `info` for the stored key check (FORMAT.md, Keys).
pub const KEY_CHECK_INFO: &[u8] = b"dbackup archive v1 key check";

/// A 32-byte key-profile key. Its bytes are wiped when it is dropped and never
/// appear in `Debug` output.
#[derive(Clone)]
pub struct Key {
    bytes: [u8; 32],
}

impl Key {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, ArchiveError> {
        let mut key = Self { bytes: [0u8; 32] };
        getrandom::fill(&mut key.bytes).map_err(|source| ArchiveError::Randomness { source })?;
        Ok(key)
    }

    /// The raw key, for storing it in a keyring or a recovery kit.
    pub fn expose(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub fn id(&self) -> KeyId {
        key_id(&self.bytes)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key([redacted])")
    }
}

/// A passphrase. Wiped on drop; never shown by `Debug`.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(passphrase: String) -> Self {
        Self(Zeroizing::new(passphrase))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Passphrase {
    fn from(passphrase: String) -> Self {
        Self::new(passphrase)
    }
}

impl From<&str> for Passphrase {
    fn from(passphrase: &str) -> Self {
        Self::new(passphrase.to_owned())
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

/// Reads the key of a recovery kit or key file, as docs/FORMAT.md ("Recovery kits and
/// key files") says: the 64 hexadecimal digits of the `Key:` line when there is one,
/// else the first run of exactly 64 in the text; and when a `Key ID:` line names
/// another key, none (an edited or damaged kit must not silently give a wrong key).
pub fn parse_key_file(text: &str) -> Option<Key> {
    let line = |label: &str| {
        text.lines()
            .find_map(|l| l.trim_start().strip_prefix(label))
    };
    let key = first_key_run(line("Key:").unwrap_or(text))?;
    if let Some(id) = line("Key ID:") {
        if id.trim() != key.id().to_string() {
            return None;
        }
    }
    Some(key)
}

fn first_key_run(text: &str) -> Option<Key> {
    let run = text
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|run| run.len() == 64)?;
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(run.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(Key::from_bytes(bytes))
}

/// The first 4 bytes of SHA-256 of a key: names a key without revealing it.
/// Shown as 8 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 4]);

/// The id under which a key-profile key is recorded in archive headers.
pub fn key_id(key: &[u8; 32]) -> KeyId {
    let digest = Sha256::digest(key);
    let mut id = [0u8; 4];
    id.copy_from_slice(&digest[..4]);
    KeyId(id)
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a string is not a key id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a key id: a key id is 8 hexadecimal characters, like 630dcd29")]
pub struct ParseKeyIdError {
    pub input: String,
}

impl FromStr for KeyId {
    type Err = ParseKeyIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ParseKeyIdError {
            input: s.to_owned(),
        };
        let bytes = s.as_bytes();
        if bytes.len() != 8 {
            return Err(invalid());
        }
        let mut id = [0u8; 4];
        for (slot, pair) in id.iter_mut().zip(bytes.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *slot = u8::from_str_radix(text, 16).map_err(|_| invalid())?;
        }
        Ok(KeyId(id))
    }
}

/// Argon2id cost parameters, stored in passphrase-mode headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// An Argon2id parameter, as named when a header asks for more than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argon2Param {
    /// `m`, in KiB.
    Memory,
    /// `t`, the passes over memory.
    Iterations,
    /// `p`, the lanes.
    Lanes,
}

impl fmt::Display for Argon2Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Argon2Param::Memory => "memory (in KiB)",
            Argon2Param::Iterations => "number of iterations",
            Argon2Param::Lanes => "number of lanes",
        })
    }
}

impl Argon2Params {
    /// The caps (FORMAT.md, Key source) sit well above what DBackup writes
    /// ([`Argon2Params::default`]: 64 MiB, 3 passes, 4 lanes) so that stronger
    /// settings stay readable, and low enough that a hostile header can demand at
    /// most 1 GiB of memory and ten passes over it.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    pub const MAX_ITERATIONS: u32 = 10;
    pub const MAX_PARALLELISM: u32 = 16;

    /// Refuses parameters above the caps, then those Argon2id itself cannot use
    /// (RFC 9106: at least 1 pass, 1 lane and 8 KiB per lane). Runs before
    /// Argon2id allocates anything, when reading and when writing, so DBackup
    /// never writes an archive it would refuse to read.
    pub fn validate(&self) -> Result<(), ArchiveError> {
        for (parameter, value, cap) in [
            (Argon2Param::Memory, self.memory_kib, Self::MAX_MEMORY_KIB),
            (
                Argon2Param::Iterations,
                self.iterations,
                Self::MAX_ITERATIONS,
            ),
            (Argon2Param::Lanes, self.parallelism, Self::MAX_PARALLELISM),
        ] {
            if value > cap {
                return Err(ArchiveError::Argon2ParamAboveCap {
                    parameter,
                    value,
                    cap,
                });
            }
        }
        // parallelism <= MAX_PARALLELISM here, so 8 * parallelism cannot overflow.
        if self.iterations == 0 || self.parallelism == 0 || self.memory_kib < 8 * self.parallelism {
            return Err(ArchiveError::Argon2ParamsOutOfRange {
                memory_kib: self.memory_kib,
                iterations: self.iterations,
                parallelism: self.parallelism,
            });
        }
        Ok(())
    }
}

impl Default for Argon2Params {
    /// RFC 9106 §4, second recommended option: 64 MiB, 3 passes, 4 lanes.
    fn default() -> Self {
        Self {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 4,
        }
    }
}

/// Where a reader gets keys from. Implemented by the engine over the OS keyring;
/// [`KeySet`] is a plain in-memory one.
pub trait KeyLookup {
    /// The key-profile key with this id, if held.
    fn key_by_id(&self, id: KeyId) -> Result<Option<Key>, KeyLookupError>;

    /// Every key-profile key held. Tried when no key has the archive's id, or the
    /// one that has it does not fit (ids are only 32 bits).
    fn all_keys(&self) -> Result<Vec<Key>, KeyLookupError>;

    /// The passphrase to open a passphrase-protected archive with, if one was given.
    fn passphrase(&self) -> Result<Option<Passphrase>, KeyLookupError>;
}

/// Keys and an optional passphrase held in memory.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub keys: Vec<Key>,
    pub passphrase: Option<Passphrase>,
}

impl KeySet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_key(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    pub fn with_passphrase(mut self, passphrase: Passphrase) -> Self {
        self.passphrase = Some(passphrase);
        self
    }
}

impl KeyLookup for KeySet {
    fn key_by_id(&self, id: KeyId) -> Result<Option<Key>, KeyLookupError> {
        Ok(self.keys.iter().find(|key| key.id() == id).cloned())
    }

    fn all_keys(&self) -> Result<Vec<Key>, KeyLookupError> {
        Ok(self.keys.clone())
    }

    fn passphrase(&self) -> Result<Option<Passphrase>, KeyLookupError> {
        Ok(self.passphrase.clone())
    }
}

/// The 32-byte input key material an archive's keys are derived from.
pub(crate) type Ikm = Zeroizing<[u8; 32]>;

pub(crate) fn passphrase_ikm(
    passphrase: &Passphrase,
    salt: &[u8; 16],
    params: &Argon2Params,
) -> Result<Ikm, ArchiveError> {
    params.validate()?;
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| ArchiveError::KeyDerivation {
        detail: format!("Argon2id rejected its parameters: {e}"),
    })?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut ikm = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), salt, ikm.as_mut())
        .map_err(|e| ArchiveError::KeyDerivation {
            detail: format!("Argon2id failed: {e}"),
        })?;
    Ok(ikm)
}

pub(crate) fn key_ikm(key: &Key) -> Ikm {
    Zeroizing::new(*key.expose())
}

/// The data key and key check of one archive (FORMAT.md, Keys).
pub(crate) struct ArchiveKeys {
    pub data_key: Zeroizing<[u8; 32]>,
    pub key_check: [u8; 32],
}

pub(crate) fn derive_archive_keys(
    ikm: &Ikm,
    archive_salt: &[u8; 32],
) -> Result<ArchiveKeys, ArchiveError> {
    let hkdf = Hkdf::<Sha256>::new(Some(archive_salt), ikm.as_ref());
    let mut data_key = Zeroizing::new([0u8; 32]);
    let mut key_check = [0u8; 32];
    let expand_failed = |_| ArchiveError::KeyDerivation {
        detail: "HKDF-SHA256 refused a 32-byte output".to_owned(),
    };
    hkdf.expand(DATA_KEY_INFO, data_key.as_mut())
        .map_err(expand_failed)?;
    hkdf.expand(KEY_CHECK_INFO, &mut key_check)
        .map_err(expand_failed)?;
    Ok(ArchiveKeys {
        data_key,
        key_check,
    })
}

/// Constant time, so timing reveals nothing about how close a guess came.
pub(crate) fn key_check_matches(derived: &[u8; 32], stored: &[u8; 32]) -> bool {
    derived.ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_is_the_sha256_prefix_in_lowercase_hex() {
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(key_id(&bytes).to_string(), "630dcd29");
        assert_eq!("630dcd29".parse::<KeyId>(), Ok(key_id(&bytes)));
        assert_eq!("630DCD29".parse::<KeyId>(), Ok(key_id(&bytes)));
        assert!("630dcd2".parse::<KeyId>().is_err());
        assert!("630dcd2g".parse::<KeyId>().is_err());
        assert!("630dcd2é".parse::<KeyId>().is_err());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let key = Key::from_bytes([0xab; 32]);
        let shown = format!("{key:?} {:?}", Passphrase::from("hunter2"));
        assert!(!shown.contains("ab"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn argon2_bounds() {
        let ok = Argon2Params::default();
        assert!(ok.validate().is_ok());
        let at_the_caps = Argon2Params {
            memory_kib: Argon2Params::MAX_MEMORY_KIB,
            iterations: Argon2Params::MAX_ITERATIONS,
            parallelism: Argon2Params::MAX_PARALLELISM,
        };
        assert!(at_the_caps.validate().is_ok());
        for (bad, parameter, value, cap) in [
            (
                Argon2Params {
                    memory_kib: 1024 * 1024 + 1,
                    ..ok
                },
                Argon2Param::Memory,
                1024 * 1024 + 1,
                1024 * 1024,
            ),
            (
                Argon2Params {
                    memory_kib: u32::MAX,
                    ..ok
                },
                Argon2Param::Memory,
                u32::MAX,
                1024 * 1024,
            ),
            (
                Argon2Params {
                    iterations: 11,
                    ..ok
                },
                Argon2Param::Iterations,
                11,
                10,
            ),
            (
                Argon2Params {
                    parallelism: 17,
                    ..ok
                },
                Argon2Param::Lanes,
                17,
                16,
            ),
        ] {
            match bad.validate() {
                Err(ArchiveError::Argon2ParamAboveCap {
                    parameter: p,
                    value: v,
                    cap: c,
                }) => assert_eq!((p, v, c), (parameter, value, cap), "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        for bad in [
            Argon2Params {
                iterations: 0,
                ..ok
            },
            Argon2Params {
                parallelism: 0,
                ..ok
            },
            Argon2Params {
                memory_kib: 31,
                parallelism: 4,
                ..ok
            },
        ] {
            assert!(
                matches!(
                    bad.validate(),
                    Err(ArchiveError::Argon2ParamsOutOfRange { .. })
                ),
                "{bad:?}"
            );
        }
    }

    /// The writer's defaults must stay readable: the caps cover them with room.
    #[test]
    fn the_caps_cover_what_dbackup_writes() {
        let written = Argon2Params::default();
        assert!(written.memory_kib * 16 <= Argon2Params::MAX_MEMORY_KIB);
        assert!(written.iterations * 3 <= Argon2Params::MAX_ITERATIONS);
        assert!(written.parallelism * 4 <= Argon2Params::MAX_PARALLELISM);
    }

    #[test]
    fn the_cap_error_names_the_parameter_its_value_and_the_cap() {
        let err = Argon2Params {
            memory_kib: u32::MAX,
            ..Argon2Params::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(err.contains("memory (in KiB) is 4294967295"), "{err}");
        assert!(err.contains("cap of 1048576"), "{err}");
        assert!(err.contains("not written by DBackup"), "{err}");
    }
}

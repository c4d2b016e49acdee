use std::io;

use crate::keys::{Argon2Param, KeyId};

/// A failure key lookups report, e.g. an OS keyring that could not be read.
pub type KeyLookupError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong writing or reading an archive.
///
/// Reading distinguishes a wrong key ([`ArchiveError::WrongKey`]) from damaged data
/// ([`ArchiveError::Corrupted`], [`ArchiveError::Truncated`], ...), because the two
/// call for different actions: another key versus another copy of the backup.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(
        "this is not a DBackup archive (its first bytes are not the DBackup magic): \
         check that the right object or file was chosen"
    )]
    NotAnArchive,

    #[error(
        "the archive uses format version {found}, but this DBackup reads only versions 1 \
         to {supported}: update DBackup to read it"
    )]
    UnsupportedVersion { found: u16, supported: u16 },

    #[error(
        "the archive header is damaged ({detail}): the file was altered or only partly \
         written; use another copy of this backup"
    )]
    HeaderDamaged { detail: String },

    #[error(
        "invalid Argon2id parameters (memory {memory_kib} KiB, {iterations} iterations, \
         {parallelism} lanes): Argon2id needs at least 1 iteration, 1 lane and 8 KiB of \
         memory per lane, so an archive asking for these was not written by DBackup or its \
         header is damaged; use another copy of this backup (when writing, choose valid \
         parameters)"
    )]
    Argon2ParamsOutOfRange {
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    },

    #[error(
        "the archive's Argon2id {parameter} is {value}, above the cap of {cap} that DBackup \
         allows: DBackup never writes more, so the archive was not written by DBackup or its \
         header is damaged, and its key was not derived so that it cannot exhaust this \
         computer's memory or time; use another copy of this backup (when writing, choose \
         at most {cap})"
    )]
    Argon2ParamAboveCap {
        parameter: Argon2Param,
        value: u32,
        cap: u32,
    },

    #[error("no key with id {key_id}: import the key or recovery kit that made this backup")]
    NoKey { key_id: KeyId },

    #[error("this backup is protected by a passphrase: enter the passphrase it was made with")]
    PassphraseRequired,

    #[error(
        "wrong key or passphrase: the keys or passphrase tried do not fit this archive \
         (its key check does not match); use the key profile or passphrase that made \
         this backup"
    )]
    WrongKey,

    #[error("could not look up the key for this archive: {source}")]
    KeyLookup {
        #[source]
        source: KeyLookupError,
    },

    #[error(
        "the archive is corrupted at chunk {chunk} (it failed its integrity check): the \
         stored data was altered or damaged; use another copy of this backup"
    )]
    Corrupted { chunk: u64 },

    #[error(
        "the archive is cut short: it ends after {complete_chunks} complete chunk(s) \
         without its final chunk; the upload or download was interrupted, fetch it \
         again or use another backup"
    )]
    Truncated { complete_chunks: u64 },

    #[error(
        "the archive has extra bytes after its end: the file was altered or two \
         uploads were mixed; use another copy of this backup"
    )]
    TrailingData,

    #[error(
        "the archive's compressed data is damaged or incomplete: {source}; use another \
         copy of this backup"
    )]
    Decompression {
        #[source]
        source: io::Error,
    },

    #[error(
        "chunk size {size} is out of range: choose between 1024 bytes (1 KiB) and \
         16777216 bytes (16 MiB)"
    )]
    InvalidChunkSize { size: u32 },

    #[error("zstd level {level} is out of range: choose a level from 1 to 22")]
    InvalidLevel { level: i32 },

    #[error(
        "the archive metadata is {len} bytes of JSON, over the 65536-byte limit: \
         shorten the job name or other metadata"
    )]
    MetadataTooLarge { len: usize },

    #[error(
        "the archive would need more than 2^32 chunks: use a larger chunk size for \
         backups this big"
    )]
    ChunkLimit,

    #[error("key derivation failed ({detail}): check that enough memory is free")]
    KeyDerivation { detail: String },

    #[error("encryption failed ({detail}): this is a bug in DBackup, please report it")]
    Encryption { detail: String },

    #[error(
        "the operating system's random number generator failed ({source}): the archive \
         was not written; check the system's entropy source"
    )]
    Randomness {
        #[source]
        source: getrandom::Error,
    },

    #[error("archive I/O failed: {source}")]
    Io {
        #[source]
        source: io::Error,
    },
}

impl From<io::Error> for ArchiveError {
    /// Recovers an `ArchiveError` that travelled through `std::io` traits (the
    /// reader and writer implement `Read`/`Write`, which can only return
    /// `io::Error`); any other I/O error becomes [`ArchiveError::Io`].
    fn from(error: io::Error) -> Self {
        match error.downcast::<ArchiveError>() {
            Ok(inner) => inner,
            Err(error) => ArchiveError::Io { source: error },
        }
    }
}

impl From<ArchiveError> for io::Error {
    /// Keeps the typed error inside the `io::Error` so `ArchiveError::from` can
    /// recover it on the far side of `io::copy` and friends.
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::Io { source } => source,
            other => io::Error::other(other),
        }
    }
}

//! The DBackup archive format: a versioned, self-describing header, then the
//! source's bytes compressed with zstd and encrypted with AES-256-GCM in chunks
//! (the STREAM construction). `docs/FORMAT.md` is the specification; the test
//! vectors there are checked by this crate's tests.
//!
//! Writing: [`ArchiveWriter`] implements `Write`, so a source can `io::copy` into
//! it; it compresses independent zstd frames on several threads. Reading:
//! [`ArchiveReader::copy_to`] decrypts on one thread and decompresses the frames
//! on several. Both hold a few frames and chunks whatever the size of the backup.

mod error;
mod frames;
mod header;
mod keys;
mod metadata;
mod reader;
mod stream;
mod writer;

pub use error::{ArchiveError, KeyLookupError};
pub use frames::{default_threads, CopyError};
pub use header::{
    read_header, Compression, EncryptionInfo, Header, StreamParams, DEFAULT_CHUNK_SIZE,
    FIRST_FORMAT_VERSION, FORMAT_VERSION, MAGIC, MAX_CHUNK_SIZE, MAX_METADATA_LEN, MIN_CHUNK_SIZE,
};
pub use keys::{
    key_id, parse_key_file, Argon2Param, Argon2Params, Key, KeyId, KeyLookup, KeySet,
    ParseKeyIdError, Passphrase, DATA_KEY_INFO, KEY_CHECK_INFO,
};
pub use metadata::ArchiveMetadata;
pub use reader::ArchiveReader;
pub use writer::{
    ArchiveWriter, EncryptionSetting, Randomness, WriterSettings, DEFAULT_ZSTD_LEVEL,
};

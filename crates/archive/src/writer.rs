use std::io::{self, Write};

use crate::error::ArchiveError;
use crate::frames::{default_threads, FrameEncoder};
use crate::header::{
    encode, Compression, EncryptionInfo, Header, StreamParams, DEFAULT_CHUNK_SIZE, FORMAT_VERSION,
    MAX_CHUNK_SIZE, MIN_CHUNK_SIZE,
};
use crate::keys::{derive_archive_keys, key_ikm, passphrase_ikm, Argon2Params, Key, Passphrase};
use crate::metadata::ArchiveMetadata;
use crate::stream::ChunkEncryptor;

pub const DEFAULT_ZSTD_LEVEL: i32 = 3;

/// The random values one archive needs. Passed in rather than drawn inside the
/// writer so tests (and the test vectors) can fix them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Randomness {
    pub archive_salt: [u8; 32],
    pub nonce_prefix: [u8; 7],
    pub argon_salt: [u8; 16],
}

impl Randomness {
    /// Draws fresh values from the operating system's random number generator.
    pub fn generate() -> Result<Self, ArchiveError> {
        let mut archive_salt = [0u8; 32];
        let mut nonce_prefix = [0u8; 7];
        let mut argon_salt = [0u8; 16];
        for buf in [
            &mut archive_salt[..],
            &mut nonce_prefix[..],
            &mut argon_salt[..],
        ] {
            getrandom::fill(buf).map_err(|source| ArchiveError::Randomness { source })?;
        }
        Ok(Self {
            archive_salt,
            nonce_prefix,
            argon_salt,
        })
    }
}

/// Whether and how to encrypt.
#[derive(Debug, Clone)]
pub enum EncryptionSetting {
    None,
    /// AES-256-GCM under a key profile's 32-byte key.
    KeyProfile(Key),
    /// AES-256-GCM under a key stretched from a passphrase with Argon2id.
    Passphrase {
        passphrase: Passphrase,
        params: Argon2Params,
    },
}

#[derive(Debug, Clone)]
pub struct WriterSettings {
    pub compression: Compression,
    /// zstd level, 1 to 22; ignored without compression.
    pub level: i32,
    /// Compression threads; 0 or 1 compresses on the writing thread.
    pub workers: u32,
    pub encryption: EncryptionSetting,
    /// Plaintext bytes per encrypted chunk, 1 KiB to 16 MiB.
    pub chunk_size: u32,
    pub metadata: ArchiveMetadata,
}

impl WriterSettings {
    /// zstd level 3 on every core (up to 8), 1 MiB chunks.
    pub fn new(encryption: EncryptionSetting, metadata: ArchiveMetadata) -> Self {
        Self {
            compression: Compression::Zstd,
            level: DEFAULT_ZSTD_LEVEL,
            workers: u32::try_from(default_threads()).unwrap_or(1),
            encryption,
            chunk_size: DEFAULT_CHUNK_SIZE,
            metadata,
        }
    }
}

type ZstdEncoder<W> = FrameEncoder<W>;

enum Sink<W: Write> {
    Plain(W),
    Zstd(ZstdEncoder<W>),
    Encrypted(ChunkEncryptor<W>),
    EncryptedZstd(ZstdEncoder<ChunkEncryptor<W>>),
}

/// Writes an archive: the header at creation, then whatever is written to it,
/// compressed and encrypted as the settings say.
///
/// Call [`ArchiveWriter::finish`] at the end: an archive whose writer is dropped
/// unfinished has no final chunk, and readers reject it as truncated.
pub struct ArchiveWriter<W: Write> {
    sink: Sink<W>,
}

impl<W: Write> ArchiveWriter<W> {
    /// Validates the settings, derives the keys (running Argon2id in passphrase
    /// mode, which takes a moment on purpose) and writes the header.
    pub fn new(
        mut inner: W,
        settings: WriterSettings,
        randomness: &Randomness,
    ) -> Result<Self, ArchiveError> {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&settings.chunk_size) {
            return Err(ArchiveError::InvalidChunkSize {
                size: settings.chunk_size,
            });
        }
        let compression_level = match settings.compression {
            Compression::None => 0,
            Compression::Zstd => u8::try_from(settings.level)
                .ok()
                .filter(|level| (1..=22).contains(level))
                .ok_or(ArchiveError::InvalidLevel {
                    level: settings.level,
                })?,
        };
        let stream = |key_check: [u8; 32]| StreamParams {
            archive_salt: randomness.archive_salt,
            nonce_prefix: randomness.nonce_prefix,
            chunk_size: settings.chunk_size,
            key_check,
        };
        let (encryption, keyed) = match &settings.encryption {
            EncryptionSetting::None => (EncryptionInfo::None, None),
            EncryptionSetting::KeyProfile(key) => {
                let keys = derive_archive_keys(&key_ikm(key), &randomness.archive_salt)?;
                let info = EncryptionInfo::KeyProfile {
                    key_id: key.id(),
                    stream: stream(keys.key_check),
                };
                (info, Some((keys.data_key, stream(keys.key_check))))
            }
            EncryptionSetting::Passphrase { passphrase, params } => {
                let ikm = passphrase_ikm(passphrase, &randomness.argon_salt, params)?;
                let keys = derive_archive_keys(&ikm, &randomness.archive_salt)?;
                let info = EncryptionInfo::Passphrase {
                    kdf: *params,
                    kdf_salt: randomness.argon_salt,
                    stream: stream(keys.key_check),
                };
                (info, Some((keys.data_key, stream(keys.key_check))))
            }
        };
        let header = Header {
            version: FORMAT_VERSION,
            compression: settings.compression,
            compression_level,
            encryption,
            metadata: settings.metadata,
            checksum: [0; 32],
            len: 0,
        };
        let (header_bytes, checksum) = encode(&header)?;
        inner.write_all(&header_bytes)?;

        let (level, workers) = (
            settings.level,
            usize::try_from(settings.workers).unwrap_or(1),
        );
        let sink = match (keyed, settings.compression) {
            (Some((key, stream)), Compression::None) => {
                Sink::Encrypted(ChunkEncryptor::new(inner, &key, checksum, &stream))
            }
            (Some((key, stream)), Compression::Zstd) => Sink::EncryptedZstd(zstd_encoder(
                ChunkEncryptor::new(inner, &key, checksum, &stream),
                level,
                workers,
            )?),
            (None, Compression::None) => Sink::Plain(inner),
            (None, Compression::Zstd) => Sink::Zstd(zstd_encoder(inner, level, workers)?),
        };
        Ok(Self { sink })
    }

    /// Ends the compressed stream, writes the final chunk and flushes; returns the
    /// inner writer.
    pub fn finish(self) -> Result<W, ArchiveError> {
        let mut inner = match self.sink {
            Sink::Plain(w) => w,
            Sink::Zstd(encoder) => encoder.finish()?,
            Sink::Encrypted(enc) => enc.finish()?,
            Sink::EncryptedZstd(encoder) => encoder.finish()?.finish()?,
        };
        inner.flush()?;
        Ok(inner)
    }
}

fn zstd_encoder<T: Write>(
    inner: T,
    level: i32,
    workers: usize,
) -> Result<ZstdEncoder<T>, ArchiveError> {
    Ok(FrameEncoder::new(inner, level, workers)?)
}

impl<W: Write> Write for ArchiveWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Plain(w) => w.write(buf),
            Sink::Zstd(w) => w.write(buf),
            Sink::Encrypted(w) => w.write(buf),
            Sink::EncryptedZstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Plain(w) => w.flush(),
            Sink::Zstd(w) => w.flush(),
            Sink::Encrypted(w) => w.flush(),
            Sink::EncryptedZstd(w) => w.flush(),
        }
    }
}

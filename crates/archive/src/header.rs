//! The archive header (FORMAT.md, Header): encoding, and a parser that bounds
//! every length it reads and never panics, whatever the input.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

use crate::error::ArchiveError;
use crate::keys::{Argon2Params, KeyId};
use crate::metadata::ArchiveMetadata;

/// `"DBACKUP"` then 0x1A, which stops `type` on Windows printing the binary rest.
pub const MAGIC: [u8; 8] = *b"DBACKUP\x1a";
/// The version this DBackup writes; it reads every version from 1 up to this one.
pub const FORMAT_VERSION: u16 = 2;
/// Version 1 stored a zstd payload as exactly one frame; version 2 as one or more.
pub const FIRST_FORMAT_VERSION: u16 = 1;
pub const MIN_CHUNK_SIZE: u32 = 1024;
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
pub const DEFAULT_CHUNK_SIZE: u32 = 1024 * 1024;
pub const MAX_METADATA_LEN: usize = 65536;

const COMPRESSION_NONE: u8 = 0;
const COMPRESSION_ZSTD: u8 = 1;
const SCHEME_NONE: u8 = 0;
const SCHEME_KEY_PROFILE: u8 = 1;
const SCHEME_PASSPHRASE: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Zstd,
}

/// The per-archive values of the chunked encryption (FORMAT.md, Stream parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamParams {
    pub archive_salt: [u8; 32],
    pub nonce_prefix: [u8; 7],
    pub chunk_size: u32,
    pub key_check: [u8; 32],
}

/// How the body is encrypted and where its key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncryptionInfo {
    None,
    KeyProfile {
        key_id: KeyId,
        stream: StreamParams,
    },
    Passphrase {
        kdf: Argon2Params,
        kdf_salt: [u8; 16],
        stream: StreamParams,
    },
}

impl EncryptionInfo {
    pub fn stream(&self) -> Option<&StreamParams> {
        match self {
            EncryptionInfo::None => None,
            EncryptionInfo::KeyProfile { stream, .. }
            | EncryptionInfo::Passphrase { stream, .. } => Some(stream),
        }
    }
}

/// A parsed, checksum-verified archive header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: u16,
    pub compression: Compression,
    /// Informational: what the writer asked zstd for; 0 without compression.
    pub compression_level: u8,
    pub encryption: EncryptionInfo,
    pub metadata: ArchiveMetadata,
    /// SHA-256 of the header bytes before it; also every chunk's AAD.
    pub checksum: [u8; 32],
    /// The header's length in bytes: where the body starts.
    pub len: u64,
}

impl Header {
    pub fn key_id(&self) -> Option<KeyId> {
        match &self.encryption {
            EncryptionInfo::KeyProfile { key_id, .. } => Some(*key_id),
            _ => None,
        }
    }

    pub fn chunk_size(&self) -> Option<u32> {
        self.encryption.stream().map(|s| s.chunk_size)
    }
}

/// Encodes a header; `checksum` and `len` of `header` are ignored and computed.
/// Returns the bytes and the checksum.
pub(crate) fn encode(header: &Header) -> Result<(Vec<u8>, [u8; 32]), ArchiveError> {
    let metadata = serde_json::to_vec(&header.metadata).map_err(|e| {
        // Serializing plain strings and a timestamp cannot fail; should it, the
        // header would be unreadable, so refuse to write it.
        ArchiveError::HeaderDamaged {
            detail: format!("the metadata could not be encoded as JSON: {e}"),
        }
    })?;
    if metadata.len() > MAX_METADATA_LEN {
        return Err(ArchiveError::MetadataTooLarge {
            len: metadata.len(),
        });
    }
    let mut out = Vec::with_capacity(200 + metadata.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&header.version.to_be_bytes());
    out.push(match header.compression {
        Compression::None => COMPRESSION_NONE,
        Compression::Zstd => COMPRESSION_ZSTD,
    });
    out.push(header.compression_level);
    match &header.encryption {
        EncryptionInfo::None => out.push(SCHEME_NONE),
        EncryptionInfo::KeyProfile { key_id, stream } => {
            out.push(SCHEME_KEY_PROFILE);
            out.extend_from_slice(&key_id.0);
            encode_stream(&mut out, stream);
        }
        EncryptionInfo::Passphrase {
            kdf,
            kdf_salt,
            stream,
        } => {
            out.push(SCHEME_PASSPHRASE);
            out.extend_from_slice(&kdf.memory_kib.to_be_bytes());
            out.extend_from_slice(&kdf.iterations.to_be_bytes());
            out.extend_from_slice(&kdf.parallelism.to_be_bytes());
            out.extend_from_slice(kdf_salt);
            encode_stream(&mut out, stream);
        }
    }
    // Bounded by MAX_METADATA_LEN above, so it fits a u32.
    let metadata_len =
        u32::try_from(metadata.len()).map_err(|_| ArchiveError::MetadataTooLarge {
            len: metadata.len(),
        })?;
    out.extend_from_slice(&metadata_len.to_be_bytes());
    out.extend_from_slice(&metadata);
    let checksum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&checksum);
    Ok((out, checksum))
}

fn encode_stream(out: &mut Vec<u8>, stream: &StreamParams) {
    out.extend_from_slice(&stream.archive_salt);
    out.extend_from_slice(&stream.nonce_prefix);
    out.extend_from_slice(&stream.chunk_size.to_be_bytes());
    out.extend_from_slice(&stream.key_check);
}

fn damaged(detail: impl Into<String>) -> ArchiveError {
    ArchiveError::HeaderDamaged {
        detail: detail.into(),
    }
}

/// Reads exactly the header from `r`, leaving `r` at the first body byte, and
/// verifies it. Needs no key: `dbackup inspect` uses it to describe an archive.
pub fn read_header(r: &mut impl Read) -> Result<Header, ArchiveError> {
    let mut raw = Vec::with_capacity(256);

    let mut magic = [0u8; 8];
    if read_full(r, &mut magic)? < magic.len() || magic != MAGIC {
        return Err(ArchiveError::NotAnArchive);
    }
    raw.extend_from_slice(&magic);

    let mut source = Source { r, raw };
    let version = source.u16()?;
    if !(FIRST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(ArchiveError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let compression_byte = source.u8()?;
    let compression_level = source.u8()?;
    let scheme = source.u8()?;
    let encryption = match scheme {
        SCHEME_NONE => EncryptionInfo::None,
        SCHEME_KEY_PROFILE => {
            let key_id = KeyId(source.array()?);
            let stream = source.stream()?;
            EncryptionInfo::KeyProfile { key_id, stream }
        }
        SCHEME_PASSPHRASE => {
            let kdf = Argon2Params {
                memory_kib: source.u32()?,
                iterations: source.u32()?,
                parallelism: source.u32()?,
            };
            let kdf_salt = source.array()?;
            let stream = source.stream()?;
            EncryptionInfo::Passphrase {
                kdf,
                kdf_salt,
                stream,
            }
        }
        other => return Err(damaged(format!("unknown encryption scheme {other}"))),
    };
    let metadata_len = usize::try_from(source.u32()?).unwrap_or(usize::MAX);
    if metadata_len > MAX_METADATA_LEN {
        return Err(damaged(format!(
            "metadata length {metadata_len} is over the {MAX_METADATA_LEN}-byte limit"
        )));
    }
    let metadata_start = source.raw.len();
    source.take(metadata_len)?;
    let computed: [u8; 32] = Sha256::digest(&source.raw).into();
    let mut stored = [0u8; 32];
    if read_full(source.r, &mut stored)? < stored.len() {
        return Err(damaged("the archive ends inside its header"));
    }
    if computed != stored {
        return Err(damaged("its checksum does not match"));
    }
    let len = (source.raw.len() + stored.len()) as u64;

    let compression = match compression_byte {
        COMPRESSION_NONE => Compression::None,
        COMPRESSION_ZSTD => Compression::Zstd,
        other => return Err(damaged(format!("unknown compression algorithm {other}"))),
    };
    if let Some(stream) = encryption.stream() {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&stream.chunk_size) {
            return Err(damaged(format!(
                "chunk size {} is outside {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE}",
                stream.chunk_size
            )));
        }
    }
    if let EncryptionInfo::Passphrase { kdf, .. } = &encryption {
        kdf.validate()?;
    }
    let metadata: ArchiveMetadata = serde_json::from_slice(&source.raw[metadata_start..])
        .map_err(|e| damaged(format!("its metadata is not valid: {e}")))?;

    Ok(Header {
        version,
        compression,
        compression_level,
        encryption,
        metadata,
        checksum: stored,
        len,
    })
}

/// Header bytes as they are read, kept for the checksum.
struct Source<'a, R: Read> {
    r: &'a mut R,
    raw: Vec<u8>,
}

impl<R: Read> Source<'_, R> {
    fn take(&mut self, n: usize) -> Result<&[u8], ArchiveError> {
        let start = self.raw.len();
        self.raw.resize(start + n, 0);
        if read_full(self.r, &mut self.raw[start..])? < n {
            return Err(damaged("the archive ends inside its header"));
        }
        Ok(&self.raw[start..])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ArchiveError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, ArchiveError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, ArchiveError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, ArchiveError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn stream(&mut self) -> Result<StreamParams, ArchiveError> {
        Ok(StreamParams {
            archive_salt: self.array()?,
            nonce_prefix: self.array()?,
            chunk_size: self.u32()?,
            key_check: self.array()?,
        })
    }
}

/// Like `read_exact`, but reports how much it got before the end instead of
/// failing, so callers can tell "too short" from an I/O error.
pub(crate) fn read_full(
    r: &mut (impl Read + ?Sized),
    buf: &mut [u8],
) -> Result<usize, ArchiveError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ArchiveError::from(e)),
        }
    }
    Ok(filled)
}

use std::io::{self, Read, Write};

use crate::error::ArchiveError;
use crate::frames::{copy_threaded, decode_frames, CopyError, Frames};
use crate::header::{
    read_header, Compression, EncryptionInfo, Header, StreamParams, FIRST_FORMAT_VERSION,
};
use crate::keys::{
    derive_archive_keys, key_check_matches, key_ikm, passphrase_ikm, ArchiveKeys, KeyId, KeyLookup,
};
use crate::stream::ChunkDecryptor;

/// The body with its encryption (if any) taken off: the zstd stream, or the
/// source bytes when uncompressed.
enum Payload<R: Read> {
    Plain(R),
    Encrypted(Box<ChunkDecryptor<R>>),
}

impl<R: Read> Read for Payload<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Payload::Plain(r) => r.read(buf),
            Payload::Encrypted(r) => r.read(buf),
        }
    }
}

/// Reads an archive: [`ArchiveReader::open`] checks the header and the key, then
/// [`ArchiveReader::copy_to`] writes the original bytes, verified as they stream.
pub struct ArchiveReader<R: Read> {
    header: Header,
    payload: Payload<R>,
}

impl<R: Read> ArchiveReader<R> {
    /// Reads and checks the header and finds the key; reads nothing of the body.
    pub fn open(mut inner: R, keys: &dyn KeyLookup) -> Result<Self, ArchiveError> {
        let header = read_header(&mut inner)?;
        let keyed = match &header.encryption {
            EncryptionInfo::None => None,
            EncryptionInfo::KeyProfile { key_id, stream } => {
                Some((find_profile_key(keys, *key_id, stream)?, stream))
            }
            EncryptionInfo::Passphrase {
                kdf,
                kdf_salt,
                stream,
            } => {
                let passphrase = keys
                    .passphrase()
                    .map_err(|source| ArchiveError::KeyLookup { source })?
                    .ok_or(ArchiveError::PassphraseRequired)?;
                let ikm = passphrase_ikm(&passphrase, kdf_salt, kdf)?;
                let derived = derive_archive_keys(&ikm, &stream.archive_salt)?;
                if !key_check_matches(&derived.key_check, &stream.key_check) {
                    return Err(ArchiveError::WrongKey);
                }
                Some((derived, stream))
            }
        };
        let payload = match keyed {
            Some((keys, stream)) => Payload::Encrypted(Box::new(ChunkDecryptor::new(
                inner,
                &keys.data_key,
                header.checksum,
                stream,
            ))),
            None => Payload::Plain(inner),
        };
        Ok(Self { header, payload })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Writes the original bytes to `out` and returns how many. The payload is
    /// read (and decrypted) on one thread, decompressed on `threads` others (at
    /// least one) and written on the calling one, so none waits for the others.
    ///
    /// Success means the whole archive was verified: every chunk, the final chunk
    /// present and nothing after it, every zstd frame complete and its checksum
    /// matching. On failure, `out` may have received the bytes verified so far;
    /// whoever restores to a file writes it under a temporary name.
    pub fn copy_to<W: Write>(self, out: &mut W, threads: usize) -> Result<u64, CopyError>
    where
        R: Send,
    {
        let encrypted = self.header.encryption != EncryptionInfo::None;
        let frames = if self.header.version == FIRST_FORMAT_VERSION {
            Frames::One { encrypted }
        } else {
            Frames::Many { encrypted }
        };
        match self.header.compression {
            Compression::None => copy_threaded(self.payload, out),
            Compression::Zstd => decode_frames(self.payload, out, threads, frames),
        }
    }
}

/// By id first; then every key held, since ids are short and keys may have been
/// imported under a different profile.
fn find_profile_key(
    keys: &dyn KeyLookup,
    key_id: KeyId,
    stream: &StreamParams,
) -> Result<ArchiveKeys, ArchiveError> {
    let lookup_failed = |source| ArchiveError::KeyLookup { source };
    let mut tried_any = false;
    if let Some(key) = keys.key_by_id(key_id).map_err(lookup_failed)? {
        tried_any = true;
        let derived = derive_archive_keys(&key_ikm(&key), &stream.archive_salt)?;
        if key_check_matches(&derived.key_check, &stream.key_check) {
            return Ok(derived);
        }
    }
    for key in keys.all_keys().map_err(lookup_failed)? {
        tried_any = true;
        let derived = derive_archive_keys(&key_ikm(&key), &stream.archive_salt)?;
        if key_check_matches(&derived.key_check, &stream.key_check) {
            return Ok(derived);
        }
    }
    if tried_any {
        Err(ArchiveError::WrongKey)
    } else {
        Err(ArchiveError::NoKey { key_id })
    }
}

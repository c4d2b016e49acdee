use std::io::{self, BufRead, BufReader, Read};

use crate::error::ArchiveError;
use crate::header::{read_header, Compression, EncryptionInfo, Header, StreamParams};
use crate::keys::{
    derive_archive_keys, key_check_matches, key_ikm, passphrase_ikm, ArchiveKeys, KeyId, KeyLookup,
};
use crate::stream::ChunkDecryptor;

type ZstdDecoder<R> = zstd::stream::read::Decoder<'static, R>;

enum Body<R: Read> {
    Plain(R),
    Zstd(ZstdDecoder<BufReader<SourceIo<R>>>),
    Encrypted(ChunkDecryptor<R>),
    EncryptedZstd(ZstdDecoder<ChunkDecryptor<R>>),
}

/// Reads an archive: [`ArchiveReader::open`] checks the header and the key, then
/// `Read` yields the original bytes, verified as they stream.
///
/// `read` returns `io::Error`s that carry an [`ArchiveError`]; convert them back
/// with `ArchiveError::from`. End of file is only reported once the end of the
/// archive has been verified (final chunk present, nothing after it, zstd checksum
/// matching), so a caller that reads to the end has checked everything the format
/// can check.
pub struct ArchiveReader<R: Read> {
    header: Header,
    body: Body<R>,
    finished: bool,
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
        let body = match (keyed, header.compression) {
            (Some((keys, stream)), Compression::None) => Body::Encrypted(ChunkDecryptor::new(
                inner,
                &keys.data_key,
                header.checksum,
                stream,
            )),
            (Some((keys, stream)), Compression::Zstd) => Body::EncryptedZstd(
                ZstdDecoder::with_buffer(ChunkDecryptor::new(
                    inner,
                    &keys.data_key,
                    header.checksum,
                    stream,
                ))?
                .single_frame(),
            ),
            (None, Compression::None) => Body::Plain(inner),
            (None, Compression::Zstd) => Body::Zstd(
                ZstdDecoder::with_buffer(BufReader::new(SourceIo(inner)))?.single_frame(),
            ),
        };
        Ok(Self {
            header,
            body,
            finished: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    fn read_body(&mut self, buf: &mut [u8]) -> Result<usize, ArchiveError> {
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        let n = match &mut self.body {
            Body::Plain(r) => r.read(buf)?,
            Body::Encrypted(r) => r.read(buf)?,
            Body::Zstd(r) => {
                let n = r.read(buf).map_err(decompression_error)?;
                // Single-frame mode stops at the frame's end and leaves whatever
                // follows unread, so it can be checked here.
                if n == 0 && !r.get_mut().fill_buf()?.is_empty() {
                    return Err(ArchiveError::TrailingData);
                }
                n
            }
            Body::EncryptedZstd(r) => {
                let n = r.read(buf).map_err(decompression_error)?;
                // The frame can end before the final chunk has been read: drain
                // the chunks so truncation and trailing bytes are still caught.
                if n == 0 && !r.get_mut().fill_buf()?.is_empty() {
                    return Err(ArchiveError::Decompression {
                        source: io::Error::new(
                            io::ErrorKind::InvalidData,
                            "data follows the end of the compressed stream",
                        ),
                    });
                }
                n
            }
        };
        if n == 0 {
            self.finished = true;
        }
        Ok(n)
    }
}

impl<R: Read> Read for ArchiveReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_body(buf).map_err(io::Error::from)
    }
}

/// Errors out of zstd are either ours, passed through from the layer below, or
/// zstd's own complaints about the compressed data.
fn decompression_error(error: io::Error) -> ArchiveError {
    if error.kind() == io::ErrorKind::Interrupted {
        return ArchiveError::Io { source: error };
    }
    match error.downcast::<ArchiveError>() {
        Ok(inner) => inner,
        Err(error) => ArchiveError::Decompression { source: error },
    }
}

/// Tags I/O errors from the underlying reader so they are not mistaken for zstd's.
struct SourceIo<R>(R);

impl<R: Read> Read for SourceIo<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::other(ArchiveError::Io { source: e })
            }
        })
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

//! Chunked AES-256-GCM in the STREAM construction (FORMAT.md, Encrypted body).
//!
//! Each chunk's nonce carries its index and whether it is the last one, so chunks
//! that are reordered, duplicated, dropped or cut off all fail authentication.

use std::io::{self, BufRead, Read, Write};

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};

use crate::error::ArchiveError;
use crate::header::{read_full, StreamParams};

const TAG_LEN: usize = 16;
const RECORD_HEADER_LEN: usize = 4;
const FINAL_FLAG: u32 = 0x8000_0000;

fn nonce(prefix: &[u8; 7], index: u32, last: bool) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut nonce = [0u8; 12];
    nonce[..7].copy_from_slice(prefix);
    nonce[7..11].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce.into()
}

fn cipher(data_key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(&(*data_key).into())
}

/// Encrypts everything written to it into chunk records on `inner`.
pub(crate) struct ChunkEncryptor<W: Write> {
    inner: W,
    cipher: Aes256Gcm,
    aad: [u8; 32],
    nonce_prefix: [u8; 7],
    chunk_size: usize,
    /// One whole record: chunk header, plaintext (encrypted in place), tag. Built
    /// in one buffer so each record reaches `inner` as a single write.
    record: Vec<u8>,
    /// Plaintext bytes buffered in `record`.
    filled: usize,
    index: u32,
}

impl<W: Write> ChunkEncryptor<W> {
    pub(crate) fn new(inner: W, data_key: &[u8; 32], aad: [u8; 32], stream: &StreamParams) -> Self {
        let chunk_size = stream.chunk_size as usize;
        Self {
            inner,
            cipher: cipher(data_key),
            aad,
            nonce_prefix: stream.nonce_prefix,
            chunk_size,
            record: vec![0u8; RECORD_HEADER_LEN + chunk_size + TAG_LEN],
            filled: 0,
            index: 0,
        }
    }

    /// Test hook: start counting near the limit without writing 2^32 chunks.
    #[cfg(test)]
    pub(crate) fn set_index(&mut self, index: u32) {
        self.index = index;
    }

    fn emit(&mut self, last: bool) -> Result<(), ArchiveError> {
        let n = self.filled;
        // n <= chunk_size <= 16 MiB, so it fits the 31-bit length field.
        let length = u32::try_from(n).map_err(|_| ArchiveError::Encryption {
            detail: format!("chunk of {n} bytes is too long"),
        })?;
        let flag = if last { FINAL_FLAG } else { 0 };
        self.record[..RECORD_HEADER_LEN].copy_from_slice(&(length | flag).to_be_bytes());
        let body_end = RECORD_HEADER_LEN + n;
        let tag = self
            .cipher
            .encrypt_in_place_detached(
                &nonce(&self.nonce_prefix, self.index, last),
                &self.aad,
                &mut self.record[RECORD_HEADER_LEN..body_end],
            )
            .map_err(|e| ArchiveError::Encryption {
                detail: format!("AES-256-GCM refused chunk {}: {e}", self.index),
            })?;
        self.record[body_end..body_end + TAG_LEN].copy_from_slice(&tag);
        self.inner.write_all(&self.record[..body_end + TAG_LEN])?;
        self.filled = 0;
        Ok(())
    }

    /// Writes the final chunk (possibly empty) and returns the inner writer.
    pub(crate) fn finish(mut self) -> Result<W, ArchiveError> {
        self.emit(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for ChunkEncryptor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // A full buffer is sent only now that more data is known to follow: only
        // `finish` knows which chunk is the last.
        if self.filled == self.chunk_size {
            if self.index == u32::MAX {
                return Err(ArchiveError::ChunkLimit.into());
            }
            self.emit(false)?;
            self.index += 1;
        }
        let start = RECORD_HEADER_LEN + self.filled;
        let n = buf.len().min(self.chunk_size - self.filled);
        self.record[start..start + n].copy_from_slice(&buf[..n]);
        self.filled += n;
        Ok(n)
    }

    /// Flushes the inner writer only: a partial chunk cannot be sent before the
    /// writer knows whether it is the last.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts and verifies chunk records from `inner`.
///
/// Implements `BufRead` so zstd can decompress straight out of the chunk buffer.
pub(crate) struct ChunkDecryptor<R: Read> {
    inner: R,
    cipher: Aes256Gcm,
    aad: [u8; 32],
    nonce_prefix: [u8; 7],
    chunk_size: usize,
    buffer: Vec<u8>,
    /// Verified plaintext in `buffer[pos..len]`.
    pos: usize,
    len: usize,
    /// The index of the next chunk to read.
    index: u64,
    state: State,
}

#[derive(Clone, Copy)]
enum State {
    Reading,
    /// The final chunk was verified and nothing follows it.
    Done,
    /// An integrity failure, repeated on every later read so nothing after it is
    /// ever returned.
    Failed(Fault),
}

#[derive(Clone, Copy)]
enum Fault {
    Corrupted(u64),
    Truncated(u64),
    TrailingData,
}

impl From<Fault> for ArchiveError {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Corrupted(chunk) => ArchiveError::Corrupted { chunk },
            Fault::Truncated(complete_chunks) => ArchiveError::Truncated { complete_chunks },
            Fault::TrailingData => ArchiveError::TrailingData,
        }
    }
}

impl<R: Read> ChunkDecryptor<R> {
    pub(crate) fn new(inner: R, data_key: &[u8; 32], aad: [u8; 32], stream: &StreamParams) -> Self {
        let chunk_size = stream.chunk_size as usize;
        Self {
            inner,
            cipher: cipher(data_key),
            aad,
            nonce_prefix: stream.nonce_prefix,
            chunk_size,
            buffer: vec![0u8; chunk_size + TAG_LEN],
            pos: 0,
            len: 0,
            index: 0,
            state: State::Reading,
        }
    }

    /// Reads and verifies the next record into the buffer.
    fn next_chunk(&mut self) -> Result<(), ArchiveError> {
        let index = self.index;
        let mut record_header = [0u8; RECORD_HEADER_LEN];
        if read_full(&mut self.inner, &mut record_header)? < RECORD_HEADER_LEN {
            return Err(self.fail(Fault::Truncated(index)));
        }
        let record_header = u32::from_be_bytes(record_header);
        let last = record_header & FINAL_FLAG != 0;
        let n = (record_header & !FINAL_FLAG) as usize;
        let counter = match u32::try_from(index) {
            Ok(counter) => counter,
            Err(_) => return Err(self.fail(Fault::Corrupted(index))),
        };
        // A non-final chunk at the last index would make the counter wrap.
        let bad_length = if last {
            n > self.chunk_size
        } else {
            n != self.chunk_size
        };
        if bad_length || (!last && counter == u32::MAX) {
            return Err(self.fail(Fault::Corrupted(index)));
        }
        if read_full(&mut self.inner, &mut self.buffer[..n + TAG_LEN])? < n + TAG_LEN {
            return Err(self.fail(Fault::Truncated(index)));
        }
        let (body, rest) = self.buffer.split_at_mut(n);
        let tag = Tag::clone_from_slice(&rest[..TAG_LEN]);
        if self
            .cipher
            .decrypt_in_place_detached(
                &nonce(&self.nonce_prefix, counter, last),
                &self.aad,
                body,
                &tag,
            )
            .is_err()
        {
            return Err(self.fail(Fault::Corrupted(index)));
        }
        if last {
            let mut probe = [0u8; 1];
            if read_full(&mut self.inner, &mut probe)? != 0 {
                return Err(self.fail(Fault::TrailingData));
            }
            self.state = State::Done;
        }
        self.index += 1;
        self.pos = 0;
        self.len = n;
        Ok(())
    }

    fn fail(&mut self, fault: Fault) -> ArchiveError {
        self.state = State::Failed(fault);
        self.pos = 0;
        self.len = 0;
        fault.into()
    }
}

impl<R: Read> BufRead for ChunkDecryptor<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.len {
            match self.state {
                State::Done => break,
                State::Failed(fault) => return Err(ArchiveError::from(fault).into()),
                State::Reading => self.next_chunk()?,
            }
        }
        Ok(&self.buffer[self.pos..self.len])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.len);
    }
}

impl<R: Read> Read for ChunkDecryptor<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn params(chunk_size: u32) -> StreamParams {
        StreamParams {
            archive_salt: [1; 32],
            nonce_prefix: [2; 7],
            chunk_size,
            key_check: [3; 32],
        }
    }

    #[test]
    fn writer_refuses_to_wrap_the_counter() {
        let mut enc = ChunkEncryptor::new(Vec::new(), &[9; 32], [0; 32], &params(1024));
        enc.set_index(u32::MAX);
        enc.write_all(&[0u8; 1024]).unwrap();
        // The chunk at the last index can only be final: more data cannot fit.
        let err = enc.write_all(&[0u8; 1]).unwrap_err();
        assert!(matches!(ArchiveError::from(err), ArchiveError::ChunkLimit));
    }

    #[test]
    fn writer_accepts_a_final_chunk_at_the_last_index() {
        let mut enc = ChunkEncryptor::new(Vec::new(), &[9; 32], [0; 32], &params(1024));
        enc.set_index(u32::MAX);
        enc.write_all(&[0u8; 1024]).unwrap();
        let out = enc.finish().unwrap();
        assert_eq!(out.len(), 4 + 1024 + 16);
        assert_eq!(out[..4], [0x80, 0x00, 0x04, 0x00]);
    }

    #[test]
    fn a_non_final_chunk_at_the_last_index_is_corrupt() {
        // Craft a valid-looking non-final record at index u32::MAX.
        let stream = params(1024);
        let mut record = vec![0u8; 1024];
        let tag = cipher(&[9; 32])
            .encrypt_in_place_detached(
                &nonce(&stream.nonce_prefix, u32::MAX, false),
                &[0; 32],
                &mut record,
            )
            .unwrap();
        let mut bytes = 1024u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(&record);
        bytes.extend_from_slice(&tag);
        let mut dec = ChunkDecryptor::new(&bytes[..], &[9; 32], [0; 32], &stream);
        dec.index = u64::from(u32::MAX);
        let err = ArchiveError::from(dec.fill_buf().unwrap_err());
        assert!(
            matches!(err, ArchiveError::Corrupted { chunk } if chunk == u64::from(u32::MAX)),
            "{err:?}"
        );
    }
}

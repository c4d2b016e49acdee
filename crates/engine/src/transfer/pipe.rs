use std::io::{self, Read, Write};

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

/// Batches what is written into chunks of `batch` bytes and sends them on a bounded
/// channel: when the receiver lags, `write` blocks, which slows the producer instead of
/// buffering without bound. Counts and hashes everything that passes.
pub struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: BytesMut,
    batch: usize,
    hasher: Sha256,
    written: u64,
}

impl ChannelWriter {
    pub fn new(tx: mpsc::Sender<Bytes>, batch: usize) -> Self {
        Self {
            tx,
            buf: BytesMut::with_capacity(batch),
            batch,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        self.buf.reserve(self.batch);
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload side stopped"))
    }

    /// Sends what is buffered and returns (bytes written, SHA-256 of them).
    pub fn finish(mut self) -> io::Result<(u64, [u8; 32])> {
        self.send()?;
        Ok((self.written, self.hasher.finalize().into()))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.hasher.update(data);
        self.written += data.len() as u64;
        self.buf.extend_from_slice(data);
        if self.buf.len() >= self.batch {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads chunks from a bounded channel as one byte stream; an `Err` item ends the
/// stream with that error, a closed channel is the end of the stream.
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        Self {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Counts and hashes what is read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    pub fn finish(self) -> (u64, [u8; 32]) {
        (self.read, self.hasher.finalize().into())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.hasher.update(&out[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// A byte stream from one blocking thread to another (a decoded backup to a restore
/// tool) whose end must be declared: the reader sees a clean end of input only after
/// [`HandoffWriter::finish`]. A writer dropped without it (any failure) makes the
/// reader fail instead, so a cut-off stream is never taken for a complete one.
pub fn handoff(depth: usize) -> (HandoffWriter, HandoffReader) {
    let (tx, rx) = std::sync::mpsc::sync_channel(depth);
    (
        HandoffWriter { tx },
        HandoffReader {
            rx,
            current: Vec::new(),
            offset: 0,
            ended: false,
        },
    )
}

enum Piece {
    Data(Vec<u8>),
    End,
}

pub struct HandoffWriter {
    tx: std::sync::mpsc::SyncSender<Piece>,
}

impl HandoffWriter {
    pub fn finish(self) {
        // A reader that has gone already has reported its own failure.
        let _ = self.tx.send(Piece::End);
    }
}

impl Write for HandoffWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.tx.send(Piece::Data(data.to_vec())).map_err(|_| {
            io::Error::new(io::ErrorKind::BrokenPipe, "the restore stopped reading")
        })?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct HandoffReader {
    rx: std::sync::mpsc::Receiver<Piece>,
    current: Vec<u8>,
    offset: usize,
    ended: bool,
}

impl Read for HandoffReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.current.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Piece::Data(data)) => {
                    self.current = data;
                    self.offset = 0;
                }
                Ok(Piece::End) => self.ended = true,
                Err(_) => {
                    return Err(io::Error::other(
                        "the backup stream stopped before its end (see the error of the download)",
                    ))
                }
            }
        }
        let n = out.len().min(self.current.len() - self.offset);
        out[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_batches_hashes_and_applies_back_pressure() {
        let (tx, mut rx) = mpsc::channel(1);
        let producer = std::thread::spawn(move || {
            let mut w = ChannelWriter::new(tx, 10);
            for i in 0..100u8 {
                w.write_all(&[i; 3]).unwrap();
            }
            w.finish().unwrap()
        });
        let mut got = Vec::new();
        while let Some(chunk) = rx.blocking_recv() {
            assert!(
                chunk.len() >= 10 || got.len() + chunk.len() == 300,
                "{}",
                chunk.len()
            );
            got.extend_from_slice(&chunk);
        }
        let (n, hash) = producer.join().unwrap();
        assert_eq!(n, 300);
        assert_eq!(got.len(), 300);
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(&got)));
    }

    #[test]
    fn writer_fails_when_the_receiver_is_gone() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let mut w = ChannelWriter::new(tx, 4);
        let err = w.write_all(b"0123456789").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn reader_concatenates_and_propagates_errors() {
        let (tx, rx) = mpsc::channel(4);
        tx.blocking_send(Ok(Bytes::from_static(b"hello "))).unwrap();
        tx.blocking_send(Ok(Bytes::from_static(b"world"))).unwrap();
        drop(tx);
        let mut s = String::new();
        ChannelReader::new(rx).read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world");

        let (tx, rx) = mpsc::channel(4);
        tx.blocking_send(Ok(Bytes::from_static(b"abc"))).unwrap();
        tx.blocking_send(Err(io::Error::other("network gone")))
            .unwrap();
        let mut buf = Vec::new();
        let err = ChannelReader::new(rx).read_to_end(&mut buf).unwrap_err();
        assert_eq!(err.to_string(), "network gone");
        assert_eq!(buf, b"abc");
    }

    #[test]
    fn a_handoff_ends_cleanly_only_when_finished() {
        let (mut w, mut r) = handoff(2);
        let t = std::thread::spawn(move || {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        });
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        w.finish();
        assert_eq!(t.join().unwrap().unwrap(), b"hello world");

        let (mut w, mut r) = handoff(2);
        let t = std::thread::spawn(move || {
            let mut out = Vec::new();
            r.read_to_end(&mut out)
        });
        w.write_all(b"partial").unwrap();
        drop(w);
        assert!(
            t.join().unwrap().is_err(),
            "a dropped writer must not look like an end"
        );
    }
}

//! Reading: the payload split into frames, decompressed on a pool of threads,
//! written out in order.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};

use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};

use super::split::{EndMark, FrameSplitter, Split};
use super::{damaged, CopyError, Frames, MAX_THREADS, MIB};
use crate::error::ArchiveError;

/// Bytes read from the payload at a time.
const READ_PIECE: usize = 256 * 1024;
/// Decoded bytes handed to the output at a time when a frame is streamed.
const OUT_PIECE: usize = 1024 * 1024;
/// Pieces of payload queued per decoding thread, and for an uncompressed body.
const QUEUE: usize = 8;
/// Decoded frames (or pieces) queued per decoding thread: each may be a whole
/// frame of several MiB.
const OUT_QUEUE: usize = 1;

enum ToDecoder {
    Bytes(Vec<u8>),
    FrameEnd,
}

enum FromDecoder {
    Bytes(Vec<u8>),
    FrameEnd,
    Failed(ArchiveError),
}

/// Decodes a zstd payload of concatenated frames into `out`: this thread
/// writes, one thread reads the payload (and so decrypts it) and finds the
/// frames, `threads` threads decompress them. Returns the bytes written.
pub(crate) fn decode_frames<R: Read + Send, W: Write>(
    payload: R,
    out: &mut W,
    threads: usize,
    frames: Frames,
) -> Result<u64, CopyError> {
    let threads = threads.clamp(1, MAX_THREADS);
    std::thread::scope(|scope| {
        let mut to_decoders = Vec::with_capacity(threads);
        let mut from_decoders = Vec::with_capacity(threads);
        let mut give_back = Vec::with_capacity(threads);
        let (spare_in_tx, spare_in) = mpsc::sync_channel::<Vec<u8>>(threads * QUEUE);
        for _ in 0..threads {
            let (tx, rx) = mpsc::sync_channel(QUEUE);
            let (out_tx, out_rx) = mpsc::sync_channel(OUT_QUEUE);
            let (back_tx, back_rx) = mpsc::sync_channel(OUT_QUEUE + 2);
            let spare_in_tx = spare_in_tx.clone();
            std::thread::Builder::new()
                .name("zstd-decode".into())
                .spawn_scoped(scope, move || {
                    decoder_thread(rx, out_tx, back_rx, spare_in_tx)
                })
                .map_err(|e| CopyError::Archive(ArchiveError::Io { source: e }))?;
            to_decoders.push(tx);
            from_decoders.push(out_rx);
            give_back.push(back_tx);
        }
        drop(spare_in_tx);
        let splitter = std::thread::Builder::new()
            .name("archive-read".into())
            .spawn_scoped(scope, move || {
                split_thread(payload, to_decoders, spare_in, frames)
            })
            .map_err(|e| CopyError::Archive(ArchiveError::Io { source: e }))?;
        let collected = collect(out, &from_decoders, give_back);
        if collected.is_err() {
            // Stop the decoders (their sends fail), and through them the reader.
            drop(from_decoders);
            let _ = splitter.join();
            return collected.map(|(written, _)| written);
        }
        let split = splitter.join().unwrap_or_else(|_| {
            Err(ArchiveError::Io {
                source: io::Error::other("the archive reading thread panicked"),
            })
        });
        match (collected, split) {
            (Ok((written, decoded)), Ok((found, end))) => {
                if decoded != found {
                    return Err(CopyError::Archive(damaged(format!(
                        "{found} zstd frame(s) were found but {decoded} decoded"
                    ))));
                }
                if let Some(end) = end {
                    if end
                        != (EndMark {
                            source_bytes: written,
                            frames: found,
                        })
                    {
                        return Err(CopyError::Archive(damaged(format!(
                            "its end mark counts {} bytes in {} frame(s), but {written} bytes \
                             in {found} frame(s) precede it",
                            end.source_bytes, end.frames
                        ))));
                    }
                }
                Ok(written)
            }
            (_, Err(e)) => {
                // A decoder that failed made the reader stop: its error is the cause.
                let failed = from_decoders.iter().find_map(|rx| {
                    rx.try_iter().find_map(|m| match m {
                        FromDecoder::Failed(e) => Some(e),
                        _ => None,
                    })
                });
                Err(CopyError::Archive(failed.unwrap_or(e)))
            }
            (Err(e), _) => Err(e),
        }
    })
}

/// Writes the decoders' output in frame order. Returns (bytes, frames).
fn collect<W: Write>(
    out: &mut W,
    from_decoders: &[Receiver<FromDecoder>],
    give_back: Vec<SyncSender<Vec<u8>>>,
) -> Result<(u64, u64), CopyError> {
    let threads = from_decoders.len();
    let mut written = 0u64;
    let mut frame = 0u64;
    loop {
        let turn = usize::try_from(frame % threads as u64).unwrap_or(0);
        match from_decoders[turn].recv() {
            Ok(FromDecoder::Bytes(piece)) => {
                out.write_all(&piece).map_err(CopyError::Output)?;
                written += piece.len() as u64;
                // A decoder that has finished no longer takes buffers back.
                let _ = give_back[turn].try_send(piece);
            }
            Ok(FromDecoder::FrameEnd) => frame += 1,
            Ok(FromDecoder::Failed(e)) => return Err(CopyError::Archive(e)),
            // The reader stopped feeding this decoder: the end, or a failure the
            // reader reports.
            Err(_) => return Ok((written, frame)),
        }
    }
}

fn split_thread<R: Read>(
    mut payload: R,
    to_decoders: Vec<SyncSender<ToDecoder>>,
    spare: Receiver<Vec<u8>>,
    frames: Frames,
) -> Result<(u64, Option<EndMark>), ArchiveError> {
    let threads = to_decoders.len() as u64;
    let mut splitter = FrameSplitter::new(frames);
    let mut buf = vec![0u8; READ_PIECE];
    // The frame being fed; frame k goes to decoder k % threads.
    let mut frame = 0u64;
    let mut emit = |split: Split<'_>| -> Result<(), ArchiveError> {
        let turn = usize::try_from(frame % threads).unwrap_or(0);
        let message = match split {
            Split::Bytes([]) => return Ok(()),
            Split::Bytes(bytes) => {
                let mut piece = spare.try_recv().unwrap_or_default();
                piece.clear();
                piece.extend_from_slice(bytes);
                ToDecoder::Bytes(piece)
            }
            Split::FrameEnd => {
                frame += 1;
                ToDecoder::FrameEnd
            }
        };
        to_decoders[turn]
            .send(message)
            .map_err(|_| ArchiveError::Io {
                source: io::Error::other("a decoding thread stopped"),
            })
    };
    loop {
        let n = match payload.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ArchiveError::from(e)),
        };
        splitter.feed(&buf[..n], &mut emit)?;
    }
    splitter.finish(&mut emit)
}

fn decoder_thread(
    input: Receiver<ToDecoder>,
    out: SyncSender<FromDecoder>,
    back: Receiver<Vec<u8>>,
    spare_in: SyncSender<Vec<u8>>,
) {
    let mut decoder = match FrameDecoder::new(&out, back) {
        Ok(decoder) => decoder,
        Err(e) => {
            let _ = out.send(FromDecoder::Failed(e));
            return;
        }
    };
    for message in input {
        let result = match message {
            ToDecoder::Bytes(bytes) => {
                let result = decoder.bytes(&bytes);
                // The reader may have finished: the buffer is then dropped.
                let _ = spare_in.try_send(bytes);
                result
            }
            ToDecoder::FrameEnd => decoder.frame_end(),
        };
        if let Err(e) = result {
            let _ = out.send(FromDecoder::Failed(e));
            return;
        }
    }
    // Input closed: the reader is done (or failed, and reports it itself).
}

/// Frames up to this size (compressed, and of content) are decoded in one call
/// into a buffer of their own size, saving the streaming decoder's copy through
/// its window; larger ones, or ones that do not state their size, stream.
const WHOLE_FRAME_LIMIT: usize = 16 * MIB + 64 * 1024;

/// One decoding thread's state: the frame it is in, and the output it fills.
struct FrameDecoder<'a> {
    whole: zstd::bulk::Decompressor<'static>,
    stream: Decoder<'static>,
    /// The current frame's compressed bytes, while it may still be decoded whole.
    frame: Vec<u8>,
    /// The current frame is being decoded piece by piece.
    streaming: bool,
    piece: Vec<u8>,
    /// The current (streamed) frame has been decoded to its end.
    done: bool,
    out: &'a SyncSender<FromDecoder>,
    back: Receiver<Vec<u8>>,
}

impl<'a> FrameDecoder<'a> {
    fn new(
        out: &'a SyncSender<FromDecoder>,
        back: Receiver<Vec<u8>>,
    ) -> Result<Self, ArchiveError> {
        let io = |source| ArchiveError::Io { source };
        Ok(Self {
            whole: zstd::bulk::Decompressor::new().map_err(io)?,
            stream: Decoder::new().map_err(io)?,
            frame: Vec::new(),
            streaming: false,
            piece: Vec::new(),
            done: false,
            out,
            back,
        })
    }

    fn bytes(&mut self, bytes: &[u8]) -> Result<(), ArchiveError> {
        if !self.streaming {
            if self.frame.len() + bytes.len() <= WHOLE_FRAME_LIMIT {
                self.frame.extend_from_slice(bytes);
                return Ok(());
            }
            self.start_streaming()?;
        }
        self.stream_bytes(bytes)
    }

    fn start_streaming(&mut self) -> Result<(), ArchiveError> {
        self.streaming = true;
        let held = std::mem::take(&mut self.frame);
        let result = self.stream_bytes(&held);
        self.frame = held;
        self.frame.clear();
        result
    }

    fn frame_end(&mut self) -> Result<(), ArchiveError> {
        if !self.streaming {
            match self.whole_size() {
                Some(size) => self.decode_whole(size)?,
                None => self.start_streaming()?,
            }
        }
        if self.streaming {
            if !self.done {
                return Err(damaged("a zstd frame is incomplete".into()));
            }
            if !self.piece.is_empty() {
                self.send_piece()?;
            }
            self.stream
                .reinit()
                .map_err(|source| ArchiveError::Decompression { source })?;
        }
        self.send(FromDecoder::FrameEnd)?;
        self.streaming = false;
        self.done = false;
        self.frame.clear();
        Ok(())
    }

    /// The content size of the held frame, if it states one small enough to decode whole.
    fn whole_size(&self) -> Option<usize> {
        let size = zstd::zstd_safe::get_frame_content_size(&self.frame).ok()??;
        usize::try_from(size)
            .ok()
            .filter(|size| *size <= WHOLE_FRAME_LIMIT)
    }

    fn decode_whole(&mut self, size: usize) -> Result<(), ArchiveError> {
        // The splitter and zstd must agree on where the frame ends: one frame,
        // all of it, nothing more.
        let length = zstd::zstd_safe::find_frame_compressed_size(&self.frame).ok();
        if length != Some(self.frame.len()) {
            return Err(damaged(
                "a zstd frame's length disagrees with its block headers".into(),
            ));
        }
        let mut out = self.spare();
        out.reserve(size);
        let written = self
            .whole
            .decompress_to_buffer(&self.frame, &mut out)
            .map_err(|source| ArchiveError::Decompression { source })?;
        if written != size {
            return Err(damaged(format!(
                "a zstd frame holds {written} bytes but states {size}"
            )));
        }
        if !out.is_empty() {
            self.send(FromDecoder::Bytes(out))?;
        }
        Ok(())
    }

    fn stream_bytes(&mut self, bytes: &[u8]) -> Result<(), ArchiveError> {
        let mut input = InBuffer::around(bytes);
        while input.pos() < bytes.len() {
            if self.done {
                return Err(damaged(
                    "a zstd frame ends before the position its block headers give".into(),
                ));
            }
            loop {
                if self.piece.capacity() == 0 {
                    self.piece = self.spare();
                    self.piece.reserve(OUT_PIECE);
                }
                let (hint, full) = {
                    let len = self.piece.len();
                    let mut output = OutBuffer::around_pos(&mut self.piece, len);
                    let hint = self
                        .stream
                        .run(&mut input, &mut output)
                        .map_err(|source| ArchiveError::Decompression { source })?;
                    (hint, output.pos() == output.capacity())
                };
                if full {
                    self.send_piece()?;
                }
                if hint == 0 {
                    self.done = true;
                    break;
                }
                if !full && input.pos() == bytes.len() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// An emptied buffer the writer gave back, or a new one.
    fn spare(&self) -> Vec<u8> {
        let mut buf = self.back.try_recv().unwrap_or_default();
        buf.clear();
        buf
    }

    fn send_piece(&mut self) -> Result<(), ArchiveError> {
        let full = std::mem::take(&mut self.piece);
        self.send(FromDecoder::Bytes(full))
    }

    fn send(&self, message: FromDecoder) -> Result<(), ArchiveError> {
        self.out.send(message).map_err(|_| ArchiveError::Io {
            source: io::Error::other("the restore stopped writing"),
        })
    }
}

/// Copies an uncompressed body into `out`, reading (and so decrypting) on one
/// thread while this one writes, so neither waits for the other.
pub(crate) fn copy_threaded<R: Read + Send, W: Write>(
    mut body: R,
    out: &mut W,
) -> Result<u64, CopyError> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
        let (back_tx, back) = mpsc::sync_channel::<Vec<u8>>(QUEUE + 1);
        let reader = std::thread::Builder::new()
            .name("archive-read".into())
            .spawn_scoped(scope, move || -> Result<(), ArchiveError> {
                loop {
                    let mut piece = back.try_recv().unwrap_or_default();
                    piece.resize(READ_PIECE, 0);
                    let n = match body.read(&mut piece) {
                        Ok(0) => return Ok(()),
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(ArchiveError::from(e)),
                    };
                    piece.truncate(n);
                    if tx.send(piece).is_err() {
                        return Ok(());
                    }
                }
            })
            .map_err(|e| CopyError::Archive(ArchiveError::Io { source: e }))?;
        let mut written = 0u64;
        let mut output = Ok(());
        for piece in &rx {
            if let Err(e) = out.write_all(&piece) {
                output = Err(CopyError::Output(e));
                break;
            }
            written += piece.len() as u64;
            let _ = back_tx.try_send(piece);
        }
        drop(rx);
        let read = reader.join().unwrap_or_else(|_| {
            Err(ArchiveError::Io {
                source: io::Error::other("the archive reading thread panicked"),
            })
        });
        output?;
        read?;
        Ok(written)
    })
}

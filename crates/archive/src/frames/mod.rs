//! zstd as a sequence of independent frames (FORMAT.md, Compression).
//!
//! One big frame can only be decompressed by one thread, so a restore would be
//! limited to the speed of one core. The writer therefore cuts the source into
//! blocks of a few MiB and compresses each into a frame of its own, on as many
//! threads as there are cores; the reader finds where each frame ends by walking
//! the frame and block headers (RFC 8878, no decompression needed) and hands the
//! frames to as many decoding threads. Frames are handed out round-robin and read
//! back in the same order, so no reordering buffer is needed and memory stays at a
//! few buffers per thread whatever the size of the backup.

mod decode;
mod encode;
mod split;

use std::io;

use crate::error::ArchiveError;

pub(crate) use decode::{copy_threaded, decode_frames};
pub(crate) use encode::FrameEncoder;

const MIB: usize = 1024 * 1024;

/// More threads than this add memory (two frame buffers each) but little speed.
pub(crate) const MAX_THREADS: usize = 8;

/// Source bytes per frame: at least twice zstd's window at `level` (for inputs
/// of many MiB), so starting each frame without history costs almost nothing in
/// ratio (0.03% at level 3 on a SQL dump), capped for the ultra levels whose
/// windows are far larger, to keep memory bounded.
pub(crate) fn frame_size(level: i32) -> usize {
    match level {
        ..=7 => 4 * MIB,
        8..=16 => 8 * MIB,
        _ => 16 * MIB,
    }
}

/// How many threads to compress or decompress on by default: one per core, at
/// most 8 (more add memory, two frame buffers each, but little speed).
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
}

/// How many frames the payload may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frames {
    /// Format version 1: exactly one.
    One { encrypted: bool },
    /// Format version 2: one or more.
    Many { encrypted: bool },
}

/// Why a copy out of an archive stopped: the archive, or the place it was
/// copied to.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("writing the restored data failed: {0}")]
    Output(#[source] io::Error),
}

fn damaged(detail: String) -> ArchiveError {
    ArchiveError::Decompression {
        source: io::Error::new(io::ErrorKind::InvalidData, detail),
    }
}

fn after_the_frame(encrypted: bool) -> ArchiveError {
    if encrypted {
        // Every chunk authenticated, so the writer put it there.
        damaged("data follows the end of the compressed stream".into())
    } else {
        ArchiveError::TrailingData
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_size_grows_with_the_window() {
        assert_eq!(frame_size(1), 4 * MIB);
        assert_eq!(frame_size(3), 4 * MIB);
        assert_eq!(frame_size(12), 8 * MIB);
        assert_eq!(frame_size(19), 16 * MIB);
        assert_eq!(frame_size(22), 16 * MIB);
    }
}

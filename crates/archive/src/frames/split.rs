//! Finding where each zstd frame ends without decompressing it.

use super::{after_the_frame, damaged, Frames};
use crate::error::ArchiveError;

const ZSTD_MAGIC: u32 = 0xFD2F_B528;
const SKIPPABLE_MAGIC_MASK: u32 = 0xFFFF_FFF0;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// The end mark (FORMAT.md, Compression): a skippable frame, so that any zstd
/// decoder reads the payload, holding the totals a reader checks.
pub(crate) const END_MARK_MAGIC: u32 = 0x184D_2A5E;
pub(crate) const END_MARK_LEN: u32 = 16;

/// What the end mark says: the source bytes and data frames before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EndMark {
    pub source_bytes: u64,
    pub frames: u64,
}

impl EndMark {
    pub(crate) fn encode(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..4].copy_from_slice(&END_MARK_MAGIC.to_le_bytes());
        out[4..8].copy_from_slice(&END_MARK_LEN.to_le_bytes());
        out[8..16].copy_from_slice(&self.source_bytes.to_be_bytes());
        out[16..].copy_from_slice(&self.frames.to_be_bytes());
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Magic,
    Descriptor,
    HeaderRest,
    SkippableSize,
    BlockHeader,
    EndMarkSize,
    EndMark,
}

impl Want {
    fn len(self, descriptor: u8) -> usize {
        match self {
            Want::Magic | Want::SkippableSize | Want::EndMarkSize => 4,
            Want::Descriptor => 1,
            Want::BlockHeader => 3,
            Want::EndMark => END_MARK_LEN as usize,
            Want::HeaderRest => {
                let single_segment = descriptor & 0x20 != 0;
                let dictionary_id = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
                let content_size = match descriptor >> 6 {
                    0 => usize::from(single_segment),
                    1 => 2,
                    2 => 4,
                    _ => 8,
                };
                usize::from(!single_segment) + dictionary_id + content_size
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Gather(Want),
    /// Bytes that pass through unparsed: a block's content, a checksum, a
    /// skippable frame's content.
    Pass {
        left: u64,
        then: After,
    },
    /// After the end mark (or version 1's only frame): nothing may follow.
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    NextBlock,
    Checksum,
    FrameEnd,
}

/// What [`FrameSplitter::feed`] reports, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Split<'a> {
    /// Bytes of the current frame.
    Bytes(&'a [u8]),
    /// The current frame ended with the bytes before this.
    FrameEnd,
}

/// Finds where each zstd frame ends in a stream of concatenated frames, fed in
/// pieces of any size, holding at most a frame header. It checks only what it
/// needs to find the boundaries and the end; the decoders check the rest.
pub(crate) struct FrameSplitter {
    frames_allowed: Frames,
    state: State,
    gathered: [u8; 16],
    have: usize,
    /// Between frames: the bytes gathered are the next frame's magic (or the end
    /// mark), not yet given to anyone.
    holding: bool,
    descriptor: u8,
    checksum: bool,
    frames: u64,
    end: Option<EndMark>,
}

impl FrameSplitter {
    pub(crate) fn new(frames_allowed: Frames) -> Self {
        Self {
            frames_allowed,
            state: State::Gather(Want::Magic),
            gathered: [0; 16],
            have: 0,
            holding: true,
            descriptor: 0,
            checksum: false,
            frames: 0,
            end: None,
        }
    }

    fn encrypted(&self) -> bool {
        match self.frames_allowed {
            Frames::One { encrypted } | Frames::Many { encrypted } => encrypted,
        }
    }

    pub(crate) fn feed(
        &mut self,
        data: &[u8],
        emit: &mut dyn FnMut(Split<'_>) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let mut at = 0;
        // Where the bytes of the current frame not yet emitted start.
        let mut segment = (!self.holding).then_some(0);
        while at < data.len() {
            match self.state {
                State::Ended => return Err(after_the_frame(self.encrypted())),
                State::Pass { left, then } => {
                    let take = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(data.len() - at);
                    at += take;
                    let left = left - take as u64;
                    if left > 0 {
                        self.state = State::Pass { left, then };
                        continue;
                    }
                    match then {
                        After::NextBlock => self.state = State::Gather(Want::BlockHeader),
                        After::Checksum => {
                            self.state = State::Pass {
                                left: 4,
                                then: After::FrameEnd,
                            }
                        }
                        After::FrameEnd => {
                            if let Some(start) = segment.take() {
                                emit(Split::Bytes(&data[start..at]))?;
                            }
                            self.end_frame(emit)?;
                        }
                    }
                }
                State::Gather(want) => {
                    let need = want.len(self.descriptor);
                    let take = (need - self.have).min(data.len() - at);
                    self.gathered[self.have..self.have + take]
                        .copy_from_slice(&data[at..at + take]);
                    self.have += take;
                    at += take;
                    if self.have == need {
                        self.have = 0;
                        let begins = want == Want::Magic;
                        self.state = self.parsed(want)?;
                        if begins && self.holding_ends() {
                            // A frame starts: its magic goes first, then the rest.
                            let magic = self.gathered;
                            self.holding = false;
                            emit(Split::Bytes(&magic[..4]))?;
                            segment = Some(at);
                        }
                    }
                }
            }
        }
        if let Some(start) = segment {
            if start < data.len() {
                emit(Split::Bytes(&data[start..]))?;
            }
        }
        Ok(())
    }

    /// Whether the magic just read starts a frame given to a decoder (not the end mark).
    fn holding_ends(&self) -> bool {
        !matches!(
            self.state,
            State::Gather(Want::EndMarkSize) | State::Gather(Want::EndMark) | State::Ended
        )
    }

    fn end_frame(
        &mut self,
        emit: &mut dyn FnMut(Split<'_>) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        emit(Split::FrameEnd)?;
        self.frames += 1;
        self.holding = true;
        self.state = match self.frames_allowed {
            Frames::One { .. } => State::Ended,
            Frames::Many { .. } => State::Gather(Want::Magic),
        };
        Ok(())
    }

    fn parsed(&mut self, want: Want) -> Result<State, ArchiveError> {
        let g = &self.gathered;
        let word = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
        Ok(match want {
            Want::Magic => match self.frames_allowed {
                _ if word == ZSTD_MAGIC => State::Gather(Want::Descriptor),
                Frames::Many { .. } if word == END_MARK_MAGIC => State::Gather(Want::EndMarkSize),
                _ if word & SKIPPABLE_MAGIC_MASK == SKIPPABLE_MAGIC => {
                    State::Gather(Want::SkippableSize)
                }
                // Whatever follows complete frames is not part of the stream.
                _ if self.frames > 0 => return Err(after_the_frame(self.encrypted())),
                _ => {
                    return Err(damaged(format!(
                        "a zstd frame should start here, but its magic number is {word:#010x}"
                    )))
                }
            },
            Want::Descriptor => {
                self.descriptor = g[0];
                self.checksum = g[0] & 0x04 != 0;
                if Want::HeaderRest.len(self.descriptor) == 0 {
                    State::Gather(Want::BlockHeader)
                } else {
                    State::Gather(Want::HeaderRest)
                }
            }
            Want::HeaderRest => State::Gather(Want::BlockHeader),
            Want::SkippableSize => State::Pass {
                left: u64::from(word),
                then: After::FrameEnd,
            },
            Want::EndMarkSize if word == END_MARK_LEN => State::Gather(Want::EndMark),
            Want::EndMarkSize => {
                return Err(damaged(format!(
                    "its end mark is {word} bytes long, not {END_MARK_LEN}"
                )))
            }
            Want::EndMark => {
                let number = |at: usize| {
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(&g[at..at + 8]);
                    u64::from_be_bytes(bytes)
                };
                self.end = Some(EndMark {
                    source_bytes: number(0),
                    frames: number(8),
                });
                State::Ended
            }
            Want::BlockHeader => {
                let header = u32::from_le_bytes([g[0], g[1], g[2], 0]);
                let last = header & 1 != 0;
                let size = u64::from(header >> 3);
                let content = match (header >> 1) & 0x03 {
                    0 | 2 => size,
                    1 => 1,
                    _ => return Err(damaged("a zstd block has the reserved block type".into())),
                };
                let then = match (last, self.checksum) {
                    (false, _) => After::NextBlock,
                    (true, true) => After::Checksum,
                    (true, false) => After::FrameEnd,
                };
                match (content, then) {
                    (0, After::NextBlock) => State::Gather(Want::BlockHeader),
                    (0, After::Checksum) => State::Pass {
                        left: 4,
                        then: After::FrameEnd,
                    },
                    (left, then) => State::Pass { left, then },
                }
            }
        })
    }

    /// Checks that the stream ended where it may, and returns the number of frames
    /// and the end mark (version 2).
    pub(crate) fn finish(
        mut self,
        emit: &mut dyn FnMut(Split<'_>) -> Result<(), ArchiveError>,
    ) -> Result<(u64, Option<EndMark>), ArchiveError> {
        // A frame without checksum whose last block is empty ends zero bytes on.
        if self.state
            == (State::Pass {
                left: 0,
                then: After::FrameEnd,
            })
        {
            self.end_frame(emit)?;
        }
        let between_frames = self.holding && self.have == 0;
        match (self.frames_allowed, self.state) {
            (Frames::One { .. }, State::Ended) => Ok((self.frames, None)),
            (Frames::Many { .. }, State::Ended) => Ok((self.frames, self.end)),
            (Frames::One { .. }, _) if between_frames => {
                Err(damaged("the compressed stream holds no zstd frame".into()))
            }
            (Frames::Many { .. }, State::Gather(Want::Magic)) if between_frames => Err(damaged(
                "the compressed stream ends without the end mark that follows its last \
                     frame: the archive was cut short"
                    .into(),
            )),
            _ => Err(damaged(
                "the compressed stream ends inside a zstd frame".into(),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The frames and where they end, as the splitter reports them.
    fn split(stream: &[u8], piece: usize) -> Result<(Vec<Vec<u8>>, Option<EndMark>), ArchiveError> {
        let mut splitter = FrameSplitter::new(Frames::Many { encrypted: false });
        let mut frames = vec![Vec::new()];
        let mut emit = |split: Split<'_>| {
            match split {
                Split::Bytes(bytes) => frames.last_mut().unwrap().extend_from_slice(bytes),
                Split::FrameEnd => frames.push(Vec::new()),
            }
            Ok(())
        };
        for part in stream.chunks(piece) {
            splitter.feed(part, &mut emit)?;
        }
        let (count, end) = splitter.finish(&mut emit)?;
        assert!(frames.pop().unwrap().is_empty());
        assert_eq!(frames.len() as u64, count);
        Ok((frames, end))
    }

    fn frame(data: &[u8], level: i32, checksum: bool) -> Vec<u8> {
        let mut c = zstd::bulk::Compressor::new(level).unwrap();
        c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(checksum))
            .unwrap();
        c.compress(data).unwrap()
    }

    #[test]
    fn frames_are_found_whatever_the_piece_size() {
        let text: Vec<u8> = (0..300_000u32).map(|i| (i % 97) as u8).collect();
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        // Compressed, raw (incompressible), RLE and empty blocks; with and without checksum.
        let frames = [
            frame(&text, 3, true),
            frame(&noise, 1, false),
            frame(&[7u8; 100_000], 3, true),
            frame(b"", 3, false),
            frame(b"", 3, true),
        ];
        let skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
        let mut stream: Vec<u8> = frames.concat();
        stream.extend_from_slice(&skippable);
        let end = EndMark {
            source_bytes: 600_000,
            frames: 6,
        };
        stream.extend_from_slice(&end.encode());
        let mut expected: Vec<Vec<u8>> = frames.to_vec();
        expected.push(skippable.to_vec());
        for piece in [1, 2, 3, 5, 4096, stream.len()] {
            let (found, mark) = split(&stream, piece).unwrap();
            assert_eq!(found, expected, "pieces of {piece}");
            assert_eq!(mark, Some(end));
        }
    }

    #[test]
    fn the_end_mark_must_come_last_and_be_whole() {
        let mut stream = frame(b"hello", 3, true);
        let end = EndMark {
            source_bytes: 5,
            frames: 1,
        }
        .encode();
        assert!(split(&stream, 7).is_err(), "no end mark");
        stream.extend_from_slice(&end[..20]);
        assert!(split(&stream, 7).is_err(), "half an end mark");
        stream.extend_from_slice(&end[20..]);
        assert!(split(&stream, 7).is_ok());
        stream.push(0);
        assert!(matches!(split(&stream, 7), Err(ArchiveError::TrailingData)));
    }
}

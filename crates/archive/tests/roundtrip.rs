#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{self, Read, Write};

use common::*;
use dbackup_archive::{
    ArchiveReader, ArchiveWriter, Compression, EncryptionInfo, DEFAULT_CHUNK_SIZE,
};
use proptest::prelude::*;

#[test]
fn every_mode_round_trips_at_chunk_edges() {
    let c = SMALL_CHUNK as usize;
    let sizes = [0, 1, c - 1, c, c + 1, 2 * c, 3 * c + 17];
    for (compression, enc) in ALL_MODES {
        for size in sizes {
            let input = data(size);
            let archive = write(compression, enc, SMALL_CHUNK, &input);
            let output =
                read(&archive).unwrap_or_else(|e| panic!("{compression:?}/{enc:?}/{size}: {e}"));
            assert_eq!(output, input, "{compression:?}/{enc:?}/{size}");
        }
    }
}

#[test]
fn encrypted_bodies_have_the_documented_size() {
    // No compression: 4-byte chunk header and 16-byte tag per chunk; the final
    // chunk is full for exact multiples, and an empty payload is one empty chunk.
    let c = SMALL_CHUNK as usize;
    for (size, chunks) in [(0, 1), (1, 1), (c - 1, 1), (c, 1), (c + 1, 2), (3 * c, 3)] {
        let archive = write(Compression::None, Enc::Key, SMALL_CHUNK, &data(size));
        assert_eq!(
            archive.len() - header_len(&archive),
            size + 20 * chunks,
            "{size}"
        );
    }
}

#[test]
fn the_plaintext_does_not_appear_in_encrypted_archives() {
    let input = b"SECRET-ROW ".repeat(500);
    for enc in [Enc::Key, Enc::Passphrase] {
        let archive = write(Compression::None, enc, SMALL_CHUNK, &input);
        assert!(!archive.windows(11).any(|w| w == b"SECRET-ROW "), "{enc:?}");
    }
}

#[test]
fn zstd_compresses() {
    let input = b"INSERT INTO t VALUES (1, 'abc');\n".repeat(10_000);
    for enc in [Enc::None, Enc::Key] {
        let archive = write(Compression::Zstd, enc, SMALL_CHUNK, &input);
        assert!(
            archive.len() < input.len() / 20,
            "{enc:?}: {}",
            archive.len()
        );
        assert_eq!(read(&archive).unwrap(), input);
    }
}

#[test]
fn default_settings_round_trip_with_1_mib_chunks_and_worker_threads() {
    let input = data(DEFAULT_CHUNK_SIZE as usize * 2 + 12345);
    for enc in [Enc::None, Enc::Key] {
        let mut settings = settings(Compression::Zstd, enc, DEFAULT_CHUNK_SIZE);
        settings.workers = 2;
        let archive = write_with(settings, &input);
        assert_eq!(read(&archive).unwrap(), input, "{enc:?}");
    }
    // Without compression the chunking is visible: three chunks of 1 MiB framing.
    let archive = write(Compression::None, Enc::Key, DEFAULT_CHUNK_SIZE, &input);
    assert_eq!(archive.len() - header_len(&archive), input.len() + 3 * 20);
    assert_eq!(read(&archive).unwrap(), input);
}

#[test]
fn io_copy_streams_through_both_ends() {
    let input = data(50_000);
    let mut writer = ArchiveWriter::new(
        Vec::new(),
        settings(Compression::Zstd, Enc::Key, SMALL_CHUNK),
        &randomness(),
    )
    .unwrap();
    io::copy(&mut &input[..], &mut writer).unwrap();
    let archive = writer.finish().unwrap();

    let reader = ArchiveReader::open(&archive[..], &right_keys()).unwrap();
    assert!(matches!(
        reader.header().encryption,
        EncryptionInfo::KeyProfile { .. }
    ));
    assert_eq!(reader.header().key_id(), Some(key().id()));
    let mut output = Vec::new();
    assert_eq!(reader.copy_to(&mut output, 2).unwrap(), input.len() as u64);
    assert_eq!(output, input);
}

/// An output that takes a few bytes at a time, as `Write` allows.
struct Tiny(Vec<u8>);

impl Write for Tiny {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(7);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn writes_in_tiny_pieces() {
    let input = data(3 * SMALL_CHUNK as usize + 5);
    for (compression, enc) in ALL_MODES {
        let archive = write(compression, enc, SMALL_CHUNK, &input);
        let reader = ArchiveReader::open(&archive[..], &right_keys()).unwrap();
        let mut output = Tiny(Vec::new());
        reader.copy_to(&mut output, 1).unwrap();
        assert_eq!(output.0, input, "{compression:?}/{enc:?}");
    }
}

#[test]
fn a_fresh_randomness_gives_a_different_archive() {
    let input = data(100);
    let settings = settings(Compression::None, Enc::Key, SMALL_CHUNK);
    let mut one = ArchiveWriter::new(
        Vec::new(),
        settings.clone(),
        &dbackup_archive::Randomness::generate().unwrap(),
    )
    .unwrap();
    one.write_all(&input).unwrap();
    let one = one.finish().unwrap();
    let mut two = ArchiveWriter::new(
        Vec::new(),
        settings,
        &dbackup_archive::Randomness::generate().unwrap(),
    )
    .unwrap();
    two.write_all(&input).unwrap();
    let two = two.finish().unwrap();
    assert_ne!(one, two);
    assert_eq!(read(&one).unwrap(), input);
    assert_eq!(read(&two).unwrap(), input);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_data_round_trips_in_every_mode(
        mode in 0..ALL_MODES.len(),
        len in 0usize..(5 * 1024 + 300),
        seed in any::<u8>(),
        chunk_size in 1024u32..2048,
    ) {
        let (compression, enc) = ALL_MODES[mode];
        let input: Vec<u8> = data(len).iter().map(|b| b.wrapping_add(seed)).collect();
        let archive = write(compression, enc, chunk_size, &input);
        prop_assert_eq!(read(&archive).unwrap(), input);
    }
}

#[test]
fn default_argon2_parameters_round_trip() {
    let mut settings = settings(Compression::Zstd, Enc::Passphrase, SMALL_CHUNK);
    settings.encryption = dbackup_archive::EncryptionSetting::Passphrase {
        passphrase: dbackup_archive::Passphrase::from(PASSPHRASE),
        params: dbackup_archive::Argon2Params::default(),
    };
    let input = data(10_000);
    let archive = write_with(settings, &input);
    assert_eq!(read(&archive).unwrap(), input);
    let header = dbackup_archive::read_header(&mut &archive[..]).unwrap();
    match header.encryption {
        EncryptionInfo::Passphrase { kdf, .. } => {
            assert_eq!(
                (kdf.memory_kib, kdf.iterations, kdf.parallelism),
                (65536, 3, 4)
            )
        }
        other => panic!("{other:?}"),
    }
}

/// The engine moves readers and writers onto blocking threads.
#[test]
fn readers_and_writers_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<ArchiveWriter<Vec<u8>>>();
    assert_send::<ArchiveReader<std::fs::File>>();
    assert_send::<dbackup_archive::ArchiveError>();
    fn assert_sync<T: Sync>() {}
    assert_sync::<dbackup_archive::ArchiveError>();
}

/// Counts bytes passing through, to show data flows through instead of piling up.
struct Counting<T> {
    inner: T,
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<T: Write> Write for Counting<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<T: Read> Read for Counting<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        Ok(n)
    }
}

/// Records how much of the archive had been read when the first MiB came out.
struct FirstMib {
    out: Vec<u8>,
    consumed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    consumed_then: Option<usize>,
}

impl Write for FirstMib {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.extend_from_slice(buf);
        if self.consumed_then.is_none() && self.out.len() >= 1024 * 1024 {
            self.consumed_then = Some(self.consumed.load(std::sync::atomic::Ordering::SeqCst));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Both ends hold a bounded amount whatever the size: a few zstd frames (4 MiB
/// each at level 3) per thread, a few read-ahead pieces, a chunk.
#[test]
fn data_streams_through_without_piling_up() {
    use std::sync::atomic::Ordering::SeqCst;
    const MIB: usize = 1024 * 1024;
    let chunk = 64 * 1024;
    let input = data(40 * MIB);
    for (compression, enc) in ALL_MODES {
        let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let sink = Counting {
            inner: Vec::new(),
            count: written.clone(),
        };
        let mut settings = settings(compression, enc, chunk as u32);
        settings.workers = 2;
        let mut writer = ArchiveWriter::new(sink, settings, &randomness()).unwrap();
        writer.write_all(&input).unwrap();
        // Held back: the frame being filled and one per thread (this input does
        // not compress), plus a chunk.
        let before_finish = written.load(SeqCst);
        let held = match compression {
            Compression::None => chunk,
            Compression::Zstd => 3 * 4 * MIB + chunk,
        };
        assert!(
            before_finish + held >= input.len(),
            "{compression:?}/{enc:?}: only {before_finish} bytes out"
        );
        let archive = writer.finish().unwrap().inner;

        let consumed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let source = Counting {
            inner: &archive[..],
            count: consumed.clone(),
        };
        let reader = ArchiveReader::open(source, &right_keys()).unwrap();
        let mut out = FirstMib {
            out: Vec::new(),
            consumed,
            consumed_then: None,
        };
        reader.copy_to(&mut out, 2).unwrap();
        // When 1 MiB had come out, the readers were ahead by a frame per decoding
        // thread and their queues at most, not by the whole archive.
        let read_then = out.consumed_then.unwrap();
        assert!(
            read_then < 20 * MIB,
            "{compression:?}/{enc:?}: {read_then} bytes read for the first MiB out"
        );
        assert!(out.out == input, "{compression:?}/{enc:?}");
    }
}

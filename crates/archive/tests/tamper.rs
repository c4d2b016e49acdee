#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use dbackup_archive::{
    ArchiveError, ArchiveReader, ArchiveWriter, Argon2Param, Argon2Params, Compression, CopyError,
    EncryptionSetting, KeyId, KeyLookup, KeyLookupError, KeySet, Passphrase, WriterSettings, MAGIC,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const C: usize = SMALL_CHUNK as usize;
const RECORD: usize = 4 + C + 16;

/// A key-profile archive without compression, so record boundaries are known.
fn three_chunks() -> (Vec<u8>, Vec<u8>) {
    let input = data(2 * C + 100);
    (
        write(Compression::None, Enc::Key, SMALL_CHUNK, &input),
        input,
    )
}

fn record_range(archive: &[u8], index: usize) -> std::ops::Range<usize> {
    let start = header_len(archive) + index * RECORD;
    start..(start + RECORD).min(archive.len())
}

#[test]
fn a_different_key_is_a_wrong_key_not_corruption() {
    let (archive, _) = three_chunks();
    let keys = KeySet::new().with_key(other_key());
    assert!(matches!(
        read_with(&archive, &keys),
        Err(ArchiveError::WrongKey)
    ));
}

#[test]
fn a_wrong_passphrase_is_a_wrong_key() {
    for compression in [Compression::None, Compression::Zstd] {
        let archive = write(compression, Enc::Passphrase, SMALL_CHUNK, &data(100));
        let keys = KeySet::new().with_passphrase(Passphrase::from("Correct horse battery staple"));
        assert!(matches!(
            read_with(&archive, &keys),
            Err(ArchiveError::WrongKey)
        ));
    }
}

#[test]
fn no_passphrase_means_passphrase_required() {
    let archive = write(Compression::None, Enc::Passphrase, SMALL_CHUNK, &data(10));
    let keys = KeySet::new().with_key(key());
    assert!(matches!(
        read_with(&archive, &keys),
        Err(ArchiveError::PassphraseRequired)
    ));
}

#[test]
fn no_keys_at_all_means_no_key_naming_the_id() {
    let (archive, _) = three_chunks();
    let err = read_with(&archive, &KeySet::new()).unwrap_err();
    match &err {
        ArchiveError::NoKey { key_id } => assert_eq!(*key_id, key().id()),
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("630dcd29"), "{message}");
    assert!(message.contains("import the key"), "{message}");
}

/// A lookup whose ids do not match the keys it holds, like a key imported under
/// another profile: only the key check can find the right one.
struct Mislabelled(KeySet);

impl KeyLookup for Mislabelled {
    fn key_by_id(&self, _id: KeyId) -> Result<Option<dbackup_archive::Key>, KeyLookupError> {
        Ok(None)
    }
    fn all_keys(&self) -> Result<Vec<dbackup_archive::Key>, KeyLookupError> {
        self.0.all_keys()
    }
    fn passphrase(&self) -> Result<Option<Passphrase>, KeyLookupError> {
        Ok(None)
    }
}

#[test]
fn an_unknown_key_id_falls_back_to_trying_every_key() {
    let (archive, input) = three_chunks();
    let keys = Mislabelled(
        KeySet::new()
            .with_key(other_key())
            .with_key(key())
            .with_key(dbackup_archive::Key::from_bytes([7; 32])),
    );
    assert_eq!(read_with(&archive, &keys).unwrap(), input);
    let wrong_only = Mislabelled(KeySet::new().with_key(other_key()));
    assert!(matches!(
        read_with(&archive, &wrong_only),
        Err(ArchiveError::WrongKey)
    ));
}

struct BrokenKeyring;

impl KeyLookup for BrokenKeyring {
    fn key_by_id(&self, _id: KeyId) -> Result<Option<dbackup_archive::Key>, KeyLookupError> {
        Err("the keyring is locked".into())
    }
    fn all_keys(&self) -> Result<Vec<dbackup_archive::Key>, KeyLookupError> {
        Err("the keyring is locked".into())
    }
    fn passphrase(&self) -> Result<Option<Passphrase>, KeyLookupError> {
        Err("the keyring is locked".into())
    }
}

#[test]
fn keyring_failures_are_reported_as_such() {
    let (archive, _) = three_chunks();
    let err = read_with(&archive, &BrokenKeyring).unwrap_err();
    assert!(matches!(err, ArchiveError::KeyLookup { .. }), "{err:?}");
    assert!(err.to_string().contains("keyring is locked"));
}

#[test]
fn truncation_is_detected_wherever_the_cut_falls() {
    let (archive, _) = three_chunks();
    let body = header_len(&archive);
    // Exactly at each record boundary: nothing wrong with any chunk, the final one
    // is simply missing.
    for (complete, cut) in [(0, body), (1, body + RECORD), (2, body + 2 * RECORD)] {
        match read(&archive[..cut]) {
            Err(ArchiveError::Truncated { complete_chunks }) => {
                assert_eq!(complete_chunks, complete)
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    // Inside a record, inside a record header, one byte short of the end.
    for cut in [body + 2, body + 100, body + RECORD + 3, archive.len() - 1] {
        let err = read(&archive[..cut]).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::Truncated { .. } | ArchiveError::Corrupted { .. }
            ),
            "cut at {cut}: {err:?}"
        );
    }
}

#[test]
fn truncated_compressed_archives_fail_too() {
    let input = data(3 * C);
    for enc in [Enc::None, Enc::Key] {
        let archive = write(Compression::Zstd, enc, SMALL_CHUNK, &input);
        let body = header_len(&archive);
        for cut in [
            body,
            body + 1,
            (body + archive.len()) / 2,
            archive.len() - 1,
        ] {
            assert!(read(&archive[..cut]).is_err(), "{enc:?} cut at {cut}");
        }
    }
}

#[test]
fn reordered_chunks_are_corrupted_at_the_first_misplaced_one() {
    let (archive, _) = three_chunks();
    let (r0, r1) = (record_range(&archive, 0), record_range(&archive, 1));
    let mut swapped = archive[..r0.start].to_vec();
    swapped.extend_from_slice(&archive[r1.clone()]);
    swapped.extend_from_slice(&archive[r0]);
    swapped.extend_from_slice(&archive[r1.end..]);
    assert!(matches!(
        read(&swapped),
        Err(ArchiveError::Corrupted { chunk: 0 })
    ));
}

#[test]
fn duplicated_chunks_are_corrupted_at_the_copy() {
    let (archive, _) = three_chunks();
    let r1 = record_range(&archive, 1);
    let mut duplicated = archive[..r1.end].to_vec();
    duplicated.extend_from_slice(&archive[r1.clone()]);
    duplicated.extend_from_slice(&archive[r1.end..]);
    assert!(matches!(
        read(&duplicated),
        Err(ArchiveError::Corrupted { chunk: 2 })
    ));
}

#[test]
fn a_dropped_middle_chunk_is_corrupted() {
    let (archive, _) = three_chunks();
    let r1 = record_range(&archive, 1);
    let mut dropped = archive[..r1.start].to_vec();
    dropped.extend_from_slice(&archive[r1.end..]);
    assert!(matches!(
        read(&dropped),
        Err(ArchiveError::Corrupted { chunk: 1 })
    ));
}

#[test]
fn a_flipped_body_byte_names_its_chunk() {
    let (archive, _) = three_chunks();
    for (chunk, offset) in [(0usize, 10usize), (1, 4000), (2, 50)] {
        let mut damaged = archive.clone();
        damaged[record_range(&archive, chunk).start + offset] ^= 0x01;
        match read(&damaged) {
            Err(ArchiveError::Corrupted { chunk: found }) => assert_eq!(found, chunk as u64),
            other => panic!("chunk {chunk}: {other:?}"),
        }
    }
}

#[test]
fn output_stops_at_the_damaged_chunk() {
    let (archive, input) = three_chunks();
    let mut damaged = archive.clone();
    damaged[record_range(&archive, 1).start + 30] ^= 0x80;
    let reader = ArchiveReader::open(&damaged[..], &right_keys()).unwrap();
    let mut out = Vec::new();
    let err = reader.copy_to(&mut out, 2).unwrap_err();
    assert!(
        matches!(
            err,
            CopyError::Archive(ArchiveError::Corrupted { chunk: 1 })
        ),
        "{err:?}"
    );
    // Only verified chunk 0 came out.
    assert_eq!(out, input[..C]);
}

#[test]
fn trailing_bytes_are_refused() {
    for (compression, enc) in ALL_MODES {
        if (compression, enc) == (Compression::None, Enc::None) {
            continue; // raw bytes: no end marker to check against (FORMAT.md)
        }
        for size in [0, 10, C] {
            let mut archive = write(compression, enc, SMALL_CHUNK, &data(size));
            archive.push(0);
            let err = read(&archive).unwrap_err();
            assert!(
                matches!(err, ArchiveError::TrailingData),
                "{compression:?}/{enc:?}/{size}: {err:?}"
            );
        }
    }
}

#[test]
fn a_full_final_chunk_flagged_as_not_final_is_corrupted() {
    // Clearing the final flag on a full final chunk keeps the lengths valid; only
    // the nonce can tell, and then the missing end is reported as corruption of it.
    let input = data(C);
    let archive = write(Compression::None, Enc::Key, SMALL_CHUNK, &input);
    let start = header_len(&archive);
    let mut cleared = archive.clone();
    cleared[start] &= 0x7f;
    assert!(matches!(
        read(&cleared),
        Err(ArchiveError::Corrupted { chunk: 0 })
    ));
}

#[test]
fn a_future_version_is_unsupported() {
    let mut archive = write(Compression::Zstd, Enc::Key, SMALL_CHUNK, &data(10));
    archive[8..10].copy_from_slice(&3u16.to_be_bytes());
    match read(&archive) {
        Err(ArchiveError::UnsupportedVersion { found, supported }) => {
            assert_eq!((found, supported), (3, 2))
        }
        other => panic!("{other:?}"),
    }
    let err = read(&archive).unwrap_err().to_string();
    assert!(
        err.contains("version 3") && err.contains("update DBackup"),
        "{err}"
    );
}

#[test]
fn garbage_is_not_an_archive() {
    for garbage in [
        &b""[..],
        b"DBACK",
        b"PK\x03\x04 a zip file, say",
        b"\x28\xb5\x2f\xfd a bare zstd frame",
        &[0u8; 100],
    ] {
        assert!(
            matches!(read(garbage), Err(ArchiveError::NotAnArchive)),
            "{garbage:?}"
        );
    }
}

#[test]
fn a_damaged_header_is_reported_as_such() {
    let archive = write(Compression::None, Enc::None, SMALL_CHUNK, &data(10));
    let len = header_len(&archive);
    for offset in [10, 12, 20, len - 1] {
        let mut damaged = archive.clone();
        damaged[offset] ^= 0x04;
        let err = read(&damaged).unwrap_err();
        assert!(
            matches!(err, ArchiveError::HeaderDamaged { .. }),
            "{offset}: {err:?}"
        );
    }
    let err = read(&archive[..len - 1]).unwrap_err();
    assert!(matches!(err, ArchiveError::HeaderDamaged { .. }), "{err:?}");
}

/// Rewrites header fields and recomputes the checksum, as a hostile writer could.
fn forge_header(archive: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let len = header_len(archive);
    let mut header = archive[..len - 32].to_vec();
    edit(&mut header);
    let checksum = Sha256::digest(&header);
    let mut forged = header;
    forged.extend_from_slice(&checksum);
    forged.extend_from_slice(&archive[len..]);
    forged
}

#[test]
fn hostile_argon2_parameters_are_refused_before_running_argon2() {
    let archive = write(Compression::None, Enc::Passphrase, SMALL_CHUNK, &data(10));
    // Passphrase mode: memory is the u32 at offset 13, iterations at 17, lanes at 21.
    let set = |at: usize, value: u32| {
        forge_header(&archive, |h| {
            h[at..at + 4].copy_from_slice(&value.to_be_bytes())
        })
    };
    for (forged, parameter, value, cap) in [
        (
            set(13, u32::MAX),
            Argon2Param::Memory,
            u32::MAX,
            1024 * 1024,
        ),
        (
            set(13, 1024 * 1024 + 1),
            Argon2Param::Memory,
            1024 * 1024 + 1,
            1024 * 1024,
        ),
        (set(17, 101), Argon2Param::Iterations, 101, 10),
        (set(17, 11), Argon2Param::Iterations, 11, 10),
        (set(21, 17), Argon2Param::Lanes, 17, 16),
    ] {
        let mut cursor = &forged[..];
        match dbackup_archive::read_header(&mut cursor) {
            Err(ArchiveError::Argon2ParamAboveCap {
                parameter: p,
                value: v,
                cap: c,
            }) => assert_eq!((p, v, c), (parameter, value, cap)),
            other => panic!("{parameter:?} {value}: {other:?}"),
        }
    }
    // Through the reader too, with values that would cost little if the cap were
    // missing, so a regression fails here instead of allocating gigabytes.
    for forged in [set(17, 11), set(21, 17)] {
        assert!(matches!(
            read(&forged),
            Err(ArchiveError::Argon2ParamAboveCap { .. })
        ));
    }
    // Within the caps but unusable by Argon2id: refused as invalid.
    for forged in [set(17, 0), set(21, 0), set(21, 9)] {
        assert!(matches!(
            read(&forged),
            Err(ArchiveError::Argon2ParamsOutOfRange { .. })
        ));
    }
}

#[test]
fn the_writer_refuses_argon2_parameters_above_the_caps() {
    for params in [
        Argon2Params {
            memory_kib: Argon2Params::MAX_MEMORY_KIB + 1,
            ..LIGHT_ARGON
        },
        Argon2Params {
            iterations: Argon2Params::MAX_ITERATIONS + 1,
            ..LIGHT_ARGON
        },
        Argon2Params {
            memory_kib: 1024,
            parallelism: Argon2Params::MAX_PARALLELISM + 1,
            ..LIGHT_ARGON
        },
    ] {
        let settings = WriterSettings {
            encryption: EncryptionSetting::Passphrase {
                passphrase: Passphrase::from(PASSPHRASE),
                params,
            },
            ..settings(Compression::None, Enc::None, SMALL_CHUNK)
        };
        assert!(
            matches!(
                ArchiveWriter::new(Vec::new(), settings, &randomness()),
                Err(ArchiveError::Argon2ParamAboveCap { .. })
            ),
            "{params:?}"
        );
    }
}

#[test]
fn a_forged_header_with_a_valid_checksum_still_fails_authentication() {
    let (archive, _) = three_chunks();
    // Change the metadata's job of the header: the checksum is recomputed, but it
    // is every chunk's AAD, so the chunks no longer verify.
    let forged = forge_header(&archive, |h| {
        let at = h.windows(8).position(|w| w == b"database").unwrap();
        h[at..at + 8].copy_from_slice(b"DATABASE");
    });
    assert!(matches!(
        read(&forged),
        Err(ArchiveError::Corrupted { chunk: 0 })
    ));
}

#[test]
fn writer_settings_are_validated() {
    type Expect = fn(&ArchiveError) -> bool;
    let cases: Vec<(WriterSettings, Expect)> = vec![
        (settings(Compression::None, Enc::Key, 1023), |e| {
            matches!(e, ArchiveError::InvalidChunkSize { size: 1023 })
        }),
        (
            settings(Compression::None, Enc::Key, 16 * 1024 * 1024 + 1),
            |e| matches!(e, ArchiveError::InvalidChunkSize { .. }),
        ),
        (
            WriterSettings {
                level: 23,
                ..settings(Compression::Zstd, Enc::None, SMALL_CHUNK)
            },
            |e| matches!(e, ArchiveError::InvalidLevel { level: 23 }),
        ),
        (
            WriterSettings {
                level: 0,
                ..settings(Compression::Zstd, Enc::None, SMALL_CHUNK)
            },
            |e| matches!(e, ArchiveError::InvalidLevel { level: 0 }),
        ),
        (
            WriterSettings {
                encryption: EncryptionSetting::Passphrase {
                    passphrase: Passphrase::from("x"),
                    params: Argon2Params {
                        iterations: 0,
                        ..LIGHT_ARGON
                    },
                },
                ..settings(Compression::None, Enc::None, SMALL_CHUNK)
            },
            |e| matches!(e, ArchiveError::Argon2ParamsOutOfRange { .. }),
        ),
    ];
    for (settings, expected) in cases {
        match ArchiveWriter::new(Vec::new(), settings, &randomness()) {
            Err(err) => assert!(expected(&err), "{err:?}"),
            Ok(_) => panic!("accepted invalid settings"),
        }
    }
    let mut big = settings(Compression::None, Enc::None, SMALL_CHUNK);
    big.metadata.job_name = Some("x".repeat(70_000));
    assert!(matches!(
        ArchiveWriter::new(Vec::new(), big, &randomness()),
        Err(ArchiveError::MetadataTooLarge { .. })
    ));
}

#[test]
fn an_unfinished_writer_leaves_a_truncated_archive() {
    let mut out = Vec::new();
    {
        let mut writer = ArchiveWriter::new(
            &mut out,
            settings(Compression::None, Enc::Key, SMALL_CHUNK),
            &randomness(),
        )
        .unwrap();
        std::io::Write::write_all(&mut writer, &data(3 * C)).unwrap();
        // Dropped without finish().
    }
    assert!(matches!(
        read(&out),
        Err(ArchiveError::Truncated { complete_chunks: 2 })
    ));
}

#[test]
fn the_magic_is_as_documented() {
    assert_eq!(&MAGIC, b"DBACKUP\x1a");
    let archive = write(Compression::None, Enc::None, SMALL_CHUNK, b"");
    assert_eq!(&archive[..8], &MAGIC);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Never silently wrong: any single flipped bit anywhere in an encrypted
    /// archive makes opening or reading fail.
    #[test]
    fn any_flipped_bit_in_an_encrypted_archive_is_detected(
        mode in 0usize..4,
        len in 0usize..(3 * C),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (compression, enc) = [
            (Compression::None, Enc::Key),
            (Compression::Zstd, Enc::Key),
            (Compression::None, Enc::Passphrase),
            (Compression::Zstd, Enc::Passphrase),
        ][mode];
        let archive = write(compression, enc, SMALL_CHUNK, &data(len));
        let mut damaged = archive.clone();
        let at = position.index(damaged.len());
        damaged[at] ^= 1 << bit;
        let result = read(&damaged);
        prop_assert!(result.is_err(), "flip at {} of {} went unnoticed", at, archive.len());
        let err = result.unwrap_err();
        let header_len = header_len(&archive);
        if at >= header_len {
            prop_assert!(
                matches!(err, ArchiveError::Corrupted { .. } | ArchiveError::Truncated { .. }),
                "body flip at {} gave {:?}", at, err
            );
        } else {
            prop_assert!(
                matches!(
                    err,
                    ArchiveError::NotAnArchive
                        | ArchiveError::UnsupportedVersion { .. }
                        | ArchiveError::HeaderDamaged { .. }
                ),
                "header flip at {} gave {:?}", at, err
            );
        }
    }
}

/// Source bytes for an archive of three zstd frames (4 MiB each at level 3).
fn three_frames_input() -> Vec<u8> {
    (0..9 * 1024 * 1024 + 777u32)
        .map(|i| (i % 253) as u8 ^ (i >> 11) as u8)
        .collect()
}

/// Where each zstd frame of an unencrypted archive's body ends.
fn frame_ends(archive: &[u8]) -> Vec<usize> {
    let mut at = header_len(archive);
    let mut ends = Vec::new();
    while at < archive.len() {
        at += zstd::zstd_safe::find_frame_compressed_size(&archive[at..]).unwrap();
        ends.push(at);
    }
    ends
}

#[test]
fn an_unencrypted_archive_cut_between_frames_is_cut_short() {
    let input = three_frames_input();
    let archive = write(Compression::Zstd, Enc::None, SMALL_CHUNK, &input);
    let ends = frame_ends(&archive);
    // Three frames and the end mark (itself a skippable frame of 24 bytes).
    assert_eq!(ends.len(), 4, "{ends:?}");
    assert_eq!(ends[3] - ends[2], 24);
    assert_eq!(read(&archive).unwrap(), input);
    for cut in &ends[..3] {
        let err = read(&archive[..*cut]).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Decompression { .. })
                && err.to_string().contains("cut short"),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn an_end_mark_that_disagrees_with_the_frames_is_refused() {
    let input = three_frames_input();
    let archive = write(Compression::Zstd, Enc::None, SMALL_CHUNK, &input);
    let end = archive.len() - 24;
    // One source byte more than the frames hold; then one frame more.
    for at in [end + 15, end + 23] {
        let mut forged = archive.clone();
        forged[at] ^= 1;
        let err = read(&forged).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Decompression { .. })
                && err.to_string().contains("end mark counts"),
            "{err}"
        );
    }
    // A frame dropped from the middle: the counts no longer add up.
    let ends = frame_ends(&archive);
    let mut dropped = archive[..ends[0]].to_vec();
    dropped.extend_from_slice(&archive[ends[1]..]);
    assert!(matches!(
        read(&dropped),
        Err(ArchiveError::Decompression { .. })
    ));
}

#[test]
fn the_frames_do_not_depend_on_the_number_of_threads() {
    let input = three_frames_input();
    let with = |workers| {
        let mut settings = settings(Compression::Zstd, Enc::Key, SMALL_CHUNK);
        settings.workers = workers;
        write_with(settings, &input)
    };
    let inline = with(0);
    assert_eq!(inline, with(1));
    assert_eq!(inline, with(3));
    for threads in [1, 2, 5] {
        assert!(read_threads(&inline, &right_keys(), threads).unwrap() == input);
    }
}

#[test]
fn a_damaged_frame_is_reported_whichever_thread_decodes_it() {
    let input = three_frames_input();
    let archive = write(Compression::Zstd, Enc::None, SMALL_CHUNK, &input);
    let ends = frame_ends(&archive);
    for frame in 0..3 {
        let mut damaged = archive.clone();
        // Inside the frame's blocks, past its header.
        let start = if frame == 0 {
            header_len(&archive)
        } else {
            ends[frame - 1]
        };
        damaged[(start + ends[frame]) / 2] ^= 0x10;
        let err = read(&damaged).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Decompression { .. }),
            "frame {frame}: {err:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever follows a valid header of an unencrypted zstd archive, reading
    /// ends in a result, never a panic or a hang.
    #[test]
    fn arbitrary_compressed_bodies_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..2000),
        keep_frame_start in any::<bool>(),
    ) {
        let archive = write(Compression::Zstd, Enc::None, SMALL_CHUNK, b"x");
        let mut forged = archive[..header_len(&archive)].to_vec();
        if keep_frame_start {
            forged.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd]);
        }
        forged.extend_from_slice(&body);
        let _ = read(&forged);
    }
}

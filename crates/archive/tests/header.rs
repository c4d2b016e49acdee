#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;

use common::*;
use dbackup_archive::{
    read_header, ArchiveError, Compression, EncryptionInfo, Header, KeySet, MAGIC,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn parse(bytes: &[u8]) -> Result<Header, ArchiveError> {
    let mut cursor = bytes;
    read_header(&mut cursor)
}

#[test]
fn read_header_needs_no_key_and_stops_at_the_body() {
    let input = data(5000);
    let archive = write(Compression::Zstd, Enc::Passphrase, SMALL_CHUNK, &input);
    let mut cursor = &archive[..];
    let header = read_header(&mut cursor).unwrap();
    assert_eq!(header.version, 2);
    assert_eq!(header.compression, Compression::Zstd);
    assert_eq!(header.compression_level, 3);
    assert_eq!(header.metadata, metadata());
    assert_eq!(header.chunk_size(), Some(SMALL_CHUNK));
    assert_eq!(header.key_id(), None);
    match &header.encryption {
        EncryptionInfo::Passphrase {
            kdf,
            kdf_salt,
            stream,
        } => {
            assert_eq!(*kdf, LIGHT_ARGON);
            assert_eq!(*kdf_salt, randomness().argon_salt);
            assert_eq!(stream.archive_salt, randomness().archive_salt);
            assert_eq!(stream.nonce_prefix, randomness().nonce_prefix);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cursor.len(), archive.len() - header.len as usize);
    assert_eq!(
        &header.checksum[..],
        &archive[header.len as usize - 32..header.len as usize]
    );
}

#[test]
fn header_sizes_are_as_documented() {
    // 49 + L without encryption, 128 + L with a key profile, 152 + L with a
    // passphrase; the test metadata is 62 bytes.
    for (enc, expected) in [
        (Enc::None, 49 + 62),
        (Enc::Key, 128 + 62),
        (Enc::Passphrase, 152 + 62),
    ] {
        let archive = write(Compression::None, enc, SMALL_CHUNK, b"");
        assert_eq!(header_len(&archive), expected, "{enc:?}");
    }
}

/// Replaces the metadata JSON and recomputes the length and checksum.
fn with_metadata(json: &[u8]) -> Vec<u8> {
    let archive = write(Compression::None, Enc::None, SMALL_CHUNK, b"body");
    let len = header_len(&archive);
    // No encryption: the metadata length is at offset 13.
    let mut header = archive[..13].to_vec();
    header.extend_from_slice(&(json.len() as u32).to_be_bytes());
    header.extend_from_slice(json);
    let checksum = Sha256::digest(&header);
    header.extend_from_slice(&checksum);
    header.extend_from_slice(&archive[len..]);
    header
}

#[test]
fn metadata_ignores_unknown_members_and_treats_null_as_absent() {
    let archive = with_metadata(
        br#"{"job_name":"nightly","db_engine":null,"added_later":{"x":[1,2]},"created_at":"2025-06-01T12:00:00+02:00"}"#,
    );
    let header = parse(&archive).unwrap();
    assert_eq!(header.metadata.job_name.as_deref(), Some("nightly"));
    assert_eq!(header.metadata.db_engine, None);
    assert_eq!(
        header.metadata.created_at,
        "2025-06-01T10:00:00Z".parse().unwrap()
    );
    assert_eq!(read_with(&archive, &KeySet::new()).unwrap(), b"body");
}

#[test]
fn metadata_without_created_at_or_not_json_is_a_damaged_header() {
    for json in [
        &br#"{"job_name":"x"}"#[..],
        b"not json",
        b"",
        b"[]",
        b"\xff\xfe",
    ] {
        let err = parse(&with_metadata(json)).unwrap_err();
        assert!(
            matches!(err, ArchiveError::HeaderDamaged { .. }),
            "{json:?}: {err:?}"
        );
    }
}

/// FORMAT.md, Metadata: a listed member of another type than string or null, or
/// listed twice, makes the header damaged; an unlisted one may be anything.
#[test]
fn metadata_members_are_typed_and_unique() {
    for json in [
        &br#"{"created_at":"2025-01-02T03:04:05Z","source_kind":5}"#[..],
        br#"{"created_at":"2025-01-02T03:04:05Z","database":["a"]}"#,
        br#"{"created_at":"2025-01-02T03:04:05Z","job_name":"a","job_name":"b"}"#,
        br#"{"created_at":"2025-01-02T03:04:05Z","created_at":"2025-01-02T03:04:05Z"}"#,
        br#"{"created_at":1735787045}"#,
    ] {
        let err = parse(&with_metadata(json)).unwrap_err();
        assert!(
            matches!(err, ArchiveError::HeaderDamaged { .. }),
            "{}: {err:?}",
            String::from_utf8_lossy(json)
        );
    }
    let header = parse(&with_metadata(
        br#"{"created_at":"2025-01-02T03:04:05.5+01:00","unknown":5,"unknown":[1]}"#,
    ))
    .unwrap();
    assert_eq!(
        header.metadata.created_at,
        "2025-01-02T02:04:05.5Z".parse().unwrap()
    );
}

#[test]
fn metadata_length_is_bounded_before_reading() {
    let archive = write(Compression::None, Enc::None, SMALL_CHUNK, b"");
    let mut huge = archive[..13].to_vec();
    huge.extend_from_slice(&u32::MAX.to_be_bytes());
    let err = parse(&huge).unwrap_err();
    assert!(matches!(err, ArchiveError::HeaderDamaged { .. }), "{err:?}");
    assert!(
        err.to_string().contains("over the 65536-byte limit"),
        "{err}"
    );
    // Exactly 64 KiB is allowed.
    let mut json = br#"{"created_at":"2025-01-02T03:04:05Z","job_name":""#.to_vec();
    json.resize(65536 - 2, b'a');
    json.extend_from_slice(br#""}"#);
    assert_eq!(
        parse(&with_metadata(&json))
            .unwrap()
            .metadata
            .job_name
            .unwrap()
            .len(),
        65536 - 51
    );
}

#[test]
fn unknown_header_values_are_damage() {
    let archive = write(Compression::None, Enc::None, SMALL_CHUNK, b"");
    for (offset, value) in [(10usize, 2u8), (12, 3)] {
        let len = header_len(&archive);
        let mut header = archive[..len - 32].to_vec();
        header[offset] = value;
        let checksum = Sha256::digest(&header);
        header.extend_from_slice(&checksum);
        let err = parse(&header).unwrap_err();
        assert!(
            matches!(err, ArchiveError::HeaderDamaged { .. }),
            "{offset}: {err:?}"
        );
    }
}

#[test]
fn a_hostile_chunk_size_is_refused() {
    let archive = write(Compression::None, Enc::Key, SMALL_CHUNK, b"");
    let len = header_len(&archive);
    // Key profile: key id at 13, archive salt at 17, nonce prefix at 49, chunk size at 56.
    for size in [0u32, 1023, 16 * 1024 * 1024 + 1, u32::MAX] {
        let mut header = archive[..len - 32].to_vec();
        header[56..60].copy_from_slice(&size.to_be_bytes());
        let checksum = Sha256::digest(&header);
        header.extend_from_slice(&checksum);
        let err = parse(&header).unwrap_err();
        assert!(
            matches!(err, ArchiveError::HeaderDamaged { .. }),
            "{size}: {err:?}"
        );
    }
}

/// A reader that hands out one byte at a time, like a slow socket.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

#[test]
fn short_reads_are_handled() {
    let input = data(10_000);
    for (compression, enc) in ALL_MODES {
        let archive = write(compression, enc, SMALL_CHUNK, &input);
        let reader =
            dbackup_archive::ArchiveReader::open(Trickle(&archive), &right_keys()).unwrap();
        let mut out = Vec::new();
        reader.copy_to(&mut out, 2).unwrap();
        assert_eq!(out, input, "{compression:?}/{enc:?}");
    }
}

fn valid_headers() -> Vec<Vec<u8>> {
    ALL_MODES
        .iter()
        .map(|&(compression, enc)| {
            let archive = write(compression, enc, SMALL_CHUNK, b"");
            archive[..header_len(&archive)].to_vec()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn read_header_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn read_header_never_panics_after_a_valid_magic(tail in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[0, 1]);
        bytes.extend_from_slice(&tail);
        let _ = parse(&bytes);
    }

    /// Random edits with the checksum recomputed reach the field validation that
    /// plain bit flips never get past.
    #[test]
    fn read_header_never_panics_on_forged_headers(
        which in 0usize..6,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let header = &valid_headers()[which];
        let mut forged = header[..header.len() - 32].to_vec();
        for (at, value) in edits {
            let at = 10 + at.index(forged.len() - 10);
            forged[at] = value;
        }
        let checksum = Sha256::digest(&forged);
        forged.extend_from_slice(&checksum);
        let _ = parse(&forged);
        let _ = parse(&forged[..cut.index(forged.len())]);
    }
}

#[test]
fn field_offsets_are_as_documented() {
    let r = randomness();
    let key_archive = write(Compression::None, Enc::Key, SMALL_CHUNK, b"");
    let pass_archive = write(Compression::None, Enc::Passphrase, SMALL_CHUNK, b"");
    let none_archive = write(Compression::None, Enc::None, SMALL_CHUNK, b"");
    let key_check = |archive: &[u8]| match parse(archive).unwrap().encryption {
        EncryptionInfo::KeyProfile { stream, .. } | EncryptionInfo::Passphrase { stream, .. } => {
            stream.key_check
        }
        EncryptionInfo::None => panic!("not encrypted"),
    };
    let u32_at = |a: &[u8], at: usize| u32::from_be_bytes(a[at..at + 4].try_into().unwrap());

    let a = &key_archive;
    assert_eq!(a[13..17], key().id().0);
    assert_eq!(a[17..49], r.archive_salt);
    assert_eq!(a[49..56], r.nonce_prefix);
    assert_eq!(u32_at(a, 56), SMALL_CHUNK);
    assert_eq!(a[60..92], key_check(a));
    assert_eq!(u32_at(a, 92), 62);
    assert_eq!(a[96], b'{');

    let a = &pass_archive;
    assert_eq!(
        (u32_at(a, 13), u32_at(a, 17), u32_at(a, 21)),
        (
            LIGHT_ARGON.memory_kib,
            LIGHT_ARGON.iterations,
            LIGHT_ARGON.parallelism
        )
    );
    assert_eq!(a[25..41], r.argon_salt);
    assert_eq!(a[41..73], r.archive_salt);
    assert_eq!(a[73..80], r.nonce_prefix);
    assert_eq!(u32_at(a, 80), SMALL_CHUNK);
    assert_eq!(a[84..116], key_check(a));
    assert_eq!(u32_at(a, 116), 62);
    assert_eq!(a[120], b'{');

    let a = &none_archive;
    assert_eq!(u32_at(a, 13), 62);
    assert_eq!(a[17], b'{');
}

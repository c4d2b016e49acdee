//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;

use dbackup_archive::{
    ArchiveError, ArchiveMetadata, ArchiveReader, ArchiveWriter, Argon2Params, Compression,
    CopyError, EncryptionSetting, Key, KeyLookup, KeySet, Passphrase, Randomness, WriterSettings,
};

pub const SMALL_CHUNK: u32 = 4096;
pub const PASSPHRASE: &str = "correct horse battery staple";

/// Cheap enough for tests; real archives use `Argon2Params::default()`.
pub const LIGHT_ARGON: Argon2Params = Argon2Params {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

pub fn key() -> Key {
    Key::from_bytes(std::array::from_fn(|i| i as u8))
}

pub fn other_key() -> Key {
    Key::from_bytes([0x55; 32])
}

pub fn randomness() -> Randomness {
    Randomness {
        archive_salt: std::array::from_fn(|i| 0xa0 + i as u8),
        nonce_prefix: std::array::from_fn(|i| 0xc0 + i as u8),
        argon_salt: std::array::from_fn(|i| 0xd0 + i as u8),
    }
}

pub fn metadata() -> ArchiveMetadata {
    let mut metadata = ArchiveMetadata::new("2025-01-02T03:04:05Z".parse().unwrap());
    metadata.source_kind = Some("database".to_owned());
    metadata
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    None,
    Key,
    Passphrase,
}

pub const ALL_MODES: [(Compression, Enc); 6] = [
    (Compression::None, Enc::None),
    (Compression::None, Enc::Key),
    (Compression::None, Enc::Passphrase),
    (Compression::Zstd, Enc::None),
    (Compression::Zstd, Enc::Key),
    (Compression::Zstd, Enc::Passphrase),
];

pub fn settings(compression: Compression, enc: Enc, chunk_size: u32) -> WriterSettings {
    let encryption = match enc {
        Enc::None => EncryptionSetting::None,
        Enc::Key => EncryptionSetting::KeyProfile(key()),
        Enc::Passphrase => EncryptionSetting::Passphrase {
            passphrase: Passphrase::from(PASSPHRASE),
            params: LIGHT_ARGON,
        },
    };
    let mut settings = WriterSettings::new(encryption, metadata());
    settings.compression = compression;
    settings.chunk_size = chunk_size;
    settings.workers = 0;
    settings
}

pub fn write_with(settings: WriterSettings, data: &[u8]) -> Vec<u8> {
    let mut writer = ArchiveWriter::new(Vec::new(), settings, &randomness()).unwrap();
    // Uneven writes, so chunk boundaries never line up with write calls by accident.
    for piece in data.chunks(1000) {
        writer.write_all(piece).unwrap();
    }
    writer.finish().unwrap()
}

pub fn write(compression: Compression, enc: Enc, chunk_size: u32, data: &[u8]) -> Vec<u8> {
    write_with(settings(compression, enc, chunk_size), data)
}

pub fn right_keys() -> KeySet {
    KeySet::new()
        .with_key(key())
        .with_passphrase(Passphrase::from(PASSPHRASE))
}

/// Reads with one decoding thread and with three, and checks both agree.
pub fn read_with(archive: &[u8], keys: &dyn KeyLookup) -> Result<Vec<u8>, ArchiveError> {
    let one = read_threads(archive, keys, 1);
    let three = read_threads(archive, keys, 3);
    match (&one, &three) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "one and three decoding threads disagree"),
        (Err(a), Err(b)) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "one thread: {a:?}, three: {b:?}"
        ),
        _ => panic!("one thread: {one:?}, three: {three:?}"),
    }
    three
}

pub fn read_threads(
    archive: &[u8],
    keys: &dyn KeyLookup,
    threads: usize,
) -> Result<Vec<u8>, ArchiveError> {
    let reader = ArchiveReader::open(archive, keys)?;
    let mut out = Vec::new();
    match reader.copy_to(&mut out, threads) {
        Ok(n) => {
            assert_eq!(n, out.len() as u64);
            Ok(out)
        }
        Err(CopyError::Archive(e)) => Err(e),
        Err(CopyError::Output(e)) => panic!("writing to a Vec failed: {e}"),
    }
}

pub fn read(archive: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    read_with(archive, &right_keys())
}

/// Deterministic, poorly compressible bytes.
pub fn data(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

pub fn header_len(archive: &[u8]) -> usize {
    let mut cursor = archive;
    dbackup_archive::read_header(&mut cursor).unwrap().len as usize
}

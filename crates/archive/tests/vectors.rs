#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The test vectors in docs/FORMAT.md, checked three ways: this crate's writer
//! must produce them byte for byte, this crate's reader must read them, and a
//! small decoder written here from FORMAT.md alone (on the bare primitives) must
//! read them too and agree on every intermediate value the document lists.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit};
use common::*;
use dbackup_archive::Compression;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

const FORMAT_MD: &str = include_str!("../../../docs/FORMAT.md");

struct Vector {
    name: &'static str,
    compression: Compression,
    enc: Enc,
    chunk_size: u32,
    plaintext: Vec<u8>,
    /// zstd's output may change between zstd releases, so only the header of a
    /// compressed vector is compared byte for byte; its body is only decoded.
    body_is_exact: bool,
}

fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            name: "plain",
            compression: Compression::None,
            enc: Enc::None,
            chunk_size: 1024,
            plaintext: b"hello, archive".to_vec(),
            body_is_exact: true,
        },
        Vector {
            name: "zstd",
            compression: Compression::Zstd,
            enc: Enc::None,
            chunk_size: 1024,
            plaintext: b"hello, archive".to_vec(),
            body_is_exact: false,
        },
        Vector {
            name: "key-profile-empty",
            compression: Compression::None,
            enc: Enc::Key,
            chunk_size: 1024,
            plaintext: Vec::new(),
            body_is_exact: true,
        },
        Vector {
            name: "key-profile",
            compression: Compression::None,
            enc: Enc::Key,
            chunk_size: 1024,
            plaintext: (0..1030u32).map(|i| (i % 256) as u8).collect(),
            body_is_exact: true,
        },
        Vector {
            name: "passphrase",
            compression: Compression::None,
            enc: Enc::Passphrase,
            chunk_size: 1024,
            plaintext: b"hello, archive".to_vec(),
            body_is_exact: true,
        },
    ]
}

fn build(vector: &Vector) -> Vec<u8> {
    let mut settings = settings(vector.compression, vector.enc, vector.chunk_size);
    settings.level = 3;
    write_with(settings, &vector.plaintext)
}

/// What the independent decoder found, with the intermediate values FORMAT.md lists.
struct Decoded {
    plaintext: Vec<u8>,
    values: BTreeMap<String, String>,
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// A decoder following FORMAT.md step by step, sharing no code with the crate.
fn decode_per_spec(archive: &[u8]) -> Decoded {
    let mut values = BTreeMap::new();
    assert_eq!(&archive[..8], b"DBACKUP\x1a");
    let version = u16::from_be_bytes([archive[8], archive[9]]);
    assert!(version == 1 || version == 2, "version {version}");
    let compression = archive[10];
    let scheme = archive[12];
    let mut at = 13;
    let mut ikm = None;
    match scheme {
        0 => {}
        1 => {
            let id = &archive[at..at + 4];
            let key: [u8; 32] = std::array::from_fn(|i| i as u8);
            assert_eq!(id, &Sha256::digest(key)[..4]);
            values.insert("key id".into(), hex::encode(id));
            ikm = Some(key);
            at += 4;
        }
        2 => {
            let (m, t, p) = (
                be32(archive, at),
                be32(archive, at + 4),
                be32(archive, at + 8),
            );
            let salt = &archive[at + 12..at + 28];
            let params = argon2::Params::new(m, t, p, Some(32)).unwrap();
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut out = [0u8; 32];
            argon
                .hash_password_into(PASSPHRASE.as_bytes(), salt, &mut out)
                .unwrap();
            values.insert("argon2id output (IKM)".into(), hex::encode(out));
            ikm = Some(out);
            at += 28;
        }
        other => panic!("scheme {other}"),
    }
    let mut stream = None;
    if scheme != 0 {
        let salt = archive[at..at + 32].to_vec();
        let prefix = archive[at + 32..at + 39].to_vec();
        let chunk_size = be32(archive, at + 39) as usize;
        let key_check = archive[at + 43..at + 75].to_vec();
        stream = Some((salt, prefix, chunk_size, key_check));
        at += 75;
    }
    let metadata_len = be32(archive, at) as usize;
    at += 4 + metadata_len;
    let checksum = Sha256::digest(&archive[..at]);
    assert_eq!(&archive[at..at + 32], &checksum[..]);
    values.insert("header checksum (AAD)".into(), hex::encode(checksum));
    at += 32;

    let mut payload = Vec::new();
    match (stream, ikm) {
        (None, _) => payload.extend_from_slice(&archive[at..]),
        (Some((salt, prefix, chunk_size, key_check)), Some(ikm)) => {
            let hkdf = Hkdf::<Sha256>::new(Some(&salt), &ikm);
            let mut data_key = [0u8; 32];
            hkdf.expand(b"dbackup archive v1 data key", &mut data_key)
                .unwrap();
            let mut check = [0u8; 32];
            hkdf.expand(b"dbackup archive v1 key check", &mut check)
                .unwrap();
            assert_eq!(check.to_vec(), key_check);
            values.insert("data key".into(), hex::encode(data_key));
            values.insert("key check".into(), hex::encode(check));
            let cipher = Aes256Gcm::new(&data_key.into());
            let mut index = 0u32;
            loop {
                let word = be32(archive, at);
                let last = word & 0x8000_0000 != 0;
                let n = (word & 0x7fff_ffff) as usize;
                assert!(if last {
                    n <= chunk_size
                } else {
                    n == chunk_size
                });
                let mut nonce = prefix.clone();
                nonce.extend_from_slice(&index.to_be_bytes());
                nonce.push(u8::from(last));
                values.insert(format!("nonce of chunk {index}"), hex::encode(&nonce));
                let mut body = archive[at + 4..at + 4 + n].to_vec();
                let tag = &archive[at + 4 + n..at + 4 + n + 16];
                cipher
                    .decrypt_in_place_detached(nonce[..].into(), &checksum, &mut body, tag.into())
                    .unwrap();
                payload.extend_from_slice(&body);
                at += 4 + n + 16;
                index += 1;
                if last {
                    assert_eq!(at, archive.len(), "trailing data");
                    break;
                }
            }
        }
        (Some(_), None) => unreachable!(),
    }
    let plaintext = match (compression, version) {
        (1, 1) => {
            // Exactly one frame.
            let len = zstd::zstd_safe::find_frame_compressed_size(&payload).unwrap();
            assert_eq!(len, payload.len(), "one frame and nothing after it");
            zstd::decode_all(&payload[..]).unwrap()
        }
        (1, _) => {
            // Frames, then the end mark: a skippable frame (magic 0x184D2A5E, 16
            // bytes) with the source bytes and the number of frames, big-endian.
            let (frames, end) = payload.split_at(payload.len() - 24);
            assert_eq!(&end[..8], &[0x5e, 0x2a, 0x4d, 0x18, 16, 0, 0, 0]);
            let source_bytes = u64::from_be_bytes(end[8..16].try_into().unwrap());
            let frame_count = u64::from_be_bytes(end[16..24].try_into().unwrap());
            let mut plaintext = Vec::new();
            let mut rest = frames;
            let mut counted = 0;
            while !rest.is_empty() {
                let len = zstd::zstd_safe::find_frame_compressed_size(rest).unwrap();
                plaintext.extend(zstd::decode_all(&rest[..len]).unwrap());
                rest = &rest[len..];
                counted += 1;
            }
            assert_eq!(
                (plaintext.len() as u64, counted),
                (source_bytes, frame_count)
            );
            values.insert("frames".into(), frame_count.to_string());
            plaintext
        }
        _ => payload,
    };
    values.insert(
        "plaintext SHA-256".into(),
        hex::encode(Sha256::digest(&plaintext)),
    );
    Decoded { plaintext, values }
}

/// The fenced block that follows `<!-- vector NAME -->` in FORMAT.md.
fn doc_block(name: &str) -> &'static str {
    let marker = format!("<!-- vector {name} -->");
    let start = FORMAT_MD
        .find(&marker)
        .unwrap_or_else(|| panic!("FORMAT.md has no {marker}"));
    let rest = &FORMAT_MD[start + marker.len()..];
    let open = rest.find("```text\n").unwrap() + "```text\n".len();
    let close = rest[open..].find("```").unwrap();
    &rest[open..open + close]
}

fn doc_hex(name: &str) -> Vec<u8> {
    let text: String = doc_block(name).split_whitespace().collect();
    hex::decode(text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn doc_values(name: &str) -> BTreeMap<String, String> {
    doc_block(name)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(label, value)| (label.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

#[test]
fn the_documented_vectors_match_the_code() {
    for vector in vectors() {
        let documented = doc_hex(&format!("{}/archive", vector.name));
        let built = build(&vector);
        let header_len = header_len(&built);
        if vector.body_is_exact {
            assert_eq!(
                hex::encode(&built),
                hex::encode(&documented),
                "{}",
                vector.name
            );
        } else {
            assert_eq!(
                hex::encode(&built[..header_len]),
                hex::encode(&documented[..header_len])
            );
        }
        assert_eq!(
            read(&documented).unwrap(),
            vector.plaintext,
            "{}",
            vector.name
        );

        let decoded = decode_per_spec(&documented);
        assert_eq!(decoded.plaintext, vector.plaintext, "{}", vector.name);
        let listed = doc_values(&format!("{}/values", vector.name));
        assert!(!listed.is_empty());
        for (label, value) in &listed {
            assert_eq!(
                decoded.values.get(label),
                Some(value),
                "{}: {label}",
                vector.name
            );
        }
        assert_eq!(
            listed.len(),
            decoded.values.len(),
            "{}: values listed",
            vector.name
        );
    }
}

/// Version 1 wrote a zstd payload as one frame with no end mark: still read.
#[test]
fn a_version_1_archive_still_reads() {
    let archive = doc_hex("zstd-v1/archive");
    assert_eq!(&archive[8..10], &[0, 1]);
    assert_eq!(read(&archive).unwrap(), b"hello, archive");
    let decoded = decode_per_spec(&archive);
    assert_eq!(decoded.plaintext, b"hello, archive");
    for (label, value) in doc_values("zstd-v1/values") {
        assert_eq!(decoded.values.get(&label), Some(&value), "{label}");
    }
}

/// The decoder written from FORMAT.md agrees with the crate on an archive of
/// many frames (too long to print as a vector).
#[test]
fn the_spec_decoder_reads_many_frames() {
    let input: Vec<u8> = (0..9 * 1024 * 1024 + 4321u32)
        .map(|i| (i % 251) as u8 ^ (i >> 13) as u8)
        .collect();
    for enc in [Enc::None, Enc::Key] {
        let mut settings = settings(Compression::Zstd, enc, 1024 * 1024);
        settings.workers = 3;
        let archive = write_with(settings, &input);
        let decoded = decode_per_spec(&archive);
        assert_eq!(decoded.values.get("frames").map(String::as_str), Some("3"));
        assert!(decoded.plaintext == input, "{enc:?}");
        assert!(read(&archive).unwrap() == input, "{enc:?}");
    }
}

#[test]
fn the_documented_metadata_is_what_the_writer_emits() {
    let json = serde_json::to_string(&metadata()).unwrap();
    assert_eq!(
        json,
        r#"{"created_at":"2025-01-02T03:04:05Z","source_kind":"database"}"#
    );
    assert!(FORMAT_MD.contains(&format!("`{json}`")));
    assert!(FORMAT_MD.contains(&format!("exactly ({} bytes)", json.len())));
}

/// Prints the test-vector section of FORMAT.md: run with
/// `cargo test -p dbackup-archive --test vectors -- --ignored --nocapture`
/// after a deliberate format change, and paste the output.
#[test]
#[ignore]
fn print_vectors() {
    let mut out = String::new();
    for vector in vectors() {
        let built = build(&vector);
        let decoded = decode_per_spec(&built);
        writeln!(out, "<!-- vector {}/values -->\n```text", vector.name).unwrap();
        for (label, value) in &decoded.values {
            writeln!(out, "{label}: {value}").unwrap();
        }
        writeln!(
            out,
            "```\n\n<!-- vector {}/archive -->\n```text",
            vector.name
        )
        .unwrap();
        for line in built.chunks(32) {
            writeln!(out, "{}", hex::encode(line)).unwrap();
        }
        writeln!(out, "```\n").unwrap();
    }
    println!("{out}");
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The test vectors in docs/FORMAT.md, checked three ways: this crate's writer
//! must produce them byte for byte, this crate's reader must read them, and a
//! small decoder written here from FORMAT.md alone (on the bare primitives) must
//! read them too and agree on every intermediate value the document lists. The
//! rejection vectors are built from the document's own edit instructions and the
//! reader must report exactly the error the document names.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit};
use common::*;
use dbackup_archive::{
    read_header, ArchiveError, Argon2Param, Compression, Key, KeySet, Passphrase,
};
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

/// The recovery kit of FORMAT.md, read by the document's rule, holds the vectors'
/// key, and that key opens the archives the document says it opens. (The kit is
/// written and parsed by crates/engine; this checks the document's side.)
#[test]
fn the_recovery_kit_vector_opens_its_archives() {
    let kit = doc_block("recovery-kit/file");
    let values = doc_values("recovery-kit/values");
    assert_eq!(
        hex::encode(Sha256::digest(kit.as_bytes())),
        values["kit SHA-256"]
    );
    let key = dbackup_archive::parse_key_file(kit).expect("the kit holds a key");
    assert_eq!(hex::encode(key.expose()), values["key"]);
    assert_eq!(key.id().to_string(), values["key id"]);
    assert!(
        kit.contains(&format!("\nKey ID:   {}\n", key.id())),
        "{kit}"
    );

    let layout = doc_block("recovery-kit/layout")
        .replace("NAME", "vectors")
        .replace("KEYID", &values["key id"])
        .replace("CREATED", "2025-01-02T03:04:05Z")
        .replace("KEYHEX", &values["key"]);
    assert_eq!(layout, kit, "the kit vector follows the documented layout");

    let opens: Vec<&str> = values["opens"].split(", ").collect();
    assert_eq!(opens, ["key-profile-empty", "key-profile"]);
    for name in opens {
        let archive = doc_hex(&format!("{name}/archive"));
        let header = read_header(&mut &archive[..]).unwrap();
        assert_eq!(header.key_id(), Some(key.id()), "{name}");
        let plaintext = read_with(&archive, &KeySet::new().with_key(key.clone())).unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(&plaintext)),
            doc_values(&format!("{name}/values"))["plaintext SHA-256"],
            "{name}"
        );
    }
}

/// FORMAT.md, Recovery kits and key files: the first run of exactly 64 ASCII hex
/// digits, runs being cut at every other character.
/// The key-file examples agree with the parser DBackup runs (crates/engine reads kits
/// through it).
#[test]
fn the_key_file_examples_follow_the_documented_rule() {
    let mut refused = 0;
    for line in doc_block("key-files").lines() {
        let (text, expected) = line.rsplit_once(" => ").unwrap();
        let text: String = serde_json::from_str(text).unwrap();
        let found = dbackup_archive::parse_key_file(&text).map(|key| hex::encode(key.expose()));
        if expected == "no key" {
            refused += 1;
            assert_eq!(found, None, "{line}");
        } else {
            assert_eq!(found.as_deref(), Some(expected), "{line}");
        }
    }
    assert!(refused >= 3, "the examples show what is refused");
}

/// One row of the rejection-vector table of FORMAT.md.
struct Rejection {
    row: String,
    from: String,
    edits: String,
    expected: String,
}

fn rejections() -> Vec<Rejection> {
    let marker = "<!-- rejections -->";
    let start = FORMAT_MD
        .find(marker)
        .expect("FORMAT.md lists rejection vectors")
        + marker.len();
    FORMAT_MD[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 7, "{line}");
            Rejection {
                row: cells[1].to_owned(),
                from: cells[2].trim_matches('`').to_owned(),
                edits: cells[3].trim_matches('`').to_owned(),
                expected: cells[5].to_owned(),
            }
        })
        .collect()
}

fn number(text: &str) -> usize {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a number: {e}"))
}

fn hex_arg(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("{text:?} is not hex: {e}"))
}

/// Applies the edits of one row, as FORMAT.md defines them; returns the object
/// and the keys to open it with.
fn build_rejection(rejection: &Rejection) -> (Vec<u8>, KeySet) {
    let mut object = doc_hex(&format!("{}/archive", rejection.from));
    let mut keys = right_keys();
    for edit in rejection.edits.split("; ") {
        let (op, rest) = edit.split_once(' ').unwrap_or((edit, ""));
        let args: Vec<&str> = rest.split_whitespace().collect();
        match (op, args.as_slice()) {
            ("cut", [n]) => object.truncate(number(n)),
            ("xor", [n, byte]) => object[number(n)] ^= hex_arg(byte)[0],
            ("put", [n, bytes]) => {
                let (at, bytes) = (number(n), hex_arg(bytes));
                object[at..at + bytes.len()].copy_from_slice(&bytes);
            }
            ("insert", [n, bytes]) => {
                let at = number(n);
                object.splice(at..at, hex_arg(bytes));
            }
            ("delete", [n, m]) => {
                object.drain(number(n)..number(m));
            }
            ("append", [bytes]) => object.extend(hex_arg(bytes)),
            ("swap", [n, m, e]) => object[number(n)..number(e)].rotate_left(number(m) - number(n)),
            ("rehash", [h]) => {
                let h = number(h);
                let checksum = Sha256::digest(&object[..h - 32]);
                object[h - 32..h].copy_from_slice(&checksum);
            }
            ("encrypt", [h, payload]) => {
                object = encrypt_per_spec(&object, number(h), &hex_arg(payload))
            }
            ("keys", ["none"]) => keys = KeySet::new(),
            ("key", [bytes]) => {
                let bytes: [u8; 32] = hex_arg(bytes).try_into().unwrap();
                keys = KeySet::new().with_key(Key::from_bytes(bytes));
            }
            ("passphrase", _) => keys = KeySet::new().with_passphrase(Passphrase::from(rest)),
            _ => panic!("row {}: unknown edit {edit:?}", rejection.row),
        }
    }
    (object, keys)
}

/// FORMAT.md, Encrypted body, from the bare primitives: `payload` as the body of a
/// key-profile archive whose header is `archive[..header_len]`, cut as DBackup's
/// writer cuts it (the final chunk is full when the payload is a multiple of `C`).
fn encrypt_per_spec(archive: &[u8], header_len: usize, payload: &[u8]) -> Vec<u8> {
    let chunk_size = be32(archive, 56) as usize;
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[]]
    } else {
        payload.chunks(chunk_size).collect()
    };
    encrypt_chunks_per_spec(archive, header_len, &chunks)
}

/// The body of `chunks`, the last one final, under a key-profile header.
fn encrypt_chunks_per_spec(archive: &[u8], header_len: usize, chunks: &[&[u8]]) -> Vec<u8> {
    assert_eq!(archive[12], 1, "encrypt needs a key-profile header");
    let (salt, prefix) = (&archive[17..49], &archive[49..56]);
    let aad = &archive[header_len - 32..header_len];
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let mut data_key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(salt), &key)
        .expand(b"dbackup archive v1 data key", &mut data_key)
        .unwrap();
    let cipher = Aes256Gcm::new(&data_key.into());
    let mut out = archive[..header_len].to_vec();
    for (index, chunk) in chunks.iter().enumerate() {
        let last = index + 1 == chunks.len();
        let length = chunk.len() as u32 | if last { 0x8000_0000 } else { 0 };
        let mut nonce = prefix.to_vec();
        nonce.extend_from_slice(&(index as u32).to_be_bytes());
        nonce.push(u8::from(last));
        let mut body = chunk.to_vec();
        let tag = cipher
            .encrypt_in_place_detached(nonce[..].into(), aad, &mut body)
            .unwrap();
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
    }
    out
}

/// FORMAT.md, Encrypted body: DBackup's writer makes the last full chunk final,
/// but a reader MUST also accept an empty final chunk after full ones.
#[test]
fn an_empty_final_chunk_after_full_ones_is_accepted() {
    let base = doc_hex("key-profile-empty/archive");
    let full: Vec<u8> = (0..2048u32).map(|i| (i % 251) as u8).collect();
    let (first, second) = full.split_at(1024);
    let archive = encrypt_chunks_per_spec(&base, 190, &[first, second, &[]]);
    assert_eq!(archive.len(), 190 + 2 * (4 + 1024 + 16) + 20);
    assert!(read(&archive).unwrap() == full);
}

/// What the last column of a row demands.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Reads(Vec<u8>),
    NotAnArchive,
    UnsupportedVersion(u16),
    HeaderDamaged,
    AboveCap(Argon2Param, u32, u32),
    Argon2Invalid,
    NoKey(String),
    PassphraseRequired,
    WrongKey,
    Corrupted(u64),
    Truncated(u64),
    TrailingData,
    Decompression,
}

impl Outcome {
    fn parse(text: &str) -> Self {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["reads", ..] => {
                let json = text.strip_prefix("reads ").unwrap();
                let source: String = serde_json::from_str(json).unwrap();
                Outcome::Reads(source.into_bytes())
            }
            ["not", "an", "archive"] => Outcome::NotAnArchive,
            ["unsupported", "version", n] => Outcome::UnsupportedVersion(n.parse().unwrap()),
            ["header", "damaged"] => Outcome::HeaderDamaged,
            ["above", "the", "cap:", parameter, value, ">", cap] => Outcome::AboveCap(
                match *parameter {
                    "memory" => Argon2Param::Memory,
                    "iterations" => Argon2Param::Iterations,
                    "lanes" => Argon2Param::Lanes,
                    other => panic!("unknown Argon2id parameter {other}"),
                },
                value.parse().unwrap(),
                cap.parse().unwrap(),
            ),
            ["Argon2id", "parameters", "invalid"] => Outcome::Argon2Invalid,
            ["no", "key", id] => Outcome::NoKey((*id).to_owned()),
            ["passphrase", "required"] => Outcome::PassphraseRequired,
            ["wrong", "key"] => Outcome::WrongKey,
            ["corrupted", "at", "chunk", n] => Outcome::Corrupted(n.parse().unwrap()),
            ["truncated", "after", n, "chunks"] => Outcome::Truncated(n.parse().unwrap()),
            ["trailing", "data"] => Outcome::TrailingData,
            ["decompression"] => Outcome::Decompression,
            _ => panic!("FORMAT.md names an outcome this test does not know: {text:?}"),
        }
    }

    fn of(result: Result<Vec<u8>, ArchiveError>) -> Self {
        match result {
            Ok(source) => Outcome::Reads(source),
            Err(ArchiveError::NotAnArchive) => Outcome::NotAnArchive,
            Err(ArchiveError::UnsupportedVersion { found, supported }) => {
                assert_eq!(supported, 2);
                Outcome::UnsupportedVersion(found)
            }
            Err(ArchiveError::HeaderDamaged { .. }) => Outcome::HeaderDamaged,
            Err(ArchiveError::Argon2ParamAboveCap {
                parameter,
                value,
                cap,
            }) => Outcome::AboveCap(parameter, value, cap),
            Err(ArchiveError::Argon2ParamsOutOfRange { .. }) => Outcome::Argon2Invalid,
            Err(ArchiveError::NoKey { key_id }) => Outcome::NoKey(key_id.to_string()),
            Err(ArchiveError::PassphraseRequired) => Outcome::PassphraseRequired,
            Err(ArchiveError::WrongKey) => Outcome::WrongKey,
            Err(ArchiveError::Corrupted { chunk }) => Outcome::Corrupted(chunk),
            Err(ArchiveError::Truncated { complete_chunks }) => Outcome::Truncated(complete_chunks),
            Err(ArchiveError::TrailingData) => Outcome::TrailingData,
            Err(ArchiveError::Decompression { .. }) => Outcome::Decompression,
            Err(other) => panic!("an error no rejection vector names: {other:?}"),
        }
    }

    /// Decided by the header alone, before any key is looked for.
    fn is_header_error(&self) -> bool {
        matches!(
            self,
            Outcome::NotAnArchive
                | Outcome::UnsupportedVersion(_)
                | Outcome::HeaderDamaged
                | Outcome::AboveCap(..)
                | Outcome::Argon2Invalid
        )
    }
}

#[test]
fn every_rejection_vector_gets_the_documented_outcome() {
    let rows = rejections();
    let mut failures = Vec::new();
    for (index, rejection) in rows.iter().enumerate() {
        assert_eq!(rejection.row, (index + 1).to_string(), "rows are numbered");
        let expected = Outcome::parse(&rejection.expected);
        let (object, keys) = build_rejection(rejection);
        if expected.is_header_error() {
            // Checked on the header first: were a cap missing, reading would
            // run Argon2id with whatever the forged header asks.
            let header = match read_header(&mut &object[..]) {
                Ok(_) => "accepted".to_owned(),
                Err(e) => format!("{:?}", Outcome::of(Err(e))),
            };
            if header != format!("{expected:?}") {
                failures.push(format!(
                    "row {}: reading the header gives {header}, FORMAT.md says {expected:?}",
                    rejection.row
                ));
                continue;
            }
        }
        let found = Outcome::of(read_with(&object, &keys));
        if found != expected {
            failures.push(format!(
                "row {} ({} / {}): the reader gives {found:?}, FORMAT.md says {expected:?}",
                rejection.row, rejection.from, rejection.edits
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every error a reader can report, and acceptance, has at least one vector, so
/// a rule dropped from the table (or the reader) is noticed.
#[test]
fn the_rejection_vectors_cover_every_outcome() {
    let kinds: BTreeSet<String> = rejections()
        .iter()
        .map(|r| match Outcome::parse(&r.expected) {
            Outcome::AboveCap(parameter, ..) => format!("AboveCap({parameter:?})"),
            other => format!("{other:?}")
                .split(['(', ' '])
                .next()
                .unwrap()
                .to_owned(),
        })
        .collect();
    let all = [
        "Reads",
        "NotAnArchive",
        "UnsupportedVersion",
        "HeaderDamaged",
        "AboveCap(Memory)",
        "AboveCap(Iterations)",
        "AboveCap(Lanes)",
        "Argon2Invalid",
        "NoKey",
        "PassphraseRequired",
        "WrongKey",
        "Corrupted",
        "Truncated",
        "TrailingData",
        "Decompression",
    ];
    assert_eq!(kinds, all.iter().map(|k| (*k).to_owned()).collect());
}

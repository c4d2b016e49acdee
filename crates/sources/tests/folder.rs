#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Folder sources on a real filesystem: back up, restore, and compare trees exactly.

use std::collections::BTreeMap;
use std::fs::{self, File, FileTimes};
use std::io::{self, Read};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use dbackup_sources::folder::{
    check, list_tar, open_tar_stream, restore_tar, ArchivedEntry, ArchivedKind, BackupSummary,
    FolderError, FolderSpec, RestoreOptions,
};
use tar::{Builder, EntryType, Header};

fn spec(root: &Path, include: &[&str], exclude: &[&str]) -> FolderSpec {
    FolderSpec {
        root: root.to_path_buf(),
        include: include.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
    }
}

fn backup(spec: &FolderSpec) -> (Vec<u8>, BackupSummary) {
    let mut stream = open_tar_stream(spec).unwrap();
    assert!(stream.summary().is_none(), "summary before the end");
    let mut tar = Vec::new();
    stream.read_to_end(&mut tar).unwrap();
    (tar, stream.summary().cloned().unwrap())
}

fn list(tar: &[u8]) -> Vec<ArchivedEntry> {
    let mut entries = Vec::new();
    list_tar(tar, |e| entries.push(e)).unwrap();
    entries
}

fn names(tar: &[u8]) -> Vec<String> {
    list(tar)
        .into_iter()
        .map(|e| e.path.to_string_lossy().into_owned())
        .collect()
}

fn write(path: &Path, content: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn set_mtime(path: &Path, secs: u64) {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    File::open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(time))
        .unwrap();
}

#[derive(Debug, PartialEq)]
enum Node {
    File {
        mode: u32,
        mtime: i64,
        content: Vec<u8>,
    },
    Dir {
        mode: u32,
        mtime: i64,
    },
    Symlink {
        target: PathBuf,
        mtime: i64,
    },
}

/// Everything below `root`, read with std alone so the check does not share the
/// implementation's walker. Times to the second: that is what tar keeps.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    fn visit(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Node>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let node = if meta.file_type().is_symlink() {
                Node::Symlink {
                    target: fs::read_link(&path).unwrap(),
                    mtime: meta.mtime(),
                }
            } else if meta.is_dir() {
                visit(root, &path, out);
                Node::Dir {
                    mode: meta.mode() & 0o7777,
                    mtime: meta.mtime(),
                }
            } else {
                Node::File {
                    mode: meta.mode() & 0o7777,
                    mtime: meta.mtime(),
                    content: fs::read(&path).unwrap(),
                }
            };
            out.insert(relative, node);
        }
    }
    let mut out = BTreeMap::new();
    visit(root, root, &mut out);
    out
}

const LONG_DIR: &str =
    "a-directory-name-that-is-long-enough-to-push-the-path-beyond-one-hundred-bytes-of-tar-header";

fn long_file_name() -> String {
    format!("{}.txt", "n".repeat(200))
}

/// Nested directories, relative symlinks (one to a directory, one dangling), an empty
/// file and directory, unicode and long names, several modes and fixed mtimes.
fn sample_tree(root: &Path) {
    write(&root.join("a/b/c/deep.txt"), b"deep down", 0o644);
    write(
        &root.join("données/été ☀.txt"),
        "soleil ☀".as_bytes(),
        0o644,
    );
    write(&root.join("secret.txt"), b"for the group only", 0o640);
    write(&root.join("run.sh"), b"#!/bin/sh\necho hi\n", 0o755);
    write(&root.join("empty"), b"", 0o600);
    let long = root.join(LONG_DIR).join(long_file_name());
    write(&long, b"long name", 0o644);
    fs::create_dir(root.join("a/empty_dir")).unwrap();
    fs::set_permissions(root.join("a/empty_dir"), fs::Permissions::from_mode(0o750)).unwrap();
    symlink("b/c/deep.txt", root.join("a/link")).unwrap();
    symlink("b", root.join("a/dirlink")).unwrap();
    symlink("nowhere/at/all", root.join("dangling")).unwrap();
    symlink(
        Path::new(LONG_DIR).join(long_file_name()),
        root.join("longlink"),
    )
    .unwrap();

    let files = [
        "a/b/c/deep.txt",
        "données/été ☀.txt",
        "secret.txt",
        "run.sh",
        "empty",
    ];
    for (i, file) in files.iter().enumerate() {
        set_mtime(&root.join(file), 1_000_000_000 + i as u64 * 1000);
    }
    set_mtime(&long, 1_100_000_000);
    // Directories last: creating their contents moved their mtimes.
    let dirs = ["a", "a/b", "a/b/c", "a/empty_dir", "données", LONG_DIR];
    for (i, dir) in dirs.iter().enumerate() {
        set_mtime(&root.join(dir), 1_200_000_000 + i as u64 * 1000);
    }
}

#[test]
fn a_tree_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    sample_tree(&src);

    let (tar, summary) = backup(&spec(&src, &[], &[]));
    assert_eq!(
        summary,
        BackupSummary {
            files: 6,
            directories: 6,
            symlinks: 4,
            bytes: (9 + "soleil ☀".len() + 18 + 18 + 9) as u64,
            skipped_special: 0,
        }
    );
    let listed = list(&tar);
    let dirlink = listed
        .iter()
        .find(|e| e.path == Path::new("a/dirlink"))
        .unwrap();
    assert_eq!(dirlink.kind, ArchivedKind::Symlink);
    assert_eq!(dirlink.link_target.as_deref(), Some(Path::new("b")));
    assert!(
        !listed
            .iter()
            .any(|e| e.path.parent().unwrap().starts_with("a/dirlink")),
        "a symlink to a directory was followed: {listed:?}"
    );

    let target = dir.path().join("restored");
    let restored = restore_tar(&tar[..], &target, RestoreOptions::default()).unwrap();
    assert_eq!(
        (
            restored.files,
            restored.directories,
            restored.symlinks,
            restored.bytes
        ),
        (
            summary.files,
            summary.directories,
            summary.symlinks,
            summary.bytes
        )
    );
    let before = snapshot(&src);
    assert_eq!(before.len(), 16);
    assert_eq!(snapshot(&target), before);

    // Spot checks that the snapshot comparison is about the right things.
    assert_eq!(
        fs::read_link(target.join("a/link")).unwrap(),
        Path::new("b/c/deep.txt")
    );
    let secret = fs::metadata(target.join("secret.txt")).unwrap();
    assert_eq!(secret.mode() & 0o7777, 0o640);
    assert_eq!(
        secret.modified().unwrap(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_002_000)
    );
    assert_eq!(
        fs::metadata(target.join("run.sh")).unwrap().mode() & 0o777,
        0o755
    );
    assert_eq!(
        fs::read_to_string(target.join("données/été ☀.txt")).unwrap(),
        "soleil ☀"
    );
}

#[test]
fn the_same_tree_gives_the_same_archive() {
    let dir = tempfile::tempdir().unwrap();
    sample_tree(dir.path());
    let spec = spec(dir.path(), &[], &[]);
    assert_eq!(backup(&spec).0, backup(&spec).0);
}

#[test]
fn setuid_and_setgid_bits_are_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write(&src.join("tool"), b"binary", 0o6755);
    let (tar, _) = backup(&spec(&src, &[], &[]));
    assert_eq!(
        list(&tar)[0].mode & 0o7777,
        0o6755,
        "the archive keeps them"
    );
    let target = dir.path().join("restored");
    restore_tar(&tar[..], &target, RestoreOptions::default()).unwrap();
    let mode = fs::metadata(target.join("tool")).unwrap().mode();
    assert_eq!(mode & 0o7777, 0o755);
}

/// Caps every read, to prove nothing depends on reads lining up with tar blocks.
struct SmallReads<R> {
    inner: R,
    max: usize,
}

impl<R: Read> Read for SmallReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.max);
        self.inner.read(&mut buf[..n])
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn a_large_tree_streams_straight_into_a_restore_through_small_reads() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for d in 0..40 {
        for f in 0..25 {
            let path = src.join(format!("dir{d:02}/file{f:02}.bin"));
            write(&path, &pattern(3000 + d * 100 + f, d as u8), 0o644);
        }
    }
    write(&src.join("big.bin"), &pattern(6 << 20, 7), 0o644);

    let stream = open_tar_stream(&spec(&src, &[], &[])).unwrap();
    fn pipeline_ready<T: Read + Send + 'static>(_: &T) {}
    pipeline_ready(&stream);
    let target = dir.path().join("restored");
    let reader = SmallReads {
        inner: stream,
        max: 1021,
    };
    let restored = restore_tar(reader, &target, RestoreOptions::default()).unwrap();
    assert_eq!(restored.files, 1001);
    assert_eq!(snapshot(&target), snapshot(&src));
}

/// Runs `f` on its own thread and fails the test if it has not finished in a minute,
/// so that a hang shows up as a failure.
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} did not finish within a minute"))
}

#[test]
fn dropping_the_stream_early_stops_the_archiver() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("big.bin"), &pattern(32 << 20, 1), 0o644);
    let mut stream = open_tar_stream(&spec(dir.path(), &[], &[])).unwrap();
    let mut first = [0u8; 1000];
    stream.read_exact(&mut first).unwrap();
    // The drop joins the archiving thread, which is blocked on a full channel: it only
    // returns if closing the channel made that thread stop.
    within_a_minute("dropping the stream", move || drop(stream));
}

fn folder_error(error: &io::Error) -> &FolderError {
    error
        .get_ref()
        .and_then(|e| e.downcast_ref::<FolderError>())
        .unwrap_or_else(|| panic!("not a FolderError: {error:?}"))
}

/// The archiver works ahead of the reader by a bounded amount only; these tests rely on
/// it: after a small read it is still inside `a.bin`, so what the test does next to the
/// tree happens before the archiver gets there.
#[test]
fn a_file_that_vanishes_mid_walk_fails_the_read_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.bin"), &pattern(16 << 20, 2), 0o644);
    write(&dir.path().join("z.txt"), b"soon gone", 0o644);
    let mut stream = open_tar_stream(&spec(dir.path(), &[], &[])).unwrap();
    let mut first = [0u8; 4096];
    stream.read_exact(&mut first).unwrap();
    fs::remove_file(dir.path().join("z.txt")).unwrap();

    let error = stream.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(error.to_string().contains("z.txt"), "{error}");
    assert!(
        matches!(folder_error(&error), FolderError::Unreadable { path, .. } if path.ends_with("z.txt"))
    );
    let again = stream.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        again.to_string().contains("z.txt"),
        "a later read ended cleanly"
    );
    assert!(stream.summary().is_none());
}

#[test]
fn a_file_that_shrinks_while_read_fails_the_read_and_the_restore() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write(&src.join("a.bin"), &pattern(16 << 20, 3), 0o644);
    write(&src.join("b.txt"), b"after", 0o644);
    let stream = open_tar_stream(&spec(&src, &[], &[])).unwrap();
    // Truncates a.bin after the restore's first read, while it is being archived.
    struct ShrinkAfterFirstRead<R> {
        inner: R,
        file: Option<PathBuf>,
    }
    impl<R: Read> Read for ShrinkAfterFirstRead<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            if let Some(file) = self.file.take() {
                File::options()
                    .write(true)
                    .open(file)
                    .unwrap()
                    .set_len(100)
                    .unwrap();
            }
            Ok(n)
        }
    }
    let reader = ShrinkAfterFirstRead {
        inner: stream,
        file: Some(src.join("a.bin")),
    };
    let target = dir.path().join("restored");
    let error = restore_tar(reader, &target, RestoreOptions::default()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("a.bin") && message.contains("changed while it was being read"),
        "{message}"
    );
    assert!(!target.join("b.txt").exists());
}

#[test]
fn fifos_and_sockets_are_skipped_without_being_opened() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write(&root.join("data.txt"), b"data", 0o644);
    let status = std::process::Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();

    // Opening the FIFO would block forever.
    let (tar, summary) =
        within_a_minute("backing up a FIFO", move || backup(&spec(&root, &[], &[])));
    assert_eq!(names(&tar), ["data.txt"]);
    assert_eq!((summary.files, summary.skipped_special), (1, 2));
}

fn filter_tree(root: &Path) {
    write(&root.join("notes.txt"), b"n", 0o644);
    write(&root.join("top.log"), b"l", 0o644);
    write(&root.join("src/main.rs"), b"fn main() {}", 0o644);
    write(&root.join("src/app.log"), b"l", 0o644);
    write(&root.join("logs/x.log"), b"l", 0o644);
    write(&root.join("docs/readme.md"), b"r", 0o644);
    fs::create_dir_all(root.join("docs/empty")).unwrap();
    write(&root.join("node_modules/pkg/index.js"), b"j", 0o644);
    fs::create_dir_all(root.join("node_modules/.bin")).unwrap();
}

#[test]
fn exclude_patterns_drop_files_and_prune_directories() {
    let dir = tempfile::tempdir().unwrap();
    filter_tree(dir.path());
    let (tar, _) = backup(&spec(dir.path(), &[], &["**/*.log", "node_modules/**"]));
    assert_eq!(
        names(&tar),
        [
            "docs",
            "docs/empty",
            "docs/readme.md",
            "logs",
            "notes.txt",
            "src",
            "src/main.rs"
        ]
    );
    let (tar, _) = backup(&spec(dir.path(), &[], &["src", "*.txt"]));
    let listed = names(&tar);
    assert!(!listed.iter().any(|n| n.starts_with("src")), "{listed:?}");
    assert!(listed.contains(&"top.log".to_string()), "{listed:?}");
    assert!(!listed.contains(&"notes.txt".to_string()), "{listed:?}");
}

#[test]
fn include_patterns_keep_matches_and_only_the_directories_leading_to_them() {
    let dir = tempfile::tempdir().unwrap();
    filter_tree(dir.path());
    let (tar, summary) = backup(&spec(dir.path(), &["docs/**", "*.txt"], &[]));
    assert_eq!(
        names(&tar),
        ["docs", "docs/empty", "docs/readme.md", "notes.txt"]
    );
    assert_eq!((summary.files, summary.directories), (2, 2));

    // A directory that matches brings everything below it; `*` stays in one name.
    let (tar, _) = backup(&spec(dir.path(), &["src", "*.log"], &[]));
    assert_eq!(
        names(&tar),
        ["src", "src/app.log", "src/main.rs", "top.log"]
    );

    // Parents of a deep match are stored, with their metadata, and exclusion wins.
    let (tar, _) = backup(&spec(dir.path(), &["**/*.js", "**/*.log"], &["logs"]));
    assert_eq!(
        names(&tar),
        [
            "node_modules",
            "node_modules/pkg",
            "node_modules/pkg/index.js",
            "src",
            "src/app.log",
            "top.log"
        ]
    );
}

#[test]
fn a_bad_pattern_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let bad = spec(dir.path(), &[], &["src/[unclosed"]);
    let error = open_tar_stream(&bad).err().unwrap();
    assert!(
        matches!(&error, FolderError::BadPattern { pattern, .. } if pattern == "src/[unclosed"),
        "{error}"
    );
    assert!(matches!(check(&bad), Err(FolderError::BadPattern { .. })));
}

#[test]
fn a_missing_root_or_a_file_as_root_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-here");
    let error = open_tar_stream(&spec(&missing, &[], &[])).err().unwrap();
    assert!(matches!(error, FolderError::RootMissing { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("not-here") && message.contains("does not exist"));

    let file = dir.path().join("file.txt");
    write(&file, b"x", 0o644);
    let error = open_tar_stream(&spec(&file, &[], &[])).err().unwrap();
    assert!(
        matches!(error, FolderError::RootNotFolder { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("file.txt"), "{error}");
    assert!(matches!(
        check(&spec(&file, &[], &[])),
        Err(FolderError::RootNotFolder { .. })
    ));
    check(&spec(dir.path(), &["**/*.txt"], &[])).unwrap();
}

fn small_archive(dir: &Path) -> Vec<u8> {
    let src = dir.join("src");
    write(&src.join("one.txt"), b"one", 0o644);
    write(&src.join("sub/two.txt"), b"two", 0o644);
    backup(&spec(&src, &[], &[])).0
}

#[test]
fn a_non_empty_target_is_refused_unless_overwrite_is_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let tar = small_archive(dir.path());
    let target = dir.path().join("target");
    write(&target.join("keep.txt"), b"mine", 0o644);
    write(&target.join("one.txt"), b"old", 0o644);

    let error = restore_tar(&tar[..], &target, RestoreOptions::default()).unwrap_err();
    assert!(
        matches!(error, FolderError::TargetNotEmpty { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("overwritten"), "{error}");
    assert_eq!(fs::read(target.join("one.txt")).unwrap(), b"old");
    assert!(!target.join("sub").exists());

    restore_tar(&tar[..], &target, RestoreOptions { overwrite: true }).unwrap();
    assert_eq!(fs::read(target.join("one.txt")).unwrap(), b"one");
    assert_eq!(fs::read(target.join("sub/two.txt")).unwrap(), b"two");
    assert_eq!(fs::read(target.join("keep.txt")).unwrap(), b"mine");
}

#[test]
fn a_restore_over_a_folder_that_fails_half_way_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let tar = small_archive(dir.path());
    let target = dir.path().join("target");
    write(&target.join("one.txt"), b"old", 0o644);
    write(&target.join("keep.txt"), b"mine", 0o644);
    // Cut inside the data of the last file: the first entries are whole.
    let cut = &tar[..tar.len() - 1024 - 512 + 2];
    assert!(restore_tar(cut, &target, RestoreOptions { overwrite: true }).is_err());
    assert_eq!(
        fs::read(target.join("one.txt")).unwrap(),
        b"old",
        "replaced before the end was read"
    );
    assert!(!target.join("sub").exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("dbackup"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A folder where the backup has a file: found before anything moves.
    write(&target.join("sub/two.txt/inner"), b"a folder here", 0o644);
    let error = restore_tar(&tar[..], &target, RestoreOptions { overwrite: true }).unwrap_err();
    assert!(matches!(error, FolderError::Clash { .. }), "{error}");
    assert_eq!(fs::read(target.join("one.txt")).unwrap(), b"old");
}

#[test]
fn a_missing_target_is_created_and_a_file_target_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tar = small_archive(dir.path());
    let target = dir.path().join("new/nested/target");
    restore_tar(&tar[..], &target, RestoreOptions::default()).unwrap();
    assert_eq!(fs::read(target.join("sub/two.txt")).unwrap(), b"two");

    let file = dir.path().join("file");
    write(&file, b"x", 0o644);
    let options = RestoreOptions { overwrite: true };
    let error = restore_tar(&tar[..], &file, options).unwrap_err();
    assert!(
        matches!(error, FolderError::TargetNotFolder { .. }),
        "{error}"
    );
}

#[test]
fn an_archive_cut_short_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tar = small_archive(dir.path());
    // Without the two zero blocks that end it, the cut falls between entries.
    let cut = &tar[..tar.len() - 1024];
    let error = restore_tar(cut, &dir.path().join("t1"), RestoreOptions::default()).unwrap_err();
    assert!(matches!(error, FolderError::Truncated), "{error}");
    assert!(matches!(list_tar(cut, |_| {}), Err(FolderError::Truncated)));
    let error = restore_tar(&[][..], &dir.path().join("t2"), RestoreOptions::default());
    assert!(matches!(error, Err(FolderError::Truncated)));
    // Cut inside the data of the last file.
    let inside = &tar[..tar.len() - 1024 - 512 + 2];
    assert!(restore_tar(inside, &dir.path().join("t3"), RestoreOptions::default()).is_err());
}

/// A hand-made entry, bypassing the checks tar's `Builder` makes on names.
fn raw_entry(tar: &mut Builder<Vec<u8>>, name: &[u8], kind: EntryType, data: &[u8]) {
    if name.len() > 100 {
        let mut long = Header::new_gnu();
        long.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        long.set_entry_type(EntryType::GNULongName);
        long.set_size(name.len() as u64 + 1);
        long.set_cksum();
        tar.append(&long, [name, b"\0"].concat().as_slice())
            .unwrap();
    }
    let mut header = Header::new_gnu();
    let short = &name[..name.len().min(100)];
    header.as_old_mut().name[..short.len()].copy_from_slice(short);
    header.set_entry_type(kind);
    header.set_mode(0o777);
    header.set_mtime(1_000_000_000);
    if kind == EntryType::Symlink || kind == EntryType::Link {
        header.set_link_name_literal(data).unwrap();
        header.set_size(0);
        header.set_cksum();
        tar.append(&header, io::empty()).unwrap();
    } else {
        header.set_size(data.len() as u64);
        header.set_cksum();
        tar.append(&header, data).unwrap();
    }
}

fn evil(entries: &[(&[u8], EntryType, &[u8])]) -> Vec<u8> {
    let mut tar = Builder::new(Vec::new());
    for (name, kind, data) in entries {
        raw_entry(&mut tar, name, *kind, data);
    }
    tar.into_inner().unwrap()
}

/// `dir/target` to restore into and `dir/outside` that must stay untouched.
fn arena() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    let outside = dir.path().join("outside");
    write(&outside.join("victim.txt"), b"original", 0o644);
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o700)).unwrap();
    (dir, target, outside)
}

fn assert_refused_as_unsafe(result: Result<impl std::fmt::Debug, FolderError>, why: &str) {
    match result {
        Err(error @ FolderError::UnsafeEntry { .. }) => {
            assert!(error.to_string().contains(why), "{error}")
        }
        other => panic!("expected an unsafe entry ({why}), got {other:?}"),
    }
}

fn untouched(outside: &Path) {
    let mut names: Vec<_> = fs::read_dir(outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["victim.txt"]);
    assert_eq!(fs::read(outside.join("victim.txt")).unwrap(), b"original");
    let mode = fs::metadata(outside).unwrap().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn entries_climbing_out_with_dot_dot_are_refused() {
    let (dir, target, outside) = arena();
    let tar = evil(&[
        (b"fine.txt", EntryType::Regular, b"ok"),
        (b"../outside/evil.txt", EntryType::Regular, b"evil"),
    ]);
    let result = restore_tar(&tar[..], &target, RestoreOptions::default());
    assert_refused_as_unsafe(result, "`..`");
    untouched(&outside);
    assert!(!dir.path().join("evil.txt").exists());

    // The same through a GNU long name, which tar reads from a separate entry.
    let long = format!("{}{}outside/evil.txt", "x/".repeat(60), "../".repeat(61));
    let tar = evil(&[(long.as_bytes(), EntryType::Regular, b"evil")]);
    let result = restore_tar(&tar[..], &target, RestoreOptions { overwrite: true });
    assert_refused_as_unsafe(result, "`..`");
    untouched(&outside);
}

#[test]
fn absolute_entries_are_refused() {
    let (_dir, target, outside) = arena();
    let name = outside.join("abs.txt");
    let tar = evil(&[(
        name.as_os_str().as_encoded_bytes(),
        EntryType::Regular,
        b"evil",
    )]);
    let result = restore_tar(&tar[..], &target, RestoreOptions::default());
    assert_refused_as_unsafe(result, "absolute");
    untouched(&outside);
    // Nor stripped of its leading `/` and written inside, as some tar tools do.
    assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
}

#[test]
fn writing_through_a_symlink_out_of_the_target_is_refused() {
    let (_dir, target, outside) = arena();
    let absolute = outside.as_os_str().as_encoded_bytes().to_vec();
    for link in [absolute.as_slice(), b"../outside"] {
        let tar = evil(&[
            (b"link", EntryType::Symlink, link),
            (b"link/pwned.txt", EntryType::Regular, b"evil"),
        ]);
        let _ = fs::remove_dir_all(&target);
        let result = restore_tar(&tar[..], &target, RestoreOptions::default());
        assert_refused_as_unsafe(result, "symlink");
        untouched(&outside);
    }

    // A directory entry over the link would chmod and touch what it points to.
    let tar = evil(&[
        (b"link", EntryType::Symlink, absolute.as_slice()),
        (b"link", EntryType::Directory, b""),
    ]);
    let _ = fs::remove_dir_all(&target);
    let result = restore_tar(&tar[..], &target, RestoreOptions::default());
    assert_refused_as_unsafe(result, "symlink");
    untouched(&outside);
}

#[test]
fn a_file_over_a_symlink_replaces_the_link_instead_of_following_it() {
    let (_dir, target, outside) = arena();
    let victim = outside.join("victim.txt");
    let tar = evil(&[
        (
            b"x",
            EntryType::Symlink,
            victim.as_os_str().as_encoded_bytes(),
        ),
        (b"x", EntryType::Regular, b"new"),
    ]);
    restore_tar(&tar[..], &target, RestoreOptions::default()).unwrap();
    untouched(&outside);
    let x = fs::symlink_metadata(target.join("x")).unwrap();
    assert!(x.is_file());
    assert_eq!(fs::read(target.join("x")).unwrap(), b"new");
}

#[test]
fn hard_links_are_refused() {
    let (_dir, target, outside) = arena();
    let victim = outside.join("victim.txt");
    let tar = evil(&[(b"h", EntryType::Link, victim.as_os_str().as_encoded_bytes())]);
    let error = restore_tar(&tar[..], &target, RestoreOptions::default()).unwrap_err();
    assert!(
        matches!(error, FolderError::UnsupportedEntry { .. }),
        "{error}"
    );
    assert!(!target.join("h").exists());
    untouched(&outside);
}

//! Folders: a tree filtered by globs becomes a GNU tar stream, and a tar stream becomes
//! a tree again inside a chosen directory, never outside it.
//!
//! What the archive keeps: regular files, directories (empty ones too) and symlinks (as
//! symlinks, never followed), each with its permission bits and its mtime to the second.
//! What it does not: owners, extended attributes and ACLs, hard links (each name is
//! stored as its own file), sockets, FIFOs and devices (skipped and counted; they hold no
//! data, and opening a FIFO would block the backup forever).
//!
//! Entries are stored in file-name order, so the same tree gives the same archive.

use std::fs::{self, File, FileTimes, Metadata};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use tar::{Archive, Builder, Entry, EntryType, Header, HeaderMode};
use walkdir::WalkDir;

/// Bytes per message between the archiving thread and the reader.
const CHUNK: usize = 64 * 1024;
/// Messages in flight: with `CHUNK` this keeps the archive bytes held in memory under
/// 1 MiB, however large the folder.
const CHUNKS_IN_FLIGHT: usize = 8;

/// What to back up: everything under `root` that matches `include` (everything when it
/// is empty) and does not match `exclude`. Patterns are globs relative to the root with
/// `/` as separator (`*` stays within one name, `**` crosses directories), for example
/// `**/*.log` or `node_modules/**`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderSpec {
    pub root: PathBuf,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("the folder {root} does not exist; check the path, or connect the drive it is on")]
    RootMissing { root: PathBuf },
    #[error("{root} is a file, not a folder; choose the folder to back up")]
    RootNotFolder { root: PathBuf },
    #[error("the folder {root} cannot be read ({source}); check its permissions")]
    RootUnreadable {
        root: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the pattern `{pattern}` is not a valid glob ({source})")]
    BadPattern {
        pattern: String,
        #[source]
        source: globset::Error,
    },
    #[error("reading {path} failed ({source}); the backup stopped rather than store an incomplete copy. Fix its permissions or exclude it, then run the backup again")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} changed while it was being read; the backup stopped rather than store a damaged copy. Run it again when the file is not being written, or exclude it")]
    ChangedWhileReading { path: PathBuf },
    #[error("the folder archiver stopped unexpectedly; the archive is incomplete")]
    ArchiverStopped,
    #[error("the restore target {target} is not empty; choose an empty folder, or confirm that files in it may be overwritten")]
    TargetNotEmpty { target: PathBuf },
    #[error("the restore target {target} is a file, not a folder; choose a folder")]
    TargetNotFolder { target: PathBuf },
    #[error("the archive entry `{entry}` {reason}; the restore stopped without writing it (this archive was not made by DBackup, or was altered)")]
    UnsafeEntry { entry: String, reason: &'static str },
    #[error("`{entry}` is a file in the backup and a folder in {} (or the reverse); nothing was changed: restore into a new folder", target.display())]
    Clash { entry: String, target: PathBuf },
    #[error("the archive entry `{entry}` is of a kind folder backups never contain ({kind}); the restore stopped")]
    UnsupportedEntry { entry: String, kind: String },
    #[error("reading the folder archive failed: {source}")]
    Archive {
        #[source]
        source: io::Error,
    },
    #[error("the folder archive ends without its end marker: it is incomplete")]
    Truncated,
    #[error("{action} {path} failed: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl FolderError {
    /// Errors met while archiving travel through `Read`, which speaks `io::Error`; the
    /// `FolderError` stays inside so callers can still `downcast` it.
    fn into_io(self) -> io::Error {
        let kind = match &self {
            Self::Unreadable { source, .. } => source.kind(),
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, self)
    }
}

/// Counts of what went into an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSummary {
    pub files: u64,
    pub directories: u64,
    pub symlinks: u64,
    /// Bytes of file contents (not of the archive).
    pub bytes: u64,
    /// Sockets, FIFOs and devices that matched the filters but were not stored.
    pub skipped_special: u64,
}

/// Checks the root and the patterns without reading the tree, for forms and before a run.
pub fn check(spec: &FolderSpec) -> Result<(), FolderError> {
    check_root(&spec.root)?;
    Filter::new(spec).map(drop)
}

/// Starts archiving `spec` on a background thread and returns the tar stream. Problems
/// met while walking (a file vanished, unreadable, or changed size) come out of `read`
/// as an `io::Error` naming the path, and keep coming on every later `read`; the stream
/// never ends cleanly over an incomplete archive. Dropping the stream stops the thread.
pub fn open_tar_stream(spec: &FolderSpec) -> Result<FolderStream, FolderError> {
    check_root(&spec.root)?;
    let filter = Filter::new(spec)?;
    let root = spec.root.clone();
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    let worker = std::thread::Builder::new()
        .name("dbackup-folder".into())
        .spawn(move || archive_tree(&root, &filter, ChunkWriter::new(tx)))
        .map_err(|source| FolderError::Io {
            action: "starting a thread to archive",
            path: spec.root.clone(),
            source,
        })?;
    Ok(FolderStream {
        rx,
        chunk: Vec::new(),
        pos: 0,
        end: None,
        summary: None,
        _worker: JoinOnDrop(Some(worker)),
    })
}

/// The tar stream of a folder; see [`open_tar_stream`].
pub struct FolderStream {
    // Declared before `_worker`: fields drop in order, so the channel closes first, the
    // thread's next send fails and it returns, and only then is it joined.
    rx: Receiver<Message>,
    chunk: Vec<u8>,
    pos: usize,
    end: Option<End>,
    summary: Option<BackupSummary>,
    _worker: JoinOnDrop,
}

impl FolderStream {
    /// What was archived; known once `read` has returned 0.
    pub fn summary(&self) -> Option<&BackupSummary> {
        self.summary.as_ref()
    }
}

enum Message {
    Data(Vec<u8>),
    Done(BackupSummary),
    Failed(io::Error),
}

enum End {
    Complete,
    /// `io::Error` cannot be cloned; later reads get the same kind and message.
    Failed(io::ErrorKind, String),
}

impl Read for FolderStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.chunk.len() {
                let n = buf.len().min(self.chunk.len() - self.pos);
                buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            match &self.end {
                Some(End::Complete) => return Ok(0),
                Some(End::Failed(kind, message)) => {
                    return Err(io::Error::new(*kind, message.clone()))
                }
                None => {}
            }
            let error = match self.rx.recv() {
                Ok(Message::Data(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                    continue;
                }
                Ok(Message::Done(summary)) => {
                    self.summary = Some(summary);
                    self.end = Some(End::Complete);
                    continue;
                }
                Ok(Message::Failed(error)) => error,
                // The thread panicked: report it rather than end the archive early.
                Err(_) => FolderError::ArchiverStopped.into_io(),
            };
            self.end = Some(End::Failed(error.kind(), error.to_string()));
            return Err(error);
        }
    }
}

struct JoinOnDrop(Option<JoinHandle<()>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(worker) = self.0.take() {
            // A panic was already reported to the reader as ArchiverStopped.
            let _ = worker.join();
        }
    }
}

/// Buffers the tar bytes into chunks for the channel. After `done` or `fail` it refuses
/// writes, so the end-of-archive blocks tar's `Builder` writes when dropped never follow
/// a failure.
struct ChunkWriter {
    tx: Option<SyncSender<Message>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn new(tx: SyncSender<Message>) -> Self {
        Self {
            tx: Some(tx),
            buf: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self, message: Message) -> io::Result<()> {
        let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "the archive stream is closed");
        self.tx
            .as_ref()
            .ok_or_else(closed)?
            .send(message)
            .map_err(|_| closed())
    }

    fn done(&mut self, summary: BackupSummary) {
        if self.flush().is_ok() {
            let _ = self.send(Message::Done(summary));
        }
        self.tx = None;
    }

    fn fail(&mut self, error: io::Error) {
        // When the reader is gone nobody is left to tell.
        let _ = self.send(Message::Failed(error));
        self.tx = None;
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.tx.is_none() || self.buf.len() == CHUNK {
            self.flush()?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() && self.tx.is_some() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.send(Message::Data(chunk))
    }
}

fn check_root(root: &Path) -> Result<(), FolderError> {
    let meta = fs::metadata(root).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => FolderError::RootMissing {
            root: root.to_path_buf(),
        },
        _ => FolderError::RootUnreadable {
            root: root.to_path_buf(),
            source,
        },
    })?;
    if !meta.is_dir() {
        return Err(FolderError::RootNotFolder {
            root: root.to_path_buf(),
        });
    }
    fs::read_dir(root)
        .map(drop)
        .map_err(|source| FolderError::RootUnreadable {
            root: root.to_path_buf(),
            source,
        })
}

struct Filter {
    include: Option<GlobSet>,
    exclude: GlobSet,
    /// `exclude` plus `dir` for each `dir/**`: when everything below a directory is
    /// excluded, the walk does not enter it and the directory itself is left out.
    prune: GlobSet,
}

impl Filter {
    fn new(spec: &FolderSpec) -> Result<Self, FolderError> {
        let include = if spec.include.is_empty() {
            None
        } else {
            Some(glob_set(spec.include.iter().map(String::as_str))?)
        };
        let exclude = glob_set(spec.exclude.iter().map(String::as_str))?;
        let prune = glob_set(spec.exclude.iter().flat_map(|pattern| {
            let parent = pattern.strip_suffix("/**").filter(|p| !p.is_empty());
            std::iter::once(pattern.as_str()).chain(parent)
        }))?;
        Ok(Self {
            include,
            exclude,
            prune,
        })
    }

    fn excludes(&self, relative: &Path, is_dir: bool) -> bool {
        if is_dir {
            self.prune.is_match(relative)
        } else {
            self.exclude.is_match(relative)
        }
    }

    fn includes(&self, relative: &Path) -> bool {
        self.include
            .as_ref()
            .is_none_or(|set| set.is_match(relative))
    }
}

fn glob_set<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<GlobSet, FolderError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|source| FolderError::BadPattern {
                pattern: pattern.to_owned(),
                source,
            })?;
        set.add(glob);
    }
    set.build().map_err(|source| FolderError::BadPattern {
        pattern: String::new(),
        source,
    })
}

/// The body of the archiving thread.
fn archive_tree(root: &Path, filter: &Filter, writer: ChunkWriter) {
    let mut builder = Builder::new(writer);
    match append_tree(&mut builder, root, filter) {
        Ok(summary) => match builder.finish() {
            Ok(()) => builder.get_mut().done(summary),
            Err(error) => builder.get_mut().fail(error),
        },
        Err(error) => builder.get_mut().fail(error),
    }
}

/// A directory seen on the way down. With include patterns a directory is only stored
/// once something in it is, so that filtering does not leave a skeleton of empty
/// directories; it is then stored before its contents, with its own metadata.
struct Ancestor {
    depth: usize,
    relative: PathBuf,
    meta: Metadata,
    /// It matched an include pattern, so everything below it is included.
    included: bool,
    stored: bool,
}

fn append_tree(
    builder: &mut Builder<ChunkWriter>,
    root: &Path,
    filter: &Filter,
) -> io::Result<BackupSummary> {
    let mut summary = BackupSummary::default();
    let mut ancestors: Vec<Ancestor> = Vec::new();
    let walk = WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !filter.excludes(relative(root, e.path()), e.file_type().is_dir()));
    for entry in walk {
        let entry = entry.map_err(walk_error)?;
        let path = entry.path();
        let relative = relative(root, path);
        let meta = entry.metadata().map_err(walk_error)?;
        while ancestors.last().is_some_and(|a| a.depth >= entry.depth()) {
            ancestors.pop();
        }
        let included = ancestors.last().is_some_and(|a| a.included) || filter.includes(relative);
        let kind = meta.file_type();
        if kind.is_dir() {
            ancestors.push(Ancestor {
                depth: entry.depth(),
                relative: relative.to_path_buf(),
                meta,
                included,
                stored: false,
            });
            if included {
                store_ancestors(builder, &mut ancestors, &mut summary)?;
            }
            continue;
        }
        if !included {
            continue;
        }
        if kind.is_file() {
            store_ancestors(builder, &mut ancestors, &mut summary)?;
            summary.bytes += append_file(builder, path, relative)?;
            summary.files += 1;
        } else if kind.is_symlink() {
            store_ancestors(builder, &mut ancestors, &mut summary)?;
            let target = fs::read_link(path).map_err(|e| unreadable(path, e))?;
            let mut header = header_for(&meta);
            builder.append_link(&mut header, relative, target)?;
            summary.symlinks += 1;
        } else {
            summary.skipped_special += 1;
        }
    }
    Ok(summary)
}

fn store_ancestors(
    builder: &mut Builder<ChunkWriter>,
    ancestors: &mut [Ancestor],
    summary: &mut BackupSummary,
) -> io::Result<()> {
    for dir in ancestors.iter_mut().filter(|a| !a.stored) {
        let mut header = header_for(&dir.meta);
        builder.append_data(&mut header, &dir.relative, io::empty())?;
        dir.stored = true;
        summary.directories += 1;
    }
    Ok(())
}

/// Returns the number of content bytes stored.
fn append_file(
    builder: &mut Builder<ChunkWriter>,
    path: &Path,
    relative: &Path,
) -> io::Result<u64> {
    let file = open_no_follow(path).map_err(|e| unreadable(path, e))?;
    // The header must describe what was opened, which may no longer be what was listed.
    let meta = file.metadata().map_err(|e| unreadable(path, e))?;
    if !meta.is_file() {
        return Err(changed(path));
    }
    let mut header = header_for(&meta);
    let data = ExactSize {
        file,
        remaining: meta.len(),
        path,
    };
    builder.append_data(&mut header, relative, data)?;
    Ok(meta.len())
}

/// Opens a file the walk listed as a regular file, refusing a symlink put in its
/// place since (ELOOP): a backup run as root must not follow one to /etc/shadow.
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    options.open(path)
}

fn header_for(meta: &Metadata) -> Header {
    let mut header = Header::new_gnu();
    header.set_metadata_in_mode(meta, HeaderMode::Complete);
    header
}

/// Yields exactly the size written in the header. tar's `Builder` pads a short read
/// with nothing, which would shift every later entry: a file that shrinks while being
/// read must fail the backup. One that grows is cut at the size it had when opened.
struct ExactSize<'a> {
    file: File,
    remaining: u64,
    path: &'a Path,
}

impl Read for ExactSize<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self
            .file
            .read(&mut buf[..max])
            .map_err(|e| unreadable(self.path, e))?;
        if n == 0 {
            return Err(changed(self.path));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// walkdir yields paths that start with the root it was given.
fn relative<'a>(root: &Path, path: &'a Path) -> &'a Path {
    // The fallback is unreachable, and tar refuses to store an absolute name anyway.
    path.strip_prefix(root).unwrap_or(path)
}

fn unreadable(path: &Path, source: io::Error) -> io::Error {
    FolderError::Unreadable {
        path: path.to_path_buf(),
        source,
    }
    .into_io()
}

fn changed(path: &Path) -> io::Error {
    FolderError::ChangedWhileReading {
        path: path.to_path_buf(),
    }
    .into_io()
}

fn walk_error(error: walkdir::Error) -> io::Error {
    let path = error.path().unwrap_or(Path::new("")).to_path_buf();
    let source = error
        .into_io_error()
        .unwrap_or_else(|| io::Error::other("filesystem loop"));
    unreadable(&path, source)
}

/// How to restore.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Restore into a directory that already holds files, replacing those with the same
    /// names. Files not in the archive are left alone.
    pub overwrite: bool,
}

/// Counts of what was restored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreSummary {
    pub files: u64,
    pub directories: u64,
    pub symlinks: u64,
    pub bytes: u64,
}

/// Restores a tar stream made by [`open_tar_stream`] into `target`, creating it if
/// missing. Refuses a non-empty target unless `options.overwrite`. Refuses, before
/// writing them, entries that would land outside the target: absolute names, `..`, and
/// paths through a symlink. Permission bits come back without setuid, setgid and
/// sticky: owners are not restored, so files belong to whoever restores, and a setuid
/// bit would hand that user's rights to the archive's program.
pub fn restore_tar(
    input: impl Read,
    target: &Path,
    options: RestoreOptions,
) -> Result<RestoreSummary, FolderError> {
    if prepare_target(target, options.overwrite)? == Target::HasContent {
        return replace_in_place(input, target);
    }
    unpack_into(input, target)
}

/// Restores over a folder that holds files: into a sibling staging folder first, and
/// only once the whole archive is authenticated and unpacked there, moved into the
/// folder entry by entry (renames within one filesystem: no space needed, nothing
/// half written). Files the backup does not have stay. A damaged backup, a full disk
/// or a cut connection leave the folder as it was; so does an entry that cannot be
/// placed (a folder where the backup has a file, a symlink on the way), found before
/// anything moves.
fn replace_in_place(input: impl Read, target: &Path) -> Result<RestoreSummary, FolderError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "folder".into());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.dbackup-restore-"))
        .tempdir_in(parent)
        .map_err(|source| FolderError::Io {
            action: "creating a staging folder beside",
            path: target.to_path_buf(),
            source,
        })?;
    let summary = unpack_into(input, staging.path())?;
    let entries = staged_entries(staging.path())?;
    for (relative, kind) in &entries {
        check_placeable(target, relative, *kind)?;
    }
    for (relative, kind) in &entries {
        let from = staging.path().join(relative);
        let to = target.join(relative);
        let moved = match kind {
            Staged::Dir => match fs::symlink_metadata(&to) {
                Ok(_) => Ok(()),
                Err(_) => fs::create_dir(&to),
            },
            Staged::Other => fs::rename(&from, &to),
        };
        moved.map_err(|source| FolderError::Io {
            action: "moving into place",
            path: to,
            source,
        })?;
    }
    // Folders the restore created get the backup's times and modes, deepest first.
    for (relative, kind) in entries.iter().rev() {
        if *kind == Staged::Dir {
            if let Ok(meta) = fs::metadata(staging.path().join(relative)) {
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                restore_directory_metadata(&target.join(relative), permissions_mode(&meta), mtime)?;
            }
        }
    }
    Ok(summary)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Staged {
    Dir,
    /// A file or a symlink: moved whole.
    Other,
}

/// Every entry of the staging folder, parents before children.
fn staged_entries(root: &Path) -> Result<Vec<(PathBuf, Staged)>, FolderError> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1).follow_links(false) {
        let entry = entry.map_err(|e| FolderError::Io {
            action: "reading the staging folder",
            path: root.to_path_buf(),
            source: e.into(),
        })?;
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        let kind = if entry.file_type().is_dir() {
            Staged::Dir
        } else {
            Staged::Other
        };
        out.push((relative, kind));
    }
    Ok(out)
}

/// Whether a staged entry can take its place in the target: no symlink on the way,
/// and no folder where the backup has a file (or a file where it has a folder).
fn check_placeable(target: &Path, relative: &Path, kind: Staged) -> Result<(), FolderError> {
    let name = relative.display().to_string();
    refuse_symlinks_on_the_way(target, relative, &name, kind == Staged::Dir)?;
    let existing = match fs::symlink_metadata(target.join(relative)) {
        Ok(meta) => meta,
        Err(_) => return Ok(()),
    };
    let clash = match kind {
        Staged::Dir => !existing.is_dir(),
        Staged::Other => existing.is_dir(),
    };
    if clash {
        return Err(FolderError::Clash {
            entry: name,
            target: target.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(unix)]
fn permissions_mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

#[cfg(not(unix))]
fn permissions_mode(_meta: &fs::Metadata) -> u32 {
    0o755
}

fn unpack_into(input: impl Read, target: &Path) -> Result<RestoreSummary, FolderError> {
    let mut input = Watched::new(input);
    // Applied at the end: writing into a directory changes its mtime, and a read-only
    // directory would refuse its own contents.
    let mut directories = Vec::new();
    let result = unpack_entries(&mut input, target, &mut directories);
    let summary = input.outcome(result)?;
    for (path, mode, mtime) in directories.iter().rev() {
        restore_directory_metadata(path, *mode, *mtime)?;
    }
    Ok(summary)
}

fn unpack_entries<R: Read>(
    input: &mut Watched<R>,
    target: &Path,
    directories: &mut Vec<(PathBuf, u32, u64)>,
) -> Result<RestoreSummary, FolderError> {
    let mut archive = Archive::new(input);
    archive.set_preserve_permissions(false);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(true);
    let mut summary = RestoreSummary::default();
    for entry in archive.entries().map_err(archive_error)? {
        let mut entry = entry.map_err(archive_error)?;
        let (name, relative) = entry_path(&entry)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            if relative.as_os_str().is_empty() {
                continue;
            }
            refuse_symlinks_on_the_way(target, &relative, &name, true)?;
            let path = target.join(&relative);
            fs::create_dir_all(&path).map_err(|source| FolderError::Io {
                action: "creating the folder",
                path: path.clone(),
                source,
            })?;
            let mode = entry.header().mode().map_err(archive_error)?;
            let mtime = entry.header().mtime().map_err(archive_error)?;
            directories.push((path, mode, mtime));
            summary.directories += 1;
        } else if kind.is_file() || kind.is_symlink() {
            if relative.as_os_str().is_empty() {
                return Err(FolderError::UnsafeEntry {
                    entry: name,
                    reason: "has no name",
                });
            }
            refuse_symlinks_on_the_way(target, &relative, &name, false)?;
            let unpacked = entry.unpack_in(target).map_err(|source| FolderError::Io {
                action: "restoring",
                path: target.join(&relative),
                source: with_causes(source),
            })?;
            if !unpacked {
                return Err(FolderError::UnsafeEntry {
                    entry: name,
                    reason: "would be written outside the target",
                });
            }
            if kind.is_file() {
                summary.files += 1;
                summary.bytes += entry.size();
            } else {
                summary.symlinks += 1;
            }
        } else {
            return Err(FolderError::UnsupportedEntry {
                entry: name,
                kind: format!("{kind:?}"),
            });
        }
    }
    Ok(summary)
}

/// What a restore target holds before the restore.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Missing (now created) or empty: restored in place.
    Empty,
    /// Files the restore replaces (with overwrite).
    HasContent,
}

fn prepare_target(target: &Path, overwrite: bool) -> Result<Target, FolderError> {
    let io = |action, source| FolderError::Io {
        action,
        path: target.to_path_buf(),
        source,
    };
    match fs::metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(target).map_err(|e| io("creating the restore folder", e))?;
            Ok(Target::Empty)
        }
        Err(e) => Err(io("reading the restore folder", e)),
        Ok(meta) if !meta.is_dir() => Err(FolderError::TargetNotFolder {
            target: target.to_path_buf(),
        }),
        Ok(_) => {
            let mut listing =
                fs::read_dir(target).map_err(|e| io("reading the restore folder", e))?;
            if listing.next().is_none() {
                return Ok(Target::Empty);
            }
            if !overwrite {
                return Err(FolderError::TargetNotEmpty {
                    target: target.to_path_buf(),
                });
            }
            Ok(Target::HasContent)
        }
    }
}

/// The entry's name as shown in errors, and its path made of plain names only.
fn entry_path<R: Read>(entry: &Entry<'_, R>) -> Result<(String, PathBuf), FolderError> {
    let raw = entry.path().map_err(archive_error)?;
    let name = raw.display().to_string();
    let mut relative = PathBuf::new();
    for component in raw.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(FolderError::UnsafeEntry {
                    entry: name,
                    reason: "climbs out of the target with `..`",
                })
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(FolderError::UnsafeEntry {
                    entry: name,
                    reason: "is an absolute path",
                })
            }
        }
    }
    Ok((name, relative))
}

/// An existing symlink among the entry's parents (or at the entry itself, for a
/// directory, whose metadata would be applied through it) could lead outside the
/// target. Files and symlinks replace a symlink of the same name instead of following it.
fn refuse_symlinks_on_the_way(
    target: &Path,
    relative: &Path,
    name: &str,
    including_itself: bool,
) -> Result<(), FolderError> {
    let mut path = target.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        if components.peek().is_none() && !including_itself {
            break;
        }
        path.push(component);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(FolderError::UnsafeEntry {
                    entry: name.to_owned(),
                    reason: "goes through a symlink, which could lead outside the target",
                })
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(source) => {
                return Err(FolderError::Io {
                    action: "checking",
                    path,
                    source,
                })
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn restore_directory_metadata(path: &Path, mode: u32, mtime: u64) -> Result<(), FolderError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |action, source| FolderError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    if let Some(time) = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(mtime)) {
        // Times first: a directory made unreadable by its mode could not be opened after.
        File::open(path)
            .and_then(|dir| dir.set_times(FileTimes::new().set_modified(time)))
            .map_err(|e| io("setting the modification time of", e))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o777))
        .map_err(|e| io("setting the permissions of", e))
}

/// Opening a directory as a file to set its time needs other calls on Windows; not
/// done yet, directories there keep the time of the restore.
#[cfg(not(unix))]
fn restore_directory_metadata(_path: &Path, _mode: u32, _mtime: u64) -> Result<(), FolderError> {
    Ok(())
}

fn archive_error(source: io::Error) -> FolderError {
    FolderError::Archive {
        source: with_causes(source),
    }
}

/// tar's errors keep their cause in `source()` only, and messages must say it.
fn with_causes(error: io::Error) -> io::Error {
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        message = format!("{message}: {inner}");
        cause = inner.source();
    }
    io::Error::new(error.kind(), message)
}

/// The archive input, watched for what tar's reader hides: it treats end of input at
/// an entry boundary as the end of the archive (a complete one ends with zero blocks
/// instead), and it reports a failing input as a failure to unpack some entry.
struct Watched<R> {
    inner: R,
    hit_eof: bool,
    failure: Option<io::Error>,
}

impl<R> Watched<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hit_eof: false,
            failure: None,
        }
    }

    /// The input's own failure, then its early end, explain any error better than tar's.
    fn outcome<T>(self, result: Result<T, FolderError>) -> Result<T, FolderError> {
        if let Some(source) = self.failure {
            return Err(FolderError::Archive { source });
        }
        if self.hit_eof {
            return Err(FolderError::Truncated);
        }
        result
    }
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.hit_eof = true;
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let stand_in = io::Error::new(e.kind(), e.to_string());
                self.failure.get_or_insert(e);
                Err(stand_in)
            }
        }
    }
}

/// One entry of a folder archive, as listed by [`list_tar`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedEntry {
    pub path: PathBuf,
    pub kind: ArchivedKind,
    pub size: u64,
    pub mode: u32,
    /// Seconds since the Unix epoch.
    pub mtime: u64,
    pub link_target: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchivedKind {
    File,
    Directory,
    Symlink,
    Other,
}

/// Calls `each` for every entry of a folder archive, in archive order, without
/// writing anything; memory stays flat however many entries there are.
pub fn list_tar(input: impl Read, each: impl FnMut(ArchivedEntry)) -> Result<(), FolderError> {
    let mut input = Watched::new(input);
    let result = list_entries(&mut input, each);
    input.outcome(result)
}

fn list_entries<R: Read>(
    input: &mut Watched<R>,
    mut each: impl FnMut(ArchivedEntry),
) -> Result<(), FolderError> {
    let mut archive = Archive::new(input);
    for entry in archive.entries().map_err(archive_error)? {
        let entry = entry.map_err(archive_error)?;
        let header = entry.header();
        let kind = match header.entry_type() {
            EntryType::Regular => ArchivedKind::File,
            EntryType::Directory => ArchivedKind::Directory,
            EntryType::Symlink => ArchivedKind::Symlink,
            _ => ArchivedKind::Other,
        };
        each(ArchivedEntry {
            path: entry.path().map_err(archive_error)?.into_owned(),
            kind,
            size: entry.size(),
            mode: header.mode().map_err(archive_error)?,
            mtime: header.mtime().map_err(archive_error)?,
            link_target: entry
                .link_name()
                .map_err(archive_error)?
                .map(|target| target.into_owned()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_symlink_put_in_place_of_a_listed_file_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"not for the backup").unwrap();
        let listed = dir.path().join("listed.txt");
        std::os::unix::fs::symlink(&secret, &listed).unwrap();
        assert!(open_no_follow(&listed).is_err());
        assert!(open_no_follow(&secret).is_ok());
    }
}

//! The restored file: written around the page cache where the filesystem allows it,
//! on a thread of its own, and on disk before it is renamed into place.
//!
//! A restore writes each byte once and reads none of it back. Through the page cache
//! every byte is first copied into the kernel, then written back, and the final fsync
//! waits for whatever is still dirty; a restore of many GiB also evicts what the
//! user's programs had cached. With O_DIRECT the disk takes the data from our own
//! buffers (on the benchmark VM 1 GiB took 0.40-0.52 s, against 0.86-0.91 s through
//! the page cache with the fsync a restore needs).
//!
//! O_DIRECT wants buffer addresses, lengths and file offsets aligned to the device's
//! block size: data is gathered in blocks aligned to [`ALIGN`], which covers the
//! usual 512 and 4096, and only the tail that is not a whole [`ALIGN`] is written with
//! O_DIRECT cleared. Where the filesystem refuses O_DIRECT (at open or at a write:
//! tmpfs on older kernels, some FUSE filesystems, other systems than Linux) the same
//! thread writes through the page cache and syncs every [`SYNC_EVERY`] bytes, so
//! the final sync has only the last stretch left and dirty pages stay bounded.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

const ALIGN: usize = 4096;
const BLOCK: usize = 4 * 1024 * 1024;
/// Blocks in rotation: one filling while the others are written.
const BLOCKS: usize = 3;
/// Bytes written through the page cache between two syncs.
const SYNC_EVERY: u64 = 64 * 1024 * 1024;

/// Whether to try writing around the page cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    Bypass,
    Use,
}

/// `BLOCK` bytes starting at an `ALIGN`ed address inside an ordinary allocation.
struct Block {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    fn new() -> Self {
        let storage = vec![0u8; BLOCK + ALIGN];
        // align_offset may decline (usize::MAX); the block is then unaligned, the
        // kernel refuses the direct write with EINVAL and the page cache is used.
        let start = storage.as_ptr().align_offset(ALIGN).min(ALIGN);
        Self {
            storage,
            start,
            len: 0,
        }
    }

    /// Holds nothing; stands in for the filling block once it is handed over.
    fn empty() -> Self {
        Self {
            storage: Vec::new(),
            start: 0,
            len: 0,
        }
    }

    fn data(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    /// Copies in as much of `buf` as fits; returns how much.
    fn fill_from(&mut self, buf: &[u8]) -> usize {
        let n = (BLOCK - self.len).min(buf.len());
        let at = self.start + self.len;
        self.storage[at..at + n].copy_from_slice(&buf[..n]);
        self.len += n;
        n
    }
}

enum Job {
    Write(Block),
    Finish(Block),
}

/// Dropped unfinished (a failed restore), its writing thread stops after the blocks
/// it holds; the caller removes the file.
pub struct DurableFile {
    filling: Block,
    /// Empty blocks not yet handed to the writing thread.
    spare: Vec<Block>,
    jobs: Option<SyncSender<Job>>,
    emptied: Receiver<Block>,
    writer: Option<JoinHandle<io::Result<File>>>,
    direct: bool,
}

impl DurableFile {
    /// Creates (or truncates) `path` for writing.
    pub fn create(path: &Path, caching: Caching) -> io::Result<Self> {
        let (file, direct) = open(path, caching)?;
        // Zeroed allocations this large are mapped lazily: a small restore touches
        // only the pages it fills.
        let spare = (1..BLOCKS).map(|_| Block::new()).collect();
        let (jobs, jobs_rx) = mpsc::sync_channel::<Job>(BLOCKS);
        let (emptied_tx, emptied) = mpsc::sync_channel::<Block>(BLOCKS);
        let sink = Sink {
            file,
            direct,
            offset: 0,
            since_sync: 0,
        };
        let writer = std::thread::Builder::new()
            .name("restore-write".into())
            .spawn(move || sink.run(&jobs_rx, &emptied_tx))?;
        Ok(Self {
            filling: Block::new(),
            spare,
            jobs: Some(jobs),
            emptied,
            writer: Some(writer),
            direct,
        })
    }

    /// Whether the file was opened to be written around the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Writes what is left, waits until all of it is on disk (data and metadata) and
    /// returns the file.
    pub fn finish(mut self) -> io::Result<File> {
        let last = std::mem::replace(&mut self.filling, Block::empty());
        self.send(Job::Finish(last))?;
        self.stop()
    }

    /// Hands a job to the writing thread; if that has stopped, its error.
    fn send(&mut self, job: Job) -> io::Result<()> {
        match &self.jobs {
            Some(jobs) if jobs.send(job).is_ok() => Ok(()),
            _ => Err(self.stopped_early()),
        }
    }

    /// An empty block: a spare one, else the next the writing thread is done with.
    fn next_block(&mut self) -> io::Result<Block> {
        if let Some(block) = self.spare.pop() {
            return Ok(block);
        }
        self.emptied.recv().map_err(|_| self.stopped_early())
    }

    /// The error that stopped the writing thread before it was told to finish.
    fn stopped_early(&mut self) -> io::Error {
        match self.stop() {
            Err(e) => e,
            Ok(_) => io::Error::other("the restore's writing thread stopped early"),
        }
    }

    /// Tells the writing thread there is no more and waits for it.
    fn stop(&mut self) -> io::Result<File> {
        self.jobs.take();
        match self.writer.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the restore's writing thread panicked"))),
            None => Err(io::Error::other("the restore's writing thread has stopped")),
        }
    }
}

impl Write for DurableFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.filling.fill_from(buf);
        if self.filling.len == BLOCK {
            let next = self.next_block()?;
            let full = std::mem::replace(&mut self.filling, next);
            self.send(Job::Write(full))?;
        }
        Ok(n)
    }

    /// Data is on disk only after [`DurableFile::finish`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for DurableFile {
    fn drop(&mut self) {
        // Unfinished: the file is being thrown away, so whatever the thread reports
        // does not matter, only that it is gone before the caller removes the file.
        let _ = self.stop();
    }
}

/// The writing thread's side: the file and where the next block goes.
struct Sink {
    file: File,
    direct: bool,
    offset: u64,
    since_sync: u64,
}

impl Sink {
    fn run(mut self, jobs: &Receiver<Job>, emptied: &SyncSender<Block>) -> io::Result<File> {
        for job in jobs {
            match job {
                Job::Write(mut block) => {
                    self.write(block.data())?;
                    block.len = 0;
                    // The other side may be gone (finished or dropped); nothing to do.
                    let _ = emptied.send(block);
                }
                Job::Finish(block) => return self.finish(block.data()),
            }
        }
        Err(io::Error::other(
            "the restore ended before its file was complete",
        ))
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self.file.write_all(data) {
            Ok(()) => {}
            // The filesystem does not do O_DIRECT after all (or the block is not
            // aligned): the same bytes again, through the page cache.
            Err(e) if self.direct && refuses_direct(&e) => {
                self.leave_direct()?;
                self.file.seek(SeekFrom::Start(self.offset))?;
                self.file.write_all(data)?;
            }
            Err(e) => return Err(e),
        }
        self.offset += data.len() as u64;
        if !self.direct {
            self.since_sync += data.len() as u64;
            if self.since_sync >= SYNC_EVERY {
                self.since_sync = 0;
                self.file.sync_data()?;
            }
        }
        Ok(())
    }

    fn finish(mut self, data: &[u8]) -> io::Result<File> {
        let whole = data.len() / ALIGN * ALIGN;
        self.write(&data[..whole])?;
        if whole < data.len() {
            if self.direct {
                self.leave_direct()?;
            }
            self.write(&data[whole..])?;
        }
        self.file.sync_all()?;
        Ok(self.file)
    }

    /// From here on, through the page cache.
    fn leave_direct(&mut self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            let flags = rustix::fs::fcntl_getfl(&self.file)?;
            rustix::fs::fcntl_setfl(&self.file, flags - rustix::fs::OFlags::DIRECT)?;
        }
        self.direct = false;
        Ok(())
    }
}

/// A write refused for being direct rather than for the disk: EINVAL (alignment, or
/// no O_DIRECT support) or EOPNOTSUPP.
fn refuses_direct(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
    )
}

/// Opens `path` for writing, around the page cache when asked and possible.
fn open(path: &Path, caching: Caching) -> io::Result<(File, bool)> {
    let mut options = File::options();
    options.write(true).create(true).truncate(true);
    // Never through a link: the caller created the file under a name of its own.
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(target_os = "linux")]
    if caching == Caching::Bypass {
        use std::os::unix::fs::OpenOptionsExt;
        let mut direct = options.clone();
        direct.custom_flags(
            (rustix::fs::OFlags::DIRECT | rustix::fs::OFlags::NOFOLLOW).bits() as i32,
        );
        // Whatever the refusal (EINVAL from most filesystems, others from some network
        // ones), the page cache it is; a real problem with the path shows again below.
        if let Ok(file) = direct.open(path) {
            return Ok((file, true));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = caching;
    Ok((options.open(path)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes that differ at every offset, so a block written at the
    /// wrong place shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
            .collect()
    }

    fn write_in_pieces(
        caching: Caching,
        dir: &Path,
        total: usize,
        piece: usize,
    ) -> (Vec<u8>, bool) {
        let path = dir.join(format!("out-{total}-{piece}"));
        let data = pattern(total);
        let mut file = DurableFile::create(&path, caching).unwrap();
        let direct = file.is_direct();
        for chunk in data.chunks(piece.max(1)) {
            file.write_all(chunk).unwrap();
        }
        drop(file.finish().unwrap());
        let written = std::fs::read(&path).unwrap();
        assert!(
            written == data,
            "{total} bytes in pieces of {piece}: content differs"
        );
        (written, direct)
    }

    #[test]
    fn every_size_and_piece_size_is_written_exactly_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK + 12_345,
            5 * BLOCK,
        ];
        for caching in [Caching::Bypass, Caching::Use] {
            for total in sizes {
                for piece in [1000, 65_536, BLOCK + 7] {
                    if piece == 1000 && total > 2 * BLOCK {
                        continue;
                    }
                    write_in_pieces(caching, dir.path(), total, piece);
                }
            }
        }
    }

    /// ext4, xfs, btrfs and (since Linux 6.6) tmpfs take O_DIRECT: the fast path is
    /// the one taken where the tests run.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_local_disk_is_written_around_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let (_, direct) = write_in_pieces(Caching::Bypass, dir.path(), BLOCK + 5, 65_536);
        let (_, cached) = write_in_pieces(Caching::Use, dir.path(), BLOCK + 5, 65_536);
        assert!(direct, "{} refused O_DIRECT", dir.path().display());
        assert!(!cached);
    }

    /// /dev/full refuses O_DIRECT at open and every write with ENOSPC: the fallback
    /// is taken and the writing thread's error reaches the writer.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_reported_by_a_write_or_by_finish() {
        let mut file = DurableFile::create(Path::new("/dev/full"), Caching::Bypass).unwrap();
        assert!(!file.is_direct());
        let block = pattern(BLOCK);
        let mut failed = None;
        for _ in 0..2 * BLOCKS {
            if let Err(e) = file.write_all(&block) {
                failed = Some(e);
                break;
            }
        }
        let err = match failed {
            Some(e) => e,
            None => file.finish().unwrap_err(),
        };
        assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{err}");
    }

    /// A filesystem that takes O_DIRECT at open but refuses a write (EINVAL), played
    /// by a block one byte off alignment: the same bytes go through the page cache.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_direct_write_refused_falls_back_to_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = DurableFile::create(&path, Caching::Bypass).unwrap();
        assert!(file.is_direct());
        file.filling.start += 1;
        let data = pattern(2 * BLOCK + 99);
        file.write_all(&data).unwrap();
        drop(file.finish().unwrap());
        assert!(std::fs::read(&path).unwrap() == data, "content differs");
    }

    #[test]
    fn dropping_an_unfinished_file_stops_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = DurableFile::create(&path, Caching::Bypass).unwrap();
        file.write_all(&pattern(2 * BLOCK + 10)).unwrap();
        drop(file);
        // The thread has written what it was handed before it stopped, and holds the
        // file no more: removing it is the caller's next step.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * BLOCK as u64);
        std::fs::remove_file(&path).unwrap();
    }
}

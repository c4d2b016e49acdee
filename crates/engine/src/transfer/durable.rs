//! A file whose data is pushed to disk while it is written, not all at the end.
//!
//! A restore must be on disk before it is renamed into place, and one `fsync` of
//! a whole GiB at the end takes a noticeable part of the restore. Asking for the
//! data written so far to be synced every few tens of MiB, on a thread of its
//! own, lets the disk work while decoding goes on; the final sync then has only
//! the last stretch left. It also keeps dirty pages, and the write-back storms
//! they cause, bounded.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Bytes written between two background syncs.
const SYNC_EVERY: u64 = 64 * 1024 * 1024;

/// Dropped unfinished (a failed restore), its sync thread ends with its channel.
pub struct DurableFile {
    file: File,
    since_sync: u64,
    /// Wakes the syncing thread; a wake-up already pending is enough.
    wake: Option<SyncSender<()>>,
    syncer: Option<JoinHandle<io::Result<()>>>,
}

impl DurableFile {
    pub fn new(file: File) -> io::Result<Self> {
        let handle = file.try_clone()?;
        let (wake, wakes) = mpsc::sync_channel::<()>(1);
        let syncer = std::thread::Builder::new()
            .name("restore-sync".into())
            .spawn(move || {
                for () in wakes {
                    handle.sync_data()?;
                }
                Ok(())
            })?;
        Ok(Self {
            file,
            since_sync: 0,
            wake: Some(wake),
            syncer: Some(syncer),
        })
    }

    /// Waits for the background sync, syncs the rest (data and metadata) and
    /// returns the file.
    pub fn finish(mut self) -> io::Result<File> {
        self.stop_syncer()?;
        self.file.sync_all()?;
        Ok(self.file)
    }

    fn stop_syncer(&mut self) -> io::Result<()> {
        self.wake.take();
        match self.syncer.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the restore's sync thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Write for DurableFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.since_sync += n as u64;
        if self.since_sync >= SYNC_EVERY {
            self.since_sync = 0;
            let stopped = match &self.wake {
                Some(wake) => matches!(wake.try_send(()), Err(TrySendError::Disconnected(()))),
                None => false,
            };
            if stopped {
                // The sync failed (the disk): say so now rather than at the end.
                self.stop_syncer()?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_written_is_in_the_file_after_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = DurableFile::new(File::create(&path).unwrap()).unwrap();
        let block = vec![7u8; 1024 * 1024];
        for _ in 0..150 {
            file.write_all(&block).unwrap();
        }
        drop(file.finish().unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 150 * 1024 * 1024);
    }
}

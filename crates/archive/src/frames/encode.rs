//! Writing: the source cut into frames, compressed on a pool of threads.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};

use super::split::EndMark;
use super::{frame_size, MAX_THREADS};

/// Compresses what is written to it into independent frames of `frame_size`
/// source bytes each (the last may be shorter; an empty source gives one empty
/// frame), written to `inner` in order.
pub(crate) struct FrameEncoder<W: Write> {
    inner: W,
    frame_size: usize,
    filling: Vec<u8>,
    engine: Engine,
    source_bytes: u64,
    frames: u64,
}

enum Engine {
    /// Compresses on the writing thread.
    Inline {
        compressor: zstd::bulk::Compressor<'static>,
        out: Vec<u8>,
    },
    Pool(Pool),
}

impl<W: Write> FrameEncoder<W> {
    /// `threads` of 0 or 1 compresses on the writing thread.
    pub(crate) fn new(inner: W, level: i32, threads: usize) -> io::Result<Self> {
        let frame_size = frame_size(level);
        let engine = if threads <= 1 {
            Engine::Inline {
                compressor: compressor(level)?,
                out: Vec::new(),
            }
        } else {
            Engine::Pool(Pool::start(level, threads.min(MAX_THREADS))?)
        };
        Ok(Self {
            inner,
            frame_size,
            filling: Vec::with_capacity(frame_size),
            engine,
            source_bytes: 0,
            frames: 0,
        })
    }

    fn end_frame(&mut self) -> io::Result<()> {
        self.frames += 1;
        match &mut self.engine {
            Engine::Inline { compressor, out } => {
                compress_into(compressor, &self.filling, out)?;
                self.filling.clear();
                self.inner.write_all(out)
            }
            Engine::Pool(pool) => {
                let next = pool.spare_input(self.frame_size);
                let block = std::mem::replace(&mut self.filling, next);
                pool.submit(block, &mut self.inner)
            }
        }
    }

    /// Compresses what is buffered, waits for every frame, writes the end mark
    /// and returns `inner`.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        if !self.filling.is_empty() || self.frames == 0 {
            self.end_frame()?;
        }
        if let Engine::Pool(pool) = &mut self.engine {
            while !pool.pending.is_empty() {
                pool.collect_oldest(&mut self.inner)?;
            }
        }
        let end = EndMark {
            source_bytes: self.source_bytes,
            frames: self.frames,
        };
        self.inner.write_all(&end.encode())?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for FrameEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.frame_size - self.filling.len();
        let n = data.len().min(room);
        self.filling.extend_from_slice(&data[..n]);
        self.source_bytes += n as u64;
        if self.filling.len() == self.frame_size {
            self.end_frame()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // A frame is written when it is full: flushing mid-frame would end it early.
        Ok(())
    }
}

fn compressor(level: i32) -> io::Result<zstd::bulk::Compressor<'static>> {
    let mut compressor = zstd::bulk::Compressor::new(level)?;
    // The checksum is what detects damage in unencrypted archives.
    compressor.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
    Ok(compressor)
}

fn compress_into(
    compressor: &mut zstd::bulk::Compressor<'static>,
    source: &[u8],
    out: &mut Vec<u8>,
) -> io::Result<()> {
    out.clear();
    out.reserve(zstd::zstd_safe::compress_bound(source.len()));
    compressor.compress_to_buffer(source, out)?;
    Ok(())
}

struct Job {
    source: Vec<u8>,
    out: Vec<u8>,
}

struct Worker {
    jobs: SyncSender<Job>,
    done: Receiver<io::Result<Job>>,
}

/// Compression threads, each with one job at most: frame `k` goes to thread
/// `k % threads`, which is free by then because frames are collected in order
/// before more than `threads` are out.
struct Pool {
    workers: Vec<Worker>,
    next: usize,
    /// Threads with a frame out, oldest first.
    pending: VecDeque<usize>,
    spare_sources: Vec<Vec<u8>>,
    spare_outs: Vec<Vec<u8>>,
}

impl Pool {
    fn start(level: i32, threads: usize) -> io::Result<Self> {
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let mut compressor = compressor(level)?;
            let (jobs, job_rx) = mpsc::sync_channel::<Job>(1);
            let (done_tx, done) = mpsc::sync_channel(1);
            std::thread::Builder::new()
                .name("zstd-frames".into())
                .spawn(move || {
                    for mut job in job_rx {
                        let result =
                            compress_into(&mut compressor, &job.source, &mut job.out).map(|()| job);
                        if done_tx.send(result).is_err() {
                            break;
                        }
                    }
                })?;
            workers.push(Worker { jobs, done });
        }
        Ok(Self {
            workers,
            next: 0,
            pending: VecDeque::with_capacity(threads),
            spare_sources: Vec::new(),
            spare_outs: Vec::new(),
        })
    }

    fn spare_input(&mut self, capacity: usize) -> Vec<u8> {
        self.spare_sources
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    fn submit(&mut self, source: Vec<u8>, inner: &mut impl Write) -> io::Result<()> {
        if self.pending.len() == self.workers.len() {
            self.collect_oldest(inner)?;
        }
        let out = self.spare_outs.pop().unwrap_or_default();
        let worker = self.next;
        self.workers[worker]
            .jobs
            .send(Job { source, out })
            .map_err(|_| stopped())?;
        self.pending.push_back(worker);
        self.next = (worker + 1) % self.workers.len();
        Ok(())
    }

    fn collect_oldest(&mut self, inner: &mut impl Write) -> io::Result<()> {
        let Some(worker) = self.pending.pop_front() else {
            return Ok(());
        };
        let mut job = self.workers[worker].done.recv().map_err(|_| stopped())??;
        inner.write_all(&job.out)?;
        job.source.clear();
        self.spare_sources.push(job.source);
        self.spare_outs.push(job.out);
        Ok(())
    }
}

fn stopped() -> io::Error {
    io::Error::other("a compression thread stopped unexpectedly; this is a bug in DBackup")
}

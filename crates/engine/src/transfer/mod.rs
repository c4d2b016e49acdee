//! Moving bytes between the blocking world (sources, the archive format's
//! compression and encryption) and the async world (uploads, downloads), with
//! bounded channels so memory stays flat whatever the size, progress, and
//! cancellation.

pub mod durable;
pub mod pipe;
pub mod progress;
pub mod publish;

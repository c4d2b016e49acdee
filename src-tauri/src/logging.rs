use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

#[derive(Debug, thiserror::Error)]
#[error("cannot write logs to {path}: {detail}. Check that the folder is writable, or set DBACKUP_LOG_DIR")]
pub struct LoggingError {
    path: String,
    detail: String,
}

/// Logs to a daily-rotated file in `dir` (two weeks kept) and to stderr. The level is
/// `info` unless RUST_LOG says otherwise. Keep the guard alive until exit: it flushes.
pub fn init(dir: &Path) -> Result<WorkerGuard, LoggingError> {
    let err = |detail: String| LoggingError {
        path: dir.display().to_string(),
        detail,
    };
    // Logs name databases, buckets and schedules: this user's alone.
    dbackup_engine::create_private_dir(dir).map_err(|e| err(e.to_string()))?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("dbackup-desktop")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir)
        .map_err(|e| err(e.to_string()))?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(file_writer),
        )
        .try_init()
        .map_err(|e| err(e.to_string()))?;
    Ok(guard)
}

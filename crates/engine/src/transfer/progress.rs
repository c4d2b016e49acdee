use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

/// What a long operation is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Starting,
    Transferring,
    Finishing,
    Done,
}

/// A snapshot of a long operation's progress, for a progress bar or a status line.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub phase: Phase,
    /// Bytes read from the source (backup) or written to the target (restore).
    pub bytes_in: u64,
    /// Bytes stored or downloaded.
    pub bytes_out: u64,
    /// Total input bytes, when known in advance.
    pub total: Option<u64>,
    /// Input bytes per second since the start.
    pub rate: f64,
    /// Seconds left, when the total is known and the rate is not zero.
    pub eta_seconds: Option<f64>,
}

/// Publishes progress on a watch channel: readers always see the latest value and a
/// slow reader never slows the operation down.
#[derive(Debug)]
pub struct ProgressReporter {
    tx: watch::Sender<Progress>,
    started: Instant,
    total: Option<u64>,
}

impl ProgressReporter {
    pub fn new(total: Option<u64>) -> (Self, watch::Receiver<Progress>) {
        let initial = Progress {
            phase: Phase::Starting,
            bytes_in: 0,
            bytes_out: 0,
            total,
            rate: 0.0,
            eta_seconds: None,
        };
        let (tx, rx) = watch::channel(initial);
        (
            Self {
                tx,
                started: Instant::now(),
                total,
            },
            rx,
        )
    }

    pub fn update(&self, phase: Phase, bytes_in: u64, bytes_out: u64) {
        let progress = compute(
            phase,
            bytes_in,
            bytes_out,
            self.total,
            self.started.elapsed(),
        );
        self.tx.send_replace(progress);
    }
}

/// Pure, so tests control the clock.
pub fn compute(
    phase: Phase,
    bytes_in: u64,
    bytes_out: u64,
    total: Option<u64>,
    elapsed: Duration,
) -> Progress {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        bytes_in as f64 / secs
    } else {
        0.0
    };
    let eta_seconds = match total {
        Some(total) if rate > 0.0 => Some(total.saturating_sub(bytes_in) as f64 / rate),
        _ => None,
    };
    Progress {
        phase,
        bytes_in,
        bytes_out,
        total,
        rate,
        eta_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta() {
        let p = compute(
            Phase::Transferring,
            50,
            20,
            Some(150),
            Duration::from_secs(10),
        );
        assert_eq!(p.rate, 5.0);
        assert_eq!(p.eta_seconds, Some(20.0));
        let p = compute(Phase::Transferring, 50, 20, None, Duration::from_secs(10));
        assert_eq!(p.eta_seconds, None);
        let p = compute(Phase::Starting, 0, 0, Some(10), Duration::ZERO);
        assert_eq!((p.rate, p.eta_seconds), (0.0, None));
    }
}

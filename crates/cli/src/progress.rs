//! Shows an engine operation's progress on stderr: a bar with bytes, rate and ETA on a
//! terminal; otherwise (cron, logs, CI) a plain line when the phase changes and every
//! half minute, so a log shows that a long backup is moving.

use std::io::IsTerminal;
use std::time::Duration;

use dbackup_engine::transfer::progress::{Phase, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;

/// Follows `rx` until the operation is done or the receiver closes.
pub fn show(rt: &tokio::runtime::Runtime, mut rx: watch::Receiver<Progress>, verb: &'static str) {
    if !std::io::stderr().is_terminal() {
        rt.spawn(plain_lines(rx, verb));
        return;
    }
    rt.spawn(async move {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let known = "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}";
        let unknown = "{spinner} {msg} {bytes} {bytes_per_sec} {elapsed}";
        bar.enable_steady_tick(Duration::from_millis(200));
        bar.set_message(verb);
        loop {
            let progress = rx.borrow_and_update().clone();
            let template = if progress.total.is_some() {
                known
            } else {
                unknown
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            if let Some(total) = progress.total {
                bar.set_length(total);
            }
            bar.set_position(progress.bytes_in);
            if progress.phase == Phase::Done || rx.changed().await.is_err() {
                break;
            }
        }
        bar.finish_and_clear();
    });
}

const PLAIN_EVERY: Duration = Duration::from_secs(30);

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn plain_line(verb: &str, p: &Progress) -> String {
    let phase = match p.phase {
        Phase::Starting => "starting",
        Phase::Transferring => "transferring",
        Phase::Finishing => "finishing",
        Phase::Done => "done",
    };
    let mut line = format!(
        "dbackup: {verb}: {phase}, {:.1} MiB read, {:.1} MiB stored, {:.1} MiB/s",
        mib(p.bytes_in),
        mib(p.bytes_out),
        p.rate / (1024.0 * 1024.0)
    );
    if let Some(eta) = p.eta_seconds {
        line.push_str(&format!(", about {eta:.0} s left"));
    }
    line
}

async fn plain_lines(mut rx: watch::Receiver<Progress>, verb: &'static str) {
    let mut last_phase = None;
    let mut last_line = tokio::time::Instant::now();
    loop {
        let progress = rx.borrow_and_update().clone();
        let due = last_line.elapsed() >= PLAIN_EVERY;
        if last_phase != Some(progress.phase) || due {
            // Starting is implied by the command; the first useful line is the transfer.
            if progress.phase != Phase::Starting {
                eprintln!("{}", plain_line(verb, &progress));
            }
            last_phase = Some(progress.phase);
            last_line = tokio::time::Instant::now();
        }
        if progress.phase == Phase::Done {
            break;
        }
        let wait = PLAIN_EVERY.saturating_sub(last_line.elapsed());
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { break },
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

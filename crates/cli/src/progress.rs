//! Shows an engine operation's progress: a bar with bytes, rate and ETA when stderr
//! is a terminal; nothing when it is not (scripts read the final result instead).

use std::io::IsTerminal;
use std::time::Duration;

use dbackup_engine::transfer::progress::{Phase, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;

/// Follows `rx` until the operation is done or the receiver closes.
pub fn show(rt: &tokio::runtime::Runtime, mut rx: watch::Receiver<Progress>, verb: &'static str) {
    if !std::io::stderr().is_terminal() {
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

//! What a running job tells its window or terminal, and how often: a progress event at most
//! every [`PROGRESS_INTERVAL`], so a UI can draw each one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::report::SkipCounts;

/// The shortest time between two progress events (20 a second).
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// Cancels a job from any thread. The job checks it between messages; clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the job to stop. It removes what it wrote and reports "cancelled".
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Where a conversion stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Messages handled so far (written or skipped).
    pub messages_done: u64,
    /// Messages the plan counted in the folders being converted.
    pub messages_total: u64,
    /// Bytes of source mail handled so far.
    pub bytes_read: u64,
    /// Bytes of PST written so far, over all parts.
    pub bytes_written: u64,
    /// Messages left out so far, by reason (Trash and Junk left out by the options count from
    /// the start), so a window can show a live count and why.
    pub skipped: SkipCounts,
    /// The PST folder being written, e.g. "alice › Inbox".
    pub folder: String,
    pub elapsed: Duration,
    /// Messages per second since the job started reading.
    pub messages_per_second: f64,
    /// Time left at the current rate; `None` until there is a rate to go by.
    pub eta: Option<Duration>,
}

/// What a job reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The stores were listed: this many folders and messages will be read.
    Planned {
        stores: usize,
        folders: usize,
        messages: u64,
    },
    Progress(Progress),
    /// A PST file is complete (the job splits, or is done writing).
    FileFinished {
        path: PathBuf,
        bytes: u64,
    },
    /// The PST is being read back to check it.
    Verifying {
        path: PathBuf,
    },
}

/// Measures the rate and decides when the next progress event is due.
#[derive(Debug)]
pub(crate) struct Meter {
    started: Instant,
    last: Option<Instant>,
}

impl Meter {
    pub fn start() -> Meter {
        Meter {
            started: Instant::now(),
            last: None,
        }
    }

    /// True when a progress event may be sent now (and remembers that one was).
    pub fn due(&mut self) -> bool {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < PROGRESS_INTERVAL)
        {
            return false;
        }
        self.last = Some(now);
        true
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Fills in the time, rate and ETA of `progress`.
    pub fn stamp(&self, mut progress: Progress) -> Progress {
        let elapsed = self.elapsed();
        let (rate, eta) = rate_and_eta(progress.messages_done, progress.messages_total, elapsed);
        progress.elapsed = elapsed;
        progress.messages_per_second = rate;
        progress.eta = eta;
        progress
    }
}

/// Messages per second and the time left, from the average so far. No ETA in the first half
/// second or before the first message: it would only jump around.
pub(crate) fn rate_and_eta(done: u64, total: u64, elapsed: Duration) -> (f64, Option<Duration>) {
    let seconds = elapsed.as_secs_f64();
    if done == 0 || seconds <= 0.0 {
        return (0.0, None);
    }
    let rate = done as f64 / seconds;
    if seconds < 0.5 {
        return (rate, None);
    }
    let left = total.saturating_sub(done) as f64 / rate;
    (rate, Duration::try_from_secs_f64(left).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_come_from_the_average() {
        let (rate, eta) = rate_and_eta(500, 2000, Duration::from_secs(10));
        assert_eq!(rate, 50.0);
        assert_eq!(eta, Some(Duration::from_secs(30)));
        assert_eq!(rate_and_eta(0, 10, Duration::from_secs(1)), (0.0, None));
        assert_eq!(rate_and_eta(10, 10, Duration::from_millis(100)).1, None);
        assert_eq!(
            rate_and_eta(12, 10, Duration::from_secs(2)).1,
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn progress_events_are_at_least_an_interval_apart() {
        let mut meter = Meter::start();
        assert!(meter.due());
        assert!(!meter.due());
        std::thread::sleep(PROGRESS_INTERVAL);
        assert!(meter.due());
    }

    #[test]
    fn a_cancel_token_is_shared_by_its_clones() {
        let token = CancelToken::new();
        let other = token.clone();
        assert!(!other.is_cancelled());
        token.cancel();
        assert!(other.is_cancelled());
    }
}

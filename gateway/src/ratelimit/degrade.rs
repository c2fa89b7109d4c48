//! [`Degradation`]: whether the Redis limiter is usable. After a failure
//! the gateway limits locally (never open, never a 500), logs the change
//! once, shows it in `/metrics`, and lets one request try Redis again every
//! probe interval until it answers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) struct Degradation {
    degraded: AtomicBool,
    /// Milliseconds since `epoch` at which the next probe may go.
    next_probe_ms: AtomicU64,
    epoch: Instant,
    probe_interval: Duration,
    failures: AtomicU64,
}

impl Degradation {
    pub(crate) fn new(probe_interval: Duration) -> Self {
        Degradation {
            degraded: AtomicBool::new(false),
            next_probe_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            probe_interval,
            failures: AtomicU64::new(0),
        }
    }

    /// Whether this request should ask Redis: always while healthy; while
    /// degraded, for one request per probe interval.
    pub(crate) fn should_try(&self) -> bool {
        if !self.degraded.load(Ordering::Relaxed) {
            return true;
        }
        let now = self.now_ms();
        let due = self.next_probe_ms.load(Ordering::Relaxed);
        now >= due
            && self
                .next_probe_ms
                .compare_exchange(
                    due,
                    now + self.interval_ms(),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Redis answered.
    pub(crate) fn succeeded(&self) {
        if self.degraded.load(Ordering::Relaxed) && self.degraded.swap(false, Ordering::AcqRel) {
            tracing::info!("redis rate limiter reachable again; limits are shared again");
        }
    }

    /// Redis failed; the caller limits locally.
    pub(crate) fn failed(&self, error: &dyn std::error::Error) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.next_probe_ms
            .store(self.now_ms() + self.interval_ms(), Ordering::Release);
        if !self.degraded.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                %error,
                "redis rate limiter unreachable; limiting locally per gateway until it returns"
            );
        }
    }

    pub(crate) fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Redis calls that failed so far.
    pub(crate) fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn interval_ms(&self) -> u64 {
        u64::try_from(self.probe_interval.as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_once_per_interval_while_degraded() {
        let state = Degradation::new(Duration::from_millis(50));
        assert!(state.should_try() && state.should_try(), "healthy: always");
        state.failed(&std::io::Error::other("down"));
        assert!(state.is_degraded());
        assert!(!state.should_try(), "no probe before the interval");
        std::thread::sleep(Duration::from_millis(60));
        assert!(state.should_try(), "one probe after it");
        assert!(!state.should_try(), "and only one");
        state.succeeded();
        assert!(!state.is_degraded() && state.should_try());
        assert_eq!(state.failures(), 1);
    }
}

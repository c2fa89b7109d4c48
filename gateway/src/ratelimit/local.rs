//! [`LocalLimiter`]: GCRA buckets in this process (governor), one per key,
//! with idle keys swept so memory stays bounded however many clients come.

use super::gcra::{Decision, Gcra};
use governor::RateLimiter;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Check the housekeeping conditions every this many checks.
const HOUSEKEEPING_EVERY: u64 = 1024;

/// A keyed GCRA limiter.
///
/// A sweep drops the keys whose bucket is full again (indistinguishable
/// from a new key, so no limit in force is reset). It runs when the key
/// count passes `max_keys` (or twice what the last sweep left, whichever
/// is higher, keeping sweeps amortised) or when `sweep_every` has passed.
pub(crate) struct LocalLimiter<K: Hash + Eq + Clone> {
    gcra: Gcra,
    limiter: RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>,
    checks: AtomicU64,
    sweep_above: AtomicUsize,
    max_keys: usize,
    sweep_every: Duration,
    last_sweep: Mutex<Instant>,
}

impl<K: Hash + Eq + Clone> LocalLimiter<K> {
    pub(crate) fn new(gcra: Gcra, max_keys: usize, sweep_every: Duration) -> Self {
        LocalLimiter {
            gcra,
            limiter: RateLimiter::keyed(gcra.quota()).with_middleware(),
            checks: AtomicU64::new(0),
            sweep_above: AtomicUsize::new(max_keys.max(1)),
            max_keys: max_keys.max(1),
            sweep_every,
            last_sweep: Mutex::new(Instant::now()),
        }
    }

    /// Takes one unit from `key`'s bucket if it has one.
    pub(crate) fn check(&self, key: &K) -> Decision {
        let decision = match self.limiter.check_key(key) {
            Ok(snapshot) => self.gcra.allowed(snapshot.remaining_burst_capacity()),
            Err(not_until) => self
                .gcra
                .refused(not_until.wait_time_from(self.limiter.clock().now())),
        };
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(HOUSEKEEPING_EVERY)
        {
            self.sweep_if_due();
        }
        decision
    }

    /// How many keys hold state.
    pub(crate) fn key_count(&self) -> usize {
        self.limiter.len()
    }

    fn sweep_if_due(&self) {
        // Another thread sweeping right now is as good as sweeping here.
        let Ok(mut last_sweep) = self.last_sweep.try_lock() else {
            return;
        };
        let crowded = self.limiter.len() > self.sweep_above.load(Ordering::Relaxed);
        if crowded || last_sweep.elapsed() >= self.sweep_every {
            self.sweep();
            *last_sweep = Instant::now();
        }
    }

    /// Drops every idle key now.
    pub(crate) fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        let left = self.limiter.len();
        self.sweep_above
            .store(self.max_keys.max(2 * left), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn limiter(per: Duration, burst: u32) -> LocalLimiter<u32> {
        let gcra = Gcra {
            interval: per,
            burst: NonZeroU32::new(burst).unwrap(),
        };
        LocalLimiter::new(gcra, 10, Duration::from_secs(3600))
    }

    #[test]
    fn limits_each_key_alone() {
        let limiter = limiter(Duration::from_secs(60), 3);
        let remaining: Vec<_> = (0..3).map(|_| limiter.check(&1).remaining).collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limiter.check(&1);
        assert!(!refused.allowed);
        assert!(refused.retry_after > Duration::from_secs(50), "{refused:?}");
        assert!(limiter.check(&2).allowed, "another key has its own bucket");
    }

    #[test]
    fn sweeps_idle_keys_but_keeps_limits_in_force() {
        let limiter = limiter(Duration::from_millis(1), 1);
        for key in 0..1000 {
            limiter.check(&key);
        }
        let slow = super::LocalLimiter::<u32>::new(
            Gcra {
                interval: Duration::from_secs(60),
                burst: NonZeroU32::new(1).unwrap(),
            },
            10,
            Duration::from_secs(3600),
        );
        slow.check(&7);
        std::thread::sleep(Duration::from_millis(5));
        limiter.sweep();
        slow.sweep();
        assert_eq!(limiter.key_count(), 0, "idle keys are dropped");
        assert_eq!(slow.key_count(), 1, "a limited key stays");
        assert!(!slow.check(&7).allowed);
    }

    #[test]
    fn sweeps_on_its_own_when_crowded() {
        let limiter = limiter(Duration::from_micros(1), 1);
        for key in 0..(3 * HOUSEKEEPING_EVERY as u32) {
            limiter.check(&key);
        }
        assert!(
            limiter.key_count() < 2 * HOUSEKEEPING_EVERY as usize,
            "{}",
            limiter.key_count()
        );
    }
}

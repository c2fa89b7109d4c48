//! The circuit breaker of one upstream instance, which is also its outlier
//! ejection: after `consecutive_failures` failures in a row the instance is
//! ejected (open) for a cool-down, then admits a single probe (half-open);
//! the probe's success closes the breaker, its failure ejects the instance
//! again for twice as long (up to `max_cool_down`). The balancer skips
//! ejected instances. Pure state, driven with explicit times.

use crate::config::BreakerConfig;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Closed,
    /// Ejected until the given time.
    Open(Instant),
    /// Cooled down; `probing` while the one probe request is out.
    HalfOpen {
        probing: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Breaker {
    state: State,
    consecutive_failures: u32,
    /// Ejections in a row without a success in between.
    ejections: u32,
    /// Ejections ever, for metrics.
    total_ejections: u64,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: State::Closed,
            consecutive_failures: 0,
            ejections: 0,
            total_ejections: 0,
        }
    }
}

impl Breaker {
    /// Claims the right to send one request now: always when closed, the
    /// single probe when cooled down, never while ejected or probing.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open(until) if now >= until => {
                self.state = State::HalfOpen { probing: true };
                true
            }
            State::HalfOpen { probing: false } => {
                self.state = State::HalfOpen { probing: true };
                true
            }
            State::Open(_) | State::HalfOpen { probing: true } => false,
        }
    }

    /// A request answered well enough (not a gateway-level failure).
    pub(crate) fn on_success(&mut self) {
        match self.state {
            State::Closed | State::HalfOpen { .. } => {
                self.state = State::Closed;
                self.consecutive_failures = 0;
                self.ejections = 0;
            }
            // A request sent before the ejection says nothing about now.
            State::Open(_) => {}
        }
    }

    /// A request failed: connection failure, timeout, or 502/503/504.
    pub(crate) fn on_failure(&mut self, now: Instant, config: &BreakerConfig) {
        match self.state {
            State::Closed => {
                self.consecutive_failures += 1;
                if self.consecutive_failures >= config.consecutive_failures.max(1) {
                    self.eject(now, config);
                }
            }
            State::HalfOpen { .. } => self.eject(now, config),
            State::Open(_) => {}
        }
    }

    /// A request ended without an outcome (the client went away): a probe
    /// may be sent again.
    pub(crate) fn on_abandoned(&mut self) {
        if self.state == (State::HalfOpen { probing: true }) {
            self.state = State::HalfOpen { probing: false };
        }
    }

    fn eject(&mut self, now: Instant, config: &BreakerConfig) {
        let doublings = self.ejections.min(16);
        let cool_down = config
            .cool_down
            .saturating_mul(1 << doublings)
            .min(config.max_cool_down.max(config.cool_down));
        self.state = State::Open(now + cool_down);
        self.consecutive_failures = 0;
        self.ejections += 1;
        self.total_ejections += 1;
    }

    pub(crate) fn state(&self) -> State {
        self.state
    }

    pub(crate) fn total_ejections(&self) -> u64 {
        self.total_ejections
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config() -> BreakerConfig {
        BreakerConfig {
            consecutive_failures: 3,
            cool_down: Duration::from_secs(1),
            max_cool_down: Duration::from_secs(3),
        }
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let (config, t0) = (config(), Instant::now());
        let mut breaker = Breaker::default();
        breaker.on_failure(t0, &config);
        breaker.on_failure(t0, &config);
        breaker.on_success();
        breaker.on_failure(t0, &config);
        breaker.on_failure(t0, &config);
        assert_eq!(breaker.state(), State::Closed, "a success resets the count");
        breaker.on_failure(t0, &config);
        assert_eq!(breaker.state(), State::Open(t0 + Duration::from_secs(1)));
        assert!(!breaker.try_acquire(t0 + Duration::from_millis(999)));
        assert_eq!(breaker.total_ejections(), 1);
    }

    #[test]
    fn half_opens_for_one_probe_and_backs_off() {
        let (config, t0) = (config(), Instant::now());
        let mut breaker = Breaker::default();
        for _ in 0..3 {
            breaker.on_failure(t0, &config);
        }
        let t1 = t0 + Duration::from_secs(1);
        assert!(breaker.try_acquire(t1), "the probe");
        assert!(!breaker.try_acquire(t1), "only one probe");
        breaker.on_failure(t1, &config);
        assert_eq!(breaker.state(), State::Open(t1 + Duration::from_secs(2)));
        let t2 = t1 + Duration::from_secs(2);
        assert!(breaker.try_acquire(t2));
        breaker.on_failure(t2, &config);
        assert_eq!(
            breaker.state(),
            State::Open(t2 + Duration::from_secs(3)),
            "capped"
        );
        let t3 = t2 + Duration::from_secs(3);
        assert!(breaker.try_acquire(t3));
        breaker.on_success();
        assert_eq!(breaker.state(), State::Closed);
        assert!(breaker.try_acquire(t3) && breaker.try_acquire(t3));
    }

    #[test]
    fn an_abandoned_probe_frees_the_probe_slot() {
        let (config, t0) = (config(), Instant::now());
        let mut breaker = Breaker::default();
        for _ in 0..3 {
            breaker.on_failure(t0, &config);
        }
        let t1 = t0 + Duration::from_secs(1);
        assert!(breaker.try_acquire(t1));
        breaker.on_abandoned();
        assert!(breaker.try_acquire(t1));
    }
}

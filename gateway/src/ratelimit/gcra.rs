//! The GCRA parameters of a quota, and the [`Decision`] both limiters
//! (governor in process, the Lua script in Redis) reach with them.

use crate::config::QuotaConfig;
use anyhow::{Result, bail};
use std::num::NonZeroU32;
use std::time::Duration;

/// One unit back every `interval`, at most `burst` units at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gcra {
    pub(crate) interval: Duration,
    pub(crate) burst: NonZeroU32,
}

impl Gcra {
    /// Checks a configured quota.
    pub(crate) fn new(name: &str, config: &QuotaConfig) -> Result<Self> {
        if config.limit == 0 || config.period_ms == 0 {
            bail!("rate-limit class {name:?}: limit and period_ms must be at least 1");
        }
        let Some(burst) = NonZeroU32::new(config.burst.unwrap_or(config.limit)) else {
            bail!("rate-limit class {name:?}: burst must be at least 1");
        };
        let interval = Duration::from_millis(config.period_ms) / config.limit;
        if interval < Duration::from_micros(1) {
            bail!("rate-limit class {name:?}: more than one request per microsecond");
        }
        Ok(Gcra { interval, burst })
    }

    pub(crate) fn quota(&self) -> governor::Quota {
        governor::Quota::with_period(self.interval)
            .expect("the interval is at least a microsecond")
            .allow_burst(self.burst)
    }

    /// The decision for an admitted request that leaves `remaining` units.
    pub(crate) fn allowed(&self, remaining: u32) -> Decision {
        let used = self.burst.get().saturating_sub(remaining);
        Decision {
            allowed: true,
            limit: self.burst.get(),
            remaining,
            reset: self.interval * used,
            retry_after: Duration::ZERO,
        }
    }

    /// The decision for a refused request that may be retried after `wait`.
    pub(crate) fn refused(&self, wait: Duration) -> Decision {
        Decision {
            allowed: false,
            limit: self.burst.get(),
            remaining: 0,
            reset: wait + self.interval * (self.burst.get() - 1),
            retry_after: wait,
        }
    }
}

/// The outcome of one rate-limit check, with what the `RateLimit-*`
/// headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    /// The burst capacity (`RateLimit-Limit`).
    pub(crate) limit: u32,
    /// Requests still allowed right now (`RateLimit-Remaining`).
    pub(crate) remaining: u32,
    /// Until the full capacity is back (`RateLimit-Reset`).
    pub(crate) reset: Duration,
    /// Until the next request may pass, when refused (`Retry-After`).
    pub(crate) retry_after: Duration,
}

impl Decision {
    /// The stricter of two decisions: a refusal over an admission, then the
    /// longer wait, then the fewer remaining.
    pub(crate) fn stricter(self, other: Decision) -> Decision {
        match (self.allowed, other.allowed) {
            (true, false) => other,
            (false, true) => self,
            (false, false) if other.retry_after > self.retry_after => other,
            (true, true) if other.remaining < self.remaining => other,
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gcra(limit: u32, period_ms: u64, burst: Option<u32>) -> Result<Gcra> {
        Gcra::new(
            "t",
            &QuotaConfig {
                limit,
                period_ms,
                burst,
            },
        )
    }

    #[test]
    fn checks_quotas() {
        let ok = gcra(10, 1000, Some(3)).unwrap();
        assert_eq!(ok.interval, Duration::from_millis(100));
        assert_eq!(ok.burst.get(), 3);
        assert!(gcra(0, 1000, None).is_err());
        assert!(gcra(1, 0, None).is_err());
        assert!(gcra(1, 1000, Some(0)).is_err());
        assert!(gcra(10_000, 1, None).is_err());
    }

    #[test]
    fn reports_capacity_and_waits() {
        let g = gcra(10, 1000, Some(5)).unwrap();
        let fresh = g.allowed(4);
        assert_eq!((fresh.limit, fresh.remaining), (5, 4));
        assert_eq!(fresh.reset, Duration::from_millis(100));
        let refused = g.refused(Duration::from_millis(30));
        assert_eq!(refused.reset, Duration::from_millis(430));
        assert_eq!(fresh.stricter(refused), refused);
        assert_eq!(g.allowed(1).stricter(fresh).remaining, 1);
    }
}

//! [`LocalRateLimiter`]: GCRA limits in this process, one governor keyed
//! limiter per named policy, with idle keys swept away so memory stays
//! bounded however many distinct keys callers use.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::{self, BoxFuture};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, RateLimiter};

use super::config::{PolicyError, quota};
use super::{Decision, PolicyConfig, RateLimitBackend, RateLimitError};

/// Sweep a policy's keys once it holds more than this many (default).
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// And in any case this often (default).
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Named policies, each limiting every key on its own.
///
/// Housekeeping runs inside `check`, no background task: a policy's keys
/// are swept (governor's `retain_recent` + `shrink_to_fit`) when their count
/// passes the cap, or twice the count left by the last sweep if that is
/// higher, and at least every `sweep_every`. A sweep only drops keys whose
/// state equals a fresh key's, so it never resets a limit in force; the
/// doubling keeps sweeps amortised O(1) per check when many keys are live.
pub struct LocalRateLimiter {
    policies: HashMap<String, Policy>,
    max_keys: usize,
    sweep_every: Duration,
}

struct Policy {
    limiter: DefaultKeyedRateLimiter<String>,
    housekeeping: Mutex<Housekeeping>,
}

struct Housekeeping {
    sweep_above: usize,
    next_sweep: Instant,
}

impl LocalRateLimiter {
    /// Builds a limiter for `policies`, rejecting empty names, duplicate
    /// names and policies that cannot work (zero limit, period or burst).
    pub fn new<N: Into<String>>(
        policies: impl IntoIterator<Item = (N, PolicyConfig)>,
    ) -> Result<Self, PolicyError> {
        let mut built = HashMap::new();
        for (name, config) in policies {
            let name = name.into();
            let quota = quota(&name, &config)?;
            let policy = Policy {
                limiter: RateLimiter::keyed(quota),
                housekeeping: Mutex::new(Housekeeping {
                    sweep_above: DEFAULT_MAX_KEYS,
                    next_sweep: Instant::now() + DEFAULT_SWEEP_EVERY,
                }),
            };
            if built.insert(name.clone(), policy).is_some() {
                return Err(PolicyError::Duplicate(name));
            }
        }
        Ok(Self {
            policies: built,
            max_keys: DEFAULT_MAX_KEYS,
            sweep_every: DEFAULT_SWEEP_EVERY,
        })
    }

    /// A limiter with no policies: every `check` names an unknown policy.
    pub fn empty() -> Self {
        Self {
            policies: HashMap::new(),
            max_keys: DEFAULT_MAX_KEYS,
            sweep_every: DEFAULT_SWEEP_EVERY,
        }
    }

    /// Changes when idle keys are swept: above `max_keys` keys in a policy,
    /// and at least every `sweep_every`.
    pub fn with_housekeeping(mut self, max_keys: usize, sweep_every: Duration) -> Self {
        self.max_keys = max_keys.max(1);
        self.sweep_every = sweep_every;
        for policy in self.policies.values_mut() {
            let housekeeping = policy
                .housekeeping
                .get_mut()
                .unwrap_or_else(|e| e.into_inner());
            housekeeping.sweep_above = self.max_keys;
            housekeeping.next_sweep = Instant::now() + sweep_every;
        }
        self
    }

    /// The names of the configured policies.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }

    /// How many keys `policy` holds state for (`None`: no such policy).
    pub fn key_count(&self, policy: &str) -> Option<usize> {
        self.policies.get(policy).map(|p| p.limiter.len())
    }

    /// Sweeps idle keys from every policy now.
    pub fn housekeep(&self) {
        for policy in self.policies.values() {
            policy.sweep(self.max_keys, self.sweep_every);
        }
    }

    fn check_now(&self, policy: &str, key: String, cost: u32) -> Result<Decision, RateLimitError> {
        let p = self
            .policies
            .get(policy)
            .ok_or_else(|| RateLimitError::NoSuchPolicy(policy.to_string()))?;
        let Some(cost) = NonZeroU32::new(cost) else {
            return Ok(Decision::Allowed);
        };
        let decision = match p.limiter.check_key_n(&key, cost) {
            Err(governor::InsufficientCapacity(burst)) => {
                return Err(RateLimitError::CostExceedsBurst(burst));
            }
            Ok(Ok(())) => Decision::Allowed,
            Ok(Err(not_until)) => Decision::Limited {
                retry_after: not_until.wait_time_from(p.limiter.clock().now()),
            },
        };
        p.sweep_if_due(self.max_keys, self.sweep_every);
        Ok(decision)
    }
}

impl Policy {
    fn sweep_if_due(&self, max_keys: usize, sweep_every: Duration) {
        let due = {
            // Another thread sweeping now is as good as sweeping ourselves.
            let Ok(housekeeping) = self.housekeeping.try_lock() else {
                return;
            };
            self.limiter.len() > housekeeping.sweep_above
                || Instant::now() >= housekeeping.next_sweep
        };
        if due {
            self.sweep(max_keys, sweep_every);
        }
    }

    fn sweep(&self, max_keys: usize, sweep_every: Duration) {
        let mut housekeeping = self.housekeeping.lock().unwrap_or_else(|e| e.into_inner());
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        housekeeping.sweep_above = max_keys.max(2 * self.limiter.len());
        housekeeping.next_sweep = Instant::now() + sweep_every;
    }
}

impl RateLimitBackend for LocalRateLimiter {
    fn check(
        &self,
        policy: String,
        key: String,
        cost: u32,
    ) -> BoxFuture<'_, Result<Decision, RateLimitError>> {
        Box::pin(future::ready(self.check_now(&policy, key, cost)))
    }
}

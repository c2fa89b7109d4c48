//! The `rate-limit` capability: `check(policy, key, cost)` against named
//! GCRA policies, behind [`RateLimitBackend`].
//!
//! Policies ([`PolicyConfig`]: `limit` units per period, with a burst) are
//! checked once when the limiter is built. [`LocalRateLimiter`] keeps the
//! state in this process (governor keyed limiters) and sweeps idle keys so
//! memory stays bounded.

mod backend;
mod config;
mod local;

#[cfg(test)]
mod tests;

pub use backend::{Decision, RateLimitBackend, RateLimitError};
pub use config::{PolicyConfig, PolicyError};
pub use local::{DEFAULT_MAX_KEYS, DEFAULT_SWEEP_EVERY, LocalRateLimiter};

mod host;
pub use host::*;

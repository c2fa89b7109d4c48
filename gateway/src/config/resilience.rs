//! What keeps the gateway and its upstreams standing: load shedding caps,
//! the retry budget, per-instance circuit breakers, and the balancing
//! strategy.

use super::millis;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[gateway.shedding]`: requests beyond these caps are answered 503
/// `overloaded` at once instead of queueing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SheddingConfig {
    /// Requests in flight through the whole gateway.
    pub max_in_flight: usize,
    /// Requests in flight to one service (all its instances).
    pub max_in_flight_per_service: usize,
    /// The `Retry-After` sent with a shed request, in seconds.
    pub retry_after_secs: u32,
}

impl Default for SheddingConfig {
    fn default() -> Self {
        SheddingConfig {
            max_in_flight: 10_000,
            max_in_flight_per_service: 4_096,
            retry_after_secs: 1,
        }
    }
}

/// `[gateway.retry]`: retries draw from a budget refilled by requests, so
/// a failing upstream never sees more than `budget_ratio` extra load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Retries allowed per request passing through (0.2: one retry per
    /// five requests).
    pub budget_ratio: f64,
    /// Retries allowed each second regardless of traffic.
    pub min_retries_per_sec: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            budget_ratio: 0.2,
            min_retries_per_sec: 10,
        }
    }
}

/// `[gateway.breaker]`: a breaker per upstream instance. After
/// `consecutive_failures` failures in a row (connection failures, timeouts,
/// 502/503/504) the instance is ejected for `cool_down_ms`, then gets one
/// probe request (half-open); each ejection in a row doubles the cool-down
/// up to `max_cool_down_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerConfig {
    pub consecutive_failures: u32,
    #[serde(rename = "cool_down_ms", with = "millis")]
    pub cool_down: Duration,
    #[serde(rename = "max_cool_down_ms", with = "millis")]
    pub max_cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            consecutive_failures: 5,
            cool_down: Duration::from_secs(5),
            max_cool_down: Duration::from_secs(60),
        }
    }
}

/// How the next instance of a service is chosen among those not ejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalancerKind {
    #[default]
    RoundRobin,
    /// The instance with the fewest requests in flight from this gateway
    /// (round robin among equals).
    LeastOutstanding,
}

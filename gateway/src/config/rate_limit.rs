//! `[gateway.rate_limit]`: which limiter backs the limits (none, this
//! process, or Redis shared by every gateway replica) and the classes of
//! limits routes refer to, each limiting per client IP and per user.

use super::millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the rate-limit state lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimiterBackend {
    /// No rate limiting at all.
    Off,
    /// GCRA in this process (governor).
    #[default]
    Local,
    /// GCRA in Redis (an atomic Lua script), shared by every gateway using
    /// the same Redis and key prefix. Falls back to the local limiter while
    /// Redis is unreachable.
    Redis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub backend: LimiterBackend,
    pub redis_url: String,
    /// Deadline for one Redis round trip; past it the request is limited
    /// locally.
    #[serde(rename = "redis_timeout_ms", with = "millis")]
    pub redis_timeout: Duration,
    /// While degraded, how often one request tries Redis again.
    #[serde(rename = "redis_probe_interval_ms", with = "millis")]
    pub redis_probe_interval: Duration,
    /// Prefix of every Redis key (gateways sharing limits share it).
    pub redis_key_prefix: String,
    /// Idle keys of the local limiter are swept when a limiter holds more
    /// than this many keys, and at least every `sweep_interval_ms`.
    pub max_keys: usize,
    #[serde(rename = "sweep_interval_ms", with = "millis")]
    pub sweep_interval: Duration,
    /// Named classes, merged over the built-in `default` class.
    pub classes: BTreeMap<String, LimitClass>,
}

/// The limits of one class: each client IP, and each authenticated user,
/// gets its own bucket per class. A missing quota means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitClass {
    pub per_ip: Option<QuotaConfig>,
    pub per_user: Option<QuotaConfig>,
}

/// `limit` requests per `period_ms`, bursts of up to `burst` (default
/// `limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    pub limit: u32,
    pub period_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

impl QuotaConfig {
    /// `limit` requests per `period`, burst `limit`.
    pub fn new(limit: u32, period: Duration) -> Self {
        QuotaConfig {
            limit,
            period_ms: u64::try_from(period.as_millis()).unwrap_or(u64::MAX),
            burst: None,
        }
    }

    pub fn with_burst(self, burst: u32) -> Self {
        QuotaConfig {
            burst: Some(burst),
            ..self
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            backend: LimiterBackend::Local,
            redis_url: "redis://127.0.0.1:6379".to_owned(),
            redis_timeout: Duration::from_millis(50),
            redis_probe_interval: Duration::from_secs(1),
            redis_key_prefix: "sluice:gateway:rl:".to_owned(),
            max_keys: 100_000,
            sweep_interval: Duration::from_secs(10),
            classes: BTreeMap::new(),
        }
    }
}

impl RateLimitConfig {
    /// The built-in classes with the configured ones merged over them.
    /// `default` is generous: it stops floods, not busy clients or tests.
    pub fn effective_classes(&self) -> BTreeMap<String, LimitClass> {
        let second = Duration::from_secs(1);
        let mut classes = BTreeMap::from([(
            super::DEFAULT_CLASS.to_owned(),
            LimitClass {
                per_ip: Some(QuotaConfig::new(2_000, second).with_burst(4_000)),
                per_user: Some(QuotaConfig::new(1_000, second).with_burst(2_000)),
            },
        )]);
        classes.extend(self.classes.clone());
        classes
    }
}

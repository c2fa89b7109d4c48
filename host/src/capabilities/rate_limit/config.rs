//! [`PolicyConfig`] and its validation into a governor [`Quota`].

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;
use serde::Deserialize;

/// `limit` units per `period_ms`, with bursts of up to `burst` units
/// (default: `limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    pub limit: u32,
    pub period_ms: u64,
    #[serde(default)]
    pub burst: Option<u32>,
}

impl PolicyConfig {
    /// `limit` units per `period`, burst equal to `limit`.
    pub fn new(limit: u32, period: Duration) -> Self {
        Self {
            limit,
            period_ms: period.as_millis() as u64,
            burst: None,
        }
    }

    /// The same rate with another burst.
    pub fn with_burst(self, burst: u32) -> Self {
        Self {
            burst: Some(burst),
            ..self
        }
    }
}

/// A policy that cannot work, found at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a rate-limit policy has an empty name")]
    EmptyName,
    #[error("rate-limit policy `{0}` is configured twice")]
    Duplicate(String),
    #[error("rate-limit policy `{0}`: `limit` must be at least 1")]
    ZeroLimit(String),
    #[error("rate-limit policy `{0}`: `period_ms` must be at least 1")]
    ZeroPeriod(String),
    #[error("rate-limit policy `{0}`: `burst` must be at least 1")]
    ZeroBurst(String),
    #[error("rate-limit policy `{0}`: {1} units per {2} ms is finer than a nanosecond per unit")]
    TooFast(String, u32, u64),
}

/// Checks `config` and turns it into a quota: one unit back every
/// `period / limit`, at most `burst` units at once.
pub fn quota(name: &str, config: &PolicyConfig) -> Result<Quota, PolicyError> {
    if name.trim().is_empty() {
        return Err(PolicyError::EmptyName);
    }
    let named = || name.to_string();
    let limit = NonZeroU32::new(config.limit).ok_or_else(|| PolicyError::ZeroLimit(named()))?;
    if config.period_ms == 0 {
        return Err(PolicyError::ZeroPeriod(named()));
    }
    let burst = NonZeroU32::new(config.burst.unwrap_or(config.limit))
        .ok_or_else(|| PolicyError::ZeroBurst(named()))?;
    let interval = Duration::from_millis(config.period_ms) / limit.get();
    let quota = Quota::with_period(interval)
        .ok_or_else(|| PolicyError::TooFast(named(), config.limit, config.period_ms))?;
    Ok(quota.allow_burst(burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_policies_that_cannot_work() {
        let ok = PolicyConfig::new(10, Duration::from_secs(1));
        assert_eq!(quota("", &ok), Err(PolicyError::EmptyName));
        assert_eq!(quota("  ", &ok), Err(PolicyError::EmptyName));
        let zero = PolicyConfig::new(0, Duration::from_secs(1));
        assert_eq!(
            quota("login", &zero),
            Err(PolicyError::ZeroLimit("login".into()))
        );
        let instant = PolicyConfig::new(1, Duration::ZERO);
        assert_eq!(
            quota("login", &instant),
            Err(PolicyError::ZeroPeriod("login".into()))
        );
        assert_eq!(
            quota("login", &ok.with_burst(0)),
            Err(PolicyError::ZeroBurst("login".into()))
        );
        let message = quota("login", &zero).unwrap_err().to_string();
        assert!(
            message.contains("`login`") && message.contains("limit"),
            "{message}"
        );
    }

    #[test]
    fn the_quota_spreads_the_limit_over_the_period() {
        let q = quota("p", &PolicyConfig::new(10, Duration::from_secs(1))).unwrap();
        assert_eq!(q.replenish_interval(), Duration::from_millis(100));
        assert_eq!(q.burst_size().get(), 10);
        let q = quota(
            "p",
            &PolicyConfig::new(10, Duration::from_secs(1)).with_burst(3),
        )
        .unwrap();
        assert_eq!(q.burst_size().get(), 3);
    }

    #[test]
    fn parses_from_json() {
        let p: PolicyConfig = serde_json::from_str(r#"{"limit": 5, "period_ms": 60000}"#).unwrap();
        assert_eq!(p, PolicyConfig::new(5, Duration::from_secs(60)));
        assert!(serde_json::from_str::<PolicyConfig>(r#"{"limit": 5}"#).is_err());
    }
}

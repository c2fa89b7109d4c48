//! Brute-force protection through the host's rate limiter: policy names,
//! the client key, and turning a decision into a 429 with `Retry-After`.

use crate::errors::ApiError;
use crate::ports::{Decision, Host, Level, RateLimitError};

/// Per-client policy for login attempts.
pub const LOGIN_CLIENT: &str = "login-client";
/// Per-account policy for login attempts (keyed by normalised email).
pub const LOGIN_ACCOUNT: &str = "login-account";
/// Per-client policy for registrations.
pub const REGISTER_CLIENT: &str = "register-client";
/// The client key when no `x-forwarded-for` header names one.
pub const DIRECT: &str = "direct";

/// The rate-limit key of the client: the first entry of `x-forwarded-for`
/// (the gateway sets it, overwriting what the client sent), else `"direct"`.
pub fn client_key(forwarded_for: Option<&str>) -> String {
    forwarded_for
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .unwrap_or(DIRECT)
        .to_string()
}

/// `Retry-After` in whole seconds for a wait of `ms`: rounded up, at least 1.
pub fn retry_after_secs(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

/// Charges one attempt to `key` under `policy`. Limited is a 429. A policy
/// the operator did not configure is logged and allowed; an unusable one
/// (cost above its burst) is logged and is a 500.
pub async fn check(host: &impl Host, policy: &str, key: &str) -> Result<(), ApiError> {
    match host.rate_check(policy, key, 1).await {
        Ok(Decision::Allowed) => Ok(()),
        Ok(Decision::Limited(ms)) => Err(ApiError::RateLimited {
            retry_after_secs: retry_after_secs(ms),
        }),
        Err(RateLimitError::NoSuchPolicy(_)) => {
            host.log(
                Level::Warn,
                "rate-limit policy not configured; allowing",
                &[("policy", policy)],
            );
            Ok(())
        }
        Err(RateLimitError::CostExceedsBurst(cost)) => {
            let cost = cost.to_string();
            host.log(
                Level::Error,
                "rate-limit policy burst is below the cost of one attempt",
                &[("policy", policy), ("cost", &cost)],
            );
            Err(ApiError::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(0), 1);
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(999), 1);
        assert_eq!(retry_after_secs(1000), 1);
        assert_eq!(retry_after_secs(1001), 2);
        assert_eq!(retry_after_secs(2500), 3);
        assert_eq!(retry_after_secs(60_000), 60);
        assert_eq!(retry_after_secs(u64::MAX), u64::MAX.div_ceil(1000));
    }

    #[test]
    fn client_key_is_the_first_forwarded_entry() {
        assert_eq!(client_key(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_key(Some(" 203.0.113.7 , 10.0.0.1")), "203.0.113.7");
        assert_eq!(client_key(Some("2001:db8::1,10.0.0.1")), "2001:db8::1");
        assert_eq!(client_key(Some("")), "direct");
        assert_eq!(client_key(Some(" ,10.0.0.1")), "direct");
        assert_eq!(client_key(None), "direct");
    }
}

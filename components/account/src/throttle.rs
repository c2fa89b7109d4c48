//! Brute-force protection through the host's rate limiter: policy names,
//! the keys, turning a decision into a 429 with `Retry-After`, and the
//! per-account back-off that slows guessing without locking the owner out.

use crate::errors::{AccountError, ApiError};
use crate::ports::{Decision, Host, Level, RateLimitError};

/// Per-client policy for login attempts, over all accounts: one client
/// cannot spray guesses across many accounts.
pub const LOGIN_CLIENT: &str = "login-client";
/// Per-(account, client) policy for login attempts, keyed by
/// [`account_client_key`]. Exhausting it refuses only that client for that
/// account, so an attacker cannot lock the owner out from elsewhere.
pub const LOGIN_ACCOUNT_CLIENT: &str = "login-account-client";
/// Per-account policy for login attempts (keyed by normalised email). A
/// back-off, never a refusal: past it an attempt waits (see [`back_off`]),
/// since refusing would let anyone lock any account by failing for it.
pub const LOGIN_ACCOUNT: &str = "login-account";
/// Per-client policy for registrations.
pub const REGISTER_CLIENT: &str = "register-client";
/// The client key when no `x-forwarded-for` header names one.
pub const DIRECT: &str = "direct";
/// The longest one attempt waits in [`back_off`]: each guess at an account
/// past its budget costs that long, yet the owner, who shares the budget
/// with whoever is guessing, still gets in after at most that wait.
pub const MAX_BACKOFF_MS: u64 = 2_000;

/// The rate-limit key of the client: the first entry of `x-forwarded-for`,
/// else `"direct"`. The host overwrites that header at the service's front
/// door with the real client address (keeping a forwarded value only from
/// a configured proxy), so a client cannot choose its own key; the
/// component trusts the header for that reason alone.
pub fn client_key(forwarded_for: Option<&str>) -> String {
    forwarded_for
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .unwrap_or(DIRECT)
        .to_string()
}

/// The [`LOGIN_ACCOUNT_CLIENT`] key: `{email}|{client}`, `email` already
/// normalised (so `Bob@X.io` and `bob@x.io` share a budget). An email may
/// contain `|` but a client address never does, so the client is what
/// follows the last `|` and two different pairs never share a key.
pub fn account_client_key(email: &str, client: &str) -> String {
    format!("{email}|{client}")
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
        Ok(Decision::Limited(ms)) => Err(ApiError::Service(AccountError::RateLimited {
            retry_after_secs: retry_after_secs(ms),
        })),
        Err(e) => not_checked(host, policy, e),
    }
}

/// Charges one login attempt to the account `email` under [`LOGIN_ACCOUNT`].
/// Limited is not a refusal: the attempt waits `min(ms, MAX_BACKOFF_MS)`,
/// logs a warning naming the account, and goes on. Errors as in [`check`].
pub async fn back_off(host: &impl Host, email: &str) -> Result<(), ApiError> {
    match host.rate_check(LOGIN_ACCOUNT, email, 1).await {
        Ok(Decision::Allowed) => Ok(()),
        Ok(Decision::Limited(ms)) => {
            let wait = ms.min(MAX_BACKOFF_MS);
            host.log(
                Level::Warn,
                "login attempts over the account's budget; backing off",
                &[
                    ("policy", LOGIN_ACCOUNT),
                    ("account", email),
                    ("wait_ms", &wait.to_string()),
                ],
            );
            host.sleep_ms(wait).await;
            Ok(())
        }
        Err(e) => not_checked(host, LOGIN_ACCOUNT, e),
    }
}

/// A check that could not be made: an unconfigured policy is logged and
/// allowed (the operator chose not to limit), a burst below the cost is
/// logged and is a 500 (the operator's configuration is broken).
fn not_checked(host: &impl Host, policy: &str, err: RateLimitError) -> Result<(), ApiError> {
    match err {
        RateLimitError::NoSuchPolicy(_) => {
            host.log(
                Level::Warn,
                "rate-limit policy not configured; allowing",
                &[("policy", policy)],
            );
            Ok(())
        }
        RateLimitError::CostExceedsBurst(cost) => {
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

    #[test]
    fn account_client_key_is_email_then_client() {
        assert_eq!(
            account_client_key("bob@x.io", "203.0.113.7"),
            "bob@x.io|203.0.113.7"
        );
        assert_eq!(
            account_client_key("a|b@x.io", "2001:db8::1"),
            "a|b@x.io|2001:db8::1"
        );
    }
}

//! What the service needs from its host: the kit's ports its world imports
//! (`sql`, `token`, `clock`, `log`, and the monotonic clock's wait), which
//! the kit's glue implements with the real imports and its test host over
//! SQLite, plus the service's own links (`rate-limit`, `token-issuer`),
//! which the glue implements with the kit's bindings.
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

pub use sluice_kit::ports::*;

/// What the rate limiter decided (`rate-limit.decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Retry after this many milliseconds.
    Limited(u64),
}

/// Why a rate-limit check could not be made (`rate-limit.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitError {
    NoSuchPolicy(String),
    CostExceedsBurst(u32),
}

/// A freshly issued token (`token-issuer.issued`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub token: String,
    pub expires_in: u64,
}

/// The host's rate limiter (`rate-limit`).
pub trait RateLimiter {
    /// Charges `cost` to `key` under `policy` (`rate-limit.check`).
    async fn rate_check(
        &self,
        policy: &str,
        key: &str,
        cost: u32,
    ) -> Result<Decision, RateLimitError>;
}

/// Token issue (`token-issuer`); the signing key stays in the host.
pub trait TokenIssuer {
    /// Issues a token (`token-issuer.issue`) carrying `attributes`, sorted
    /// by key.
    fn issue_token(
        &self,
        subject: &str,
        role: &str,
        tenant: &str,
        attributes: &[(String, String)],
    ) -> Issued;
}

/// Every capability the service uses; [`Pause`] is the login back-off.
pub trait Host: Sql + Clock + Log + Tokens + Pause + RateLimiter + TokenIssuer {}

impl<T: Sql + Clock + Log + Tokens + Pause + RateLimiter + TokenIssuer> Host for T {}

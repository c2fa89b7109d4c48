//! The [`RateLimitBackend`] trait, [`Decision`] and [`RateLimitError`].

use std::time::Duration;

use futures::future::BoxFuture;

/// What the limiter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The request may go ahead; its cost was charged.
    Allowed,
    /// The request must wait this long before the same cost can pass.
    /// Nothing was charged.
    Limited { retry_after: Duration },
}

/// Why a check could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// No policy of this name is configured.
    #[error("no rate-limit policy named `{0}`")]
    NoSuchPolicy(String),
    /// The cost is larger than the policy's burst, so it can never pass;
    /// holds the burst (the largest cost that can).
    #[error("the cost is larger than the policy's burst of {0}")]
    CostExceedsBurst(u32),
}

/// Rate limiting by named policy and key. Object safe: the host holds one as
/// `Arc<dyn RateLimitBackend>`.
pub trait RateLimitBackend: Send + Sync {
    /// Charges `cost` units to `key` under `policy`, or says how long to
    /// wait. A cost of zero is always allowed and charges nothing.
    fn check(
        &self,
        policy: String,
        key: String,
        cost: u32,
    ) -> BoxFuture<'_, Result<Decision, RateLimitError>>;
}

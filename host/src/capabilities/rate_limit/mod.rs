//! TEMPORARY stub until the real backend lands.
mod host;
pub use host::*;
use futures::future::BoxFuture;
use std::time::Duration;
use std::collections::BTreeMap;
pub enum Decision { Allowed, Limited { retry_after: Duration } }
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError { #[error("a")] NoSuchPolicy(String), #[error("a")] CostExceedsBurst(u32) }
pub trait RateLimitBackend: Send + Sync {
    fn check<'a>(&'a self, policy: &'a str, key: &'a str, cost: u32) -> BoxFuture<'a, Result<Decision, RateLimitError>>;
}
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PolicyConfig { pub limit: u32, pub period_ms: u64, pub burst: Option<u32> }
pub struct LocalRateLimiter;
impl LocalRateLimiter { pub fn new(_: BTreeMap<String, PolicyConfig>) -> anyhow::Result<Self> { todo!() } }
impl RateLimitBackend for LocalRateLimiter {
    fn check<'a>(&'a self, _: &'a str, _: &'a str, _: u32) -> BoxFuture<'a, Result<Decision, RateLimitError>> { todo!() }
}

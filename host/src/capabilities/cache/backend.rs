//! The [`CacheBackend`] trait and [`CacheError`].

use std::time::Duration;

use futures::future::BoxFuture;

/// Why a cache operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// The backend did not answer in time or could not be reached; the
    /// caller should fall back to its source of truth.
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    /// The value at the key is not a (64-bit) integer, or the increment
    /// would overflow one.
    #[error("the cached value is not an integer")]
    NotANumber,
    /// Any other failure.
    #[error("cache error: {0}")]
    Other(String),
}

/// A key-value cache with expiry. Object safe: the host holds one as
/// `Arc<dyn CacheBackend>`. A TTL of zero means the backend's default TTL.
/// Integers are stored as their decimal text, so `get` after `increment`
/// returns e.g. `b"42"` on every backend.
pub trait CacheBackend: Send + Sync {
    /// The value at `key`, or `None` if absent or expired.
    fn get(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, CacheError>>;

    /// Stores `value` at `key` for `ttl`.
    fn set(
        &self,
        key: String,
        value: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<(), CacheError>>;

    /// Removes `key`; removing an absent key is not an error.
    fn delete(&self, key: String) -> BoxFuture<'_, Result<(), CacheError>>;

    /// Atomically adds `delta` to the integer at `key` (absent counts as 0)
    /// and returns the new value; the TTL is set only when the key is created.
    fn increment(
        &self,
        key: String,
        delta: i64,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<i64, CacheError>>;
}

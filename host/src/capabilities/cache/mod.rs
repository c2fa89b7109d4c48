//! TEMPORARY stub until the real backend lands.
mod host;
pub use host::*;
use futures::future::BoxFuture;
use std::time::Duration;
use std::sync::Arc;
#[derive(Debug, thiserror::Error)]
pub enum CacheError { #[error("a")] Unavailable(String), #[error("a")] NotANumber, #[error("a")] Other(String) }
pub trait CacheBackend: Send + Sync {
    fn get(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, CacheError>>;
    fn set(&self, key: String, value: Vec<u8>, ttl: Option<Duration>) -> BoxFuture<'_, Result<(), CacheError>>;
    fn delete(&self, key: String) -> BoxFuture<'_, Result<(), CacheError>>;
    fn increment(&self, key: String, delta: i64, ttl: Option<Duration>) -> BoxFuture<'_, Result<i64, CacheError>>;
}
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CacheConfig {}
impl CacheConfig { pub fn redis(_url: String) -> Self { todo!() } }
pub async fn connect_cache(_: &CacheConfig) -> anyhow::Result<Arc<dyn CacheBackend>> { todo!() }

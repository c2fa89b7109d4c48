//! The `cache` WIT interface over a `CacheBackend`. Keys are prefixed with
//! the service name, so one service never reads another's entries.

use super::{CacheBackend, CacheError};
use crate::bindings::cache as wit;
use crate::state::ComponentState;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Accessor, HasData, Linker};

/// One service's view of the cache.
#[derive(Clone)]
pub struct CacheState {
    pub backend: Arc<dyn CacheBackend>,
    /// Prepended to every key: "<service>:".
    pub namespace: String,
}

/// Marker: the cache state lives in `ServiceCapabilities::cache`.
pub struct CacheCapability;

impl HasData for CacheCapability {
    type Data<'a> = &'a CacheState;
}

impl wit::Host for &CacheState {}

fn scoped<T>(
    accessor: &Accessor<T, CacheCapability>,
    key: &str,
) -> (Arc<dyn CacheBackend>, String) {
    accessor.with(|mut access| {
        let state = access.get();
        (state.backend.clone(), format!("{}{key}", state.namespace))
    })
}

impl<T> wit::HostWithStore<T> for CacheCapability {
    #[tracing::instrument(level = "debug", name = "cache.get", skip(accessor))]
    async fn get(accessor: &Accessor<T, Self>, key: String) -> Result<Option<Vec<u8>>, wit::Error> {
        let (cache, key) = scoped(accessor, &key);
        Ok(cache.get(key).await?)
    }

    #[tracing::instrument(level = "debug", name = "cache.set", skip(accessor, value))]
    async fn set(
        accessor: &Accessor<T, Self>,
        key: String,
        value: Vec<u8>,
        ttl_ms: u64,
    ) -> Result<(), wit::Error> {
        let (cache, key) = scoped(accessor, &key);
        Ok(cache.set(key, value, ttl(ttl_ms)).await?)
    }

    #[tracing::instrument(level = "debug", name = "cache.delete", skip(accessor))]
    async fn delete(accessor: &Accessor<T, Self>, key: String) -> Result<(), wit::Error> {
        let (cache, key) = scoped(accessor, &key);
        Ok(cache.delete(key).await?)
    }

    #[tracing::instrument(level = "debug", name = "cache.increment", skip(accessor))]
    async fn increment(
        accessor: &Accessor<T, Self>,
        key: String,
        delta: i64,
        ttl_ms: u64,
    ) -> Result<i64, wit::Error> {
        let (cache, key) = scoped(accessor, &key);
        Ok(cache.increment(key, delta, ttl(ttl_ms)).await?)
    }
}

/// 0 asks for the backend's default TTL.
fn ttl(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

impl From<CacheError> for wit::Error {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::Unavailable(m) => wit::Error::Unavailable(m),
            CacheError::NotANumber => wit::Error::NotANumber,
            CacheError::Other(m) => wit::Error::Other(m),
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, CacheCapability>(linker, |s| &s.caps.cache)
}

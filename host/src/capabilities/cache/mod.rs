//! The `cache` capability: get, set with TTL, delete and atomic increment,
//! behind [`CacheBackend`].
//!
//! [`InProcessCache`] is the embedded default (bounded, per-entry TTL, LRU
//! eviction); [`RedisCache`] shares the cache between nodes, prefixes every
//! key per deployment and component, and bounds every operation with a
//! timeout so a slow or absent Redis turns into `Unavailable`, never a hang.
//! [`CacheConfig`] chooses between them and [`build`] makes one.

mod backend;
mod config;
mod in_process;
mod redis_cache;

#[cfg(test)]
mod tests;

pub use backend::{CacheBackend, CacheError};
pub use config::{CacheConfig, build};
pub use in_process::InProcessCache;
pub use redis_cache::RedisCache;

mod host;
pub use host::*;

//! [`CacheConfig`]: which cache a deployment uses, and [`build`] to make it.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{CacheBackend, CacheError, InProcessCache, RedisCache};

/// The cache backend and its settings.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CacheConfig {
    /// A cache in this process's memory (the embedded default).
    InProcess {
        #[serde(default = "default_max_entries")]
        max_entries: usize,
        #[serde(default = "default_ttl_ms")]
        default_ttl_ms: u64,
    },
    /// Redis, shared by every node.
    Redis {
        url: String,
        /// Put before every key, e.g. `sluice:<deployment>:<component>:`.
        #[serde(default)]
        prefix: String,
        /// The longest an operation may take before it is `Unavailable`.
        #[serde(default = "default_op_timeout_ms")]
        op_timeout_ms: u64,
        #[serde(default = "default_ttl_ms")]
        default_ttl_ms: u64,
    },
}

fn default_max_entries() -> usize {
    10_000
}

fn default_ttl_ms() -> u64 {
    300_000
}

fn default_op_timeout_ms() -> u64 {
    50
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self::InProcess {
            max_entries: default_max_entries(),
            default_ttl_ms: default_ttl_ms(),
        }
    }
}

impl CacheConfig {
    /// Redis at `url` with `prefix` and the default timeout and TTL.
    pub fn redis(url: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self::Redis {
            url: url.into(),
            prefix: prefix.into(),
            op_timeout_ms: default_op_timeout_ms(),
            default_ttl_ms: default_ttl_ms(),
        }
    }
}

/// Prints a Redis URL without its password.
impl std::fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InProcess {
                max_entries,
                default_ttl_ms,
            } => f
                .debug_struct("InProcess")
                .field("max_entries", max_entries)
                .field("default_ttl_ms", default_ttl_ms)
                .finish(),
            Self::Redis {
                url,
                prefix,
                op_timeout_ms,
                default_ttl_ms,
            } => f
                .debug_struct("Redis")
                .field("url", &redact_password(url))
                .field("prefix", prefix)
                .field("op_timeout_ms", op_timeout_ms)
                .field("default_ttl_ms", default_ttl_ms)
                .finish(),
        }
    }
}

/// `redis://user:secret@host` -> `redis://user:[redacted]@host`.
fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let userinfo = &url[start + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:[redacted]{}", &url[..start + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Makes the cache `config` describes. Never connects: a Redis that is down
/// makes operations `Unavailable` until it is up, not this fail.
pub fn build(config: &CacheConfig) -> Result<Arc<dyn CacheBackend>, CacheError> {
    Ok(match config {
        CacheConfig::InProcess {
            max_entries,
            default_ttl_ms,
        } => Arc::new(InProcessCache::new(
            *max_entries,
            Duration::from_millis(*default_ttl_ms),
        )),
        CacheConfig::Redis {
            url,
            prefix,
            op_timeout_ms,
            default_ttl_ms,
        } => Arc::new(RedisCache::new(
            url,
            prefix.clone(),
            Duration::from_millis(*op_timeout_ms),
            Duration::from_millis(*default_ttl_ms),
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_redis_password() {
        let printed = format!(
            "{:?}",
            CacheConfig::redis("redis://:s3cret@cache:6379/0", "p:")
        );
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(
            printed.contains("redis://:[redacted]@cache:6379/0"),
            "{printed}"
        );
    }

    #[test]
    fn parses_from_json() {
        let config: CacheConfig = serde_json::from_str(
            r#"{"kind": "redis", "url": "redis://127.0.0.1:6379", "prefix": "d:c:"}"#,
        )
        .unwrap();
        assert_eq!(config, CacheConfig::redis("redis://127.0.0.1:6379", "d:c:"));
        let config: CacheConfig = serde_json::from_str(r#"{"kind": "in-process"}"#).unwrap();
        assert_eq!(config, CacheConfig::default());
        assert!(serde_json::from_str::<CacheConfig>(r#"{"kind": "memcached"}"#).is_err());
    }
}

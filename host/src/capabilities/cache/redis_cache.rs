//! [`RedisCache`]: the cache in Redis, shared by every node, with a key
//! prefix per deployment and component and a time limit on every operation.
//!
//! Construction never touches the network. The first connection is made by
//! a background task that keeps retrying until Redis answers; until then
//! operations fail fast with `Unavailable`. Once connected, redis's
//! `ConnectionManager` reconnects by itself after Redis restarts.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use tokio::sync::watch;

use super::{CacheBackend, CacheError};

/// Adds to an integer and sets the expiry only when the key has none, i.e.
/// when INCRBY just created it: atomic, unlike INCRBY followed by PEXPIRE.
static INCREMENT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
",
    )
});

/// Longest pause between two attempts at the first connection.
const MAX_CONNECT_BACKOFF: Duration = Duration::from_secs(2);

/// A Redis-backed cache. Cheap to clone; clones made with
/// [`RedisCache::with_prefix`] share the connection.
#[derive(Clone)]
pub struct RedisCache {
    connection: Arc<Connector>,
    prefix: String,
    op_timeout: Duration,
    default_ttl: Duration,
}

/// The one connection, made in the background.
struct Connector {
    client: Client,
    ready: watch::Receiver<Option<ConnectionManager>>,
    publish: watch::Sender<Option<ConnectionManager>>,
    started: std::sync::Once,
}

impl RedisCache {
    /// A cache at `url` (`redis://host:port/db`) whose keys all start with
    /// `prefix`. Fails only on a malformed URL; Redis itself may be down.
    pub fn new(
        url: &str,
        prefix: impl Into<String>,
        op_timeout: Duration,
        default_ttl: Duration,
    ) -> Result<Self, CacheError> {
        let client =
            Client::open(url).map_err(|e| CacheError::Other(format!("invalid redis URL: {e}")))?;
        let (publish, ready) = watch::channel(None);
        let cache = Self {
            connection: Arc::new(Connector {
                client,
                ready,
                publish,
                started: std::sync::Once::new(),
            }),
            prefix: prefix.into(),
            op_timeout,
            default_ttl,
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            cache.connection.start(op_timeout);
        }
        Ok(cache)
    }

    /// The same connection and settings with another key prefix, e.g. one
    /// per component.
    pub fn with_prefix(&self, prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..self.clone()
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn ttl_ms(&self, ttl: Duration) -> u64 {
        let ttl = if ttl.is_zero() { self.default_ttl } else { ttl };
        (ttl.as_millis() as u64).max(1)
    }

    /// Runs `op` on the connection, all within the operation timeout.
    async fn run<T, F>(&self, op: impl FnOnce(ConnectionManager) -> F) -> Result<T, CacheError>
    where
        F: Future<Output = Result<T, RedisError>>,
    {
        let work = async {
            let connection = self.connection.get(self.op_timeout).await;
            op(connection).await.map_err(from_redis)
        };
        tokio::time::timeout(self.op_timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(CacheError::Unavailable(format!(
                    "redis did not answer within {} ms",
                    self.op_timeout.as_millis()
                )))
            })
    }
}

impl Connector {
    /// Starts the background task that makes the first connection, once.
    fn start(self: &Arc<Self>, op_timeout: Duration) {
        self.started.call_once(|| {
            let weak = Arc::downgrade(self);
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(op_timeout.max(Duration::from_millis(500)))
                // Also drop answers nobody waits for any more from the
                // connection's queue while Redis stalls.
                .set_response_timeout(op_timeout)
                .set_number_of_retries(3)
                .set_max_delay(1_000);
            tokio::spawn(async move {
                let mut backoff = Duration::from_millis(50);
                loop {
                    // Stop when the cache has been dropped.
                    let Some(client) = weak.upgrade().map(|c| c.client.clone()) else {
                        return;
                    };
                    match ConnectionManager::new_with_config(client, config.clone()).await {
                        Ok(manager) => {
                            if let Some(this) = weak.upgrade() {
                                this.publish.send_replace(Some(manager));
                            }
                            return;
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "redis not reachable yet; retrying");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_CONNECT_BACKOFF);
                        }
                    }
                }
            });
        });
    }

    /// The connection, waiting for the first one to be made (the caller
    /// bounds the wait).
    async fn get(self: &Arc<Self>, op_timeout: Duration) -> ConnectionManager {
        self.start(op_timeout);
        let mut ready = self.ready.clone();
        loop {
            if let Some(manager) = ready.borrow_and_update().clone() {
                return manager;
            }
            if ready.changed().await.is_err() {
                // The sender lives in `self`, so this cannot happen.
                std::future::pending::<()>().await;
            }
        }
    }
}

fn from_redis(error: RedisError) -> CacheError {
    if error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
    {
        CacheError::Unavailable(error.to_string())
    } else if error.to_string().contains("not an integer") {
        CacheError::NotANumber
    } else {
        CacheError::Other(error.to_string())
    }
}

impl CacheBackend for RedisCache {
    fn get(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, CacheError>> {
        let key = self.key(&key);
        Box::pin(
            self.run(
                move |mut c| async move { redis::cmd("GET").arg(key).query_async(&mut c).await },
            ),
        )
    }

    fn set(
        &self,
        key: String,
        value: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<(), CacheError>> {
        let (key, ttl_ms) = (self.key(&key), self.ttl_ms(ttl));
        Box::pin(self.run(move |mut c| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut c)
                .await
        }))
    }

    fn delete(&self, key: String) -> BoxFuture<'_, Result<(), CacheError>> {
        let key = self.key(&key);
        Box::pin(
            self.run(
                move |mut c| async move { redis::cmd("DEL").arg(key).query_async(&mut c).await },
            ),
        )
    }

    fn increment(
        &self,
        key: String,
        delta: i64,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<i64, CacheError>> {
        let (key, ttl_ms) = (self.key(&key), self.ttl_ms(ttl));
        Box::pin(self.run(move |mut c| async move {
            INCREMENT
                .key(key)
                .arg(delta)
                .arg(ttl_ms)
                .invoke_async(&mut c)
                .await
        }))
    }
}

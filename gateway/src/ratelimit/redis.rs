//! [`RedisGcra`]: the GCRA of [`gcra.lua`](./gcra.lua) run atomically in
//! Redis, so every gateway replica using the same Redis and key prefix
//! shares one bucket per key. Each call has a deadline; the connection is
//! made lazily and re-made by the connection manager after a failure.
//!
//! Every call runs on the runtime the gateway was bound on, not on the
//! serving thread that asks: a connection is driven by the runtime that
//! made it, and a serving thread's runtime is busy with guests and ends
//! at shutdown, while every thread shares the one connection.

use super::gcra::{Decision, Gcra};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::runtime::Handle;

/// Why Redis gave no decision.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedisLimitError {
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error("the gateway's runtime has stopped")]
    Stopped,
}

pub(crate) struct RedisGcra {
    inner: Arc<Inner>,
    runtime: Handle,
}

struct Inner {
    client: redis::Client,
    connection: RwLock<Option<ConnectionManager>>,
    script: redis::Script,
    timeout: Duration,
}

impl RedisGcra {
    /// Checks the URL; connects on first use (or [`connection`](Self::connection)).
    /// Must be called on the runtime that is to drive the connection.
    pub(crate) fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|error| anyhow::anyhow!("rate_limit.redis_url {url:?}: {error}"))?;
        Ok(RedisGcra {
            inner: Arc::new(Inner {
                client,
                connection: RwLock::new(None),
                script: redis::Script::new(include_str!("gcra.lua")),
                timeout,
            }),
            runtime: Handle::try_current()?,
        })
    }

    /// Takes one unit from the bucket at `key`.
    pub(crate) async fn check(&self, key: &str, gcra: Gcra) -> Result<Decision, RedisLimitError> {
        let (inner, key) = (self.inner.clone(), key.to_owned());
        self.runtime
            .spawn(async move { inner.check(&key, gcra).await })
            .await
            .map_err(|_| RedisLimitError::Stopped)?
    }

    /// The shared connection, made now if there is none yet.
    pub(crate) async fn connection(&self) -> Result<ConnectionManager, RedisLimitError> {
        let inner = self.inner.clone();
        self.runtime
            .spawn(async move { inner.connection().await })
            .await
            .map_err(|_| RedisLimitError::Stopped)?
    }
}

impl Inner {
    async fn check(&self, key: &str, gcra: Gcra) -> Result<Decision, RedisLimitError> {
        let mut connection = self.connection().await?;
        let interval_us = u64::try_from(gcra.interval.as_micros()).unwrap_or(u64::MAX);
        let mut invocation = self.script.key(key);
        invocation.arg(interval_us).arg(gcra.burst.get());
        let call = invocation.invoke_async::<(u8, u32, u64, u64)>(&mut connection);
        let (allowed, remaining, retry_after_us, reset_us) =
            tokio::time::timeout(self.timeout, call)
                .await
                .map_err(|_| RedisLimitError::Timeout(self.timeout))??;
        let mut decision = if allowed == 1 {
            gcra.allowed(remaining)
        } else {
            gcra.refused(Duration::from_micros(retry_after_us))
        };
        decision.reset = Duration::from_micros(reset_us);
        Ok(decision)
    }

    async fn connection(&self) -> Result<ConnectionManager, RedisLimitError> {
        if let Some(connection) = self.cached() {
            return Ok(connection);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1)
            .set_max_delay(1000);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        let connection =
            tokio::time::timeout(self.timeout.max(Duration::from_millis(500)), connect)
                .await
                .map_err(|_| RedisLimitError::Timeout(self.timeout))??;
        *self.connection.write().unwrap_or_else(|e| e.into_inner()) = Some(connection.clone());
        Ok(connection)
    }

    fn cached(&self) -> Option<ConnectionManager> {
        self.connection
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

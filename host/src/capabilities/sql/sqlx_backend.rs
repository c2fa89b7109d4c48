//! [`SqlxBackend`]: the [`SqlBackend`] over sqlx's PostgreSQL and MySQL
//! drivers, the engine chosen by the URL's scheme. (SQLite has its own,
//! [`super::SqliteBackend`].)

use std::str::FromStr;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::Connection as _;
use sqlx::mysql::{MySql, MySqlConnectOptions};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, Postgres};

use super::runner::Runner;
use super::sqlx_error::from_sqlx;
use super::{Dialect, Rows, SqlBackend, SqlConfig, SqlError, Statement, Value};

/// A pooled database, one of the two engines.
pub struct SqlxBackend {
    engine: Pools,
}

enum Pools {
    Postgres(Runner<Postgres>),
    Mysql(Runner<MySql>),
}

/// Runs `$body` with `$runner` bound to whichever engine this is.
macro_rules! on_engine {
    ($engine:expr, $runner:ident => $body:expr) => {
        match $engine {
            Pools::Postgres($runner) => $body,
            Pools::Mysql($runner) => $body,
        }
    };
}

impl SqlxBackend {
    /// Opens a pool for `config.url` and checks that one connection works.
    pub async fn connect(config: &SqlConfig) -> Result<Self, SqlError> {
        let url = config.url.as_str();
        let dialect = Dialect::from_url(url).ok_or_else(|| {
            SqlError::Other(format!(
                "unsupported database URL `{}`: expected postgres:// or mysql://",
                super::config::redact_url(url)
            ))
        })?;
        let engine = match dialect {
            Dialect::Sqlite => {
                return Err(SqlError::Other(
                    "a sqlite:// URL is served by SqliteBackend".into(),
                ));
            }
            Dialect::Postgres => Pools::Postgres(Runner {
                pool: pool_options(config)
                    .connect_with(PgConnectOptions::from_str(url).map_err(from_sqlx)?)
                    .await
                    .map_err(from_sqlx)?,
            }),
            Dialect::Mysql => {
                let url = url.replacen("mariadb:", "mysql:", 1);
                Pools::Mysql(Runner {
                    pool: pool_options(config)
                        .connect_with(MySqlConnectOptions::from_str(&url).map_err(from_sqlx)?)
                        .await
                        .map_err(from_sqlx)?,
                })
            }
        };
        Ok(Self { engine })
    }

    /// Closes every connection; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        on_engine!(&self.engine, r => r.pool.close().await)
    }
}

/// A pooled connection idle for longer than this is pinged before it is
/// used, so one the server closed meanwhile (a restart, an idle timeout) is
/// replaced instead of failing a request.
pub(super) const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The pool's settings. By default sqlx pings every connection it hands
/// out: one more round trip before each query and each batch. Here only
/// connections idle for longer than [`PING_IF_IDLE_FOR`] are pinged; under
/// load none are.
fn pool_options<DB: sqlx::Database>(config: &SqlConfig) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .test_before_acquire(false)
        .before_acquire(|conn: &mut DB::Connection, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

impl SqlBackend for SqlxBackend {
    fn dialect(&self) -> Dialect {
        match self.engine {
            Pools::Postgres(_) => Dialect::Postgres,
            Pools::Mysql(_) => Dialect::Mysql,
        }
    }

    fn query(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<Rows, SqlError>> {
        Box::pin(async move { on_engine!(&self.engine, r => r.query(&sql, &params).await) })
    }

    fn execute(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<u64, SqlError>> {
        Box::pin(async move { on_engine!(&self.engine, r => r.execute(&sql, &params).await) })
    }

    fn batch(&self, statements: Vec<Statement>) -> BoxFuture<'_, Result<Vec<u64>, SqlError>> {
        Box::pin(async move { on_engine!(&self.engine, r => r.batch(&statements).await) })
    }
}

//! [`SqlxBackend`]: the [`SqlBackend`] over sqlx's SQLite, PostgreSQL and
//! MySQL drivers, the engine chosen by the URL's scheme.

use std::str::FromStr;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::mysql::{MySql, MySqlConnectOptions};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use super::runner::Runner;
use super::{Dialect, Rows, SqlBackend, SqlConfig, SqlError, Statement, Value};

/// A pooled database, one of the three engines.
pub struct SqlxBackend {
    engine: Pools,
    /// SQLite only: writers take turns here, in arrival order. SQLite has
    /// one writer at a time; left to itself, a writer that finds the lock
    /// taken sleeps and retries (its busy handler backs off up to 100 ms),
    /// which under contention gives long, unfair tails. Readers never wait
    /// (WAL).
    writers: tokio::sync::Mutex<()>,
}

enum Pools {
    Sqlite(Runner<Sqlite>),
    Postgres(Runner<Postgres>),
    Mysql(Runner<MySql>),
}

/// Runs `$body` with `$runner` bound to whichever engine this is.
macro_rules! on_engine {
    ($engine:expr, $runner:ident => $body:expr) => {
        match $engine {
            Pools::Sqlite($runner) => $body,
            Pools::Postgres($runner) => $body,
            Pools::Mysql($runner) => $body,
        }
    };
}

impl SqlxBackend {
    /// Opens a pool for `config.url` and checks that one connection works.
    /// A SQLite file is created if missing and put in WAL mode, with a busy
    /// timeout so that concurrent writers wait for each other.
    pub async fn connect(config: &SqlConfig) -> Result<Self, SqlError> {
        let url = config.url.as_str();
        let dialect = Dialect::from_url(url).ok_or_else(|| {
            SqlError::Other(format!(
                "unsupported database URL `{}`: expected sqlite://, postgres:// or mysql://",
                super::config::redact_url(url)
            ))
        })?;
        let timeout = Duration::from_millis(config.acquire_timeout_ms);
        let engine = match dialect {
            Dialect::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(timeout)
                    .foreign_keys(true);
                Pools::Sqlite(Runner {
                    pool: pool_options(config).connect_with(options).await?,
                })
            }
            Dialect::Postgres => Pools::Postgres(Runner {
                pool: pool_options(config)
                    .connect_with(PgConnectOptions::from_str(url)?)
                    .await?,
            }),
            Dialect::Mysql => {
                let url = url.replacen("mariadb:", "mysql:", 1);
                Pools::Mysql(Runner {
                    pool: pool_options(config)
                        .connect_with(MySqlConnectOptions::from_str(&url)?)
                        .await?,
                })
            }
        };
        Ok(Self {
            engine,
            writers: tokio::sync::Mutex::new(()),
        })
    }

    /// On SQLite, this writer's turn (held until the write commits).
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.engine {
            Pools::Sqlite(_) => Some(self.writers.lock().await),
            _ => None,
        }
    }

    /// Closes every connection; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        on_engine!(&self.engine, r => r.pool.close().await)
    }
}

fn pool_options<DB: sqlx::Database>(config: &SqlConfig) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
}

impl SqlBackend for SqlxBackend {
    fn dialect(&self) -> Dialect {
        match self.engine {
            Pools::Sqlite(_) => Dialect::Sqlite,
            Pools::Postgres(_) => Dialect::Postgres,
            Pools::Mysql(_) => Dialect::Mysql,
        }
    }

    fn query(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<Rows, SqlError>> {
        Box::pin(async move { on_engine!(&self.engine, r => r.query(&sql, &params).await) })
    }

    fn execute(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<u64, SqlError>> {
        Box::pin(async move {
            let _turn = self.write_turn().await;
            on_engine!(&self.engine, r => r.execute(&sql, &params).await)
        })
    }

    fn batch(&self, statements: Vec<Statement>) -> BoxFuture<'_, Result<Vec<u64>, SqlError>> {
        Box::pin(async move {
            let _turn = self.write_turn().await;
            on_engine!(&self.engine, r => r.batch(&statements).await)
        })
    }
}

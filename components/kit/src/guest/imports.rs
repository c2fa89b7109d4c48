//! [`Imports`]: the component's imports as the kit's ports. A component
//! imports only the interfaces its code calls (wit-component drops the
//! rest), so implementing every port here costs a service nothing.

use super::bindings::sluice::platform::{cache, clock, config, log, sql, token};
use super::bindings::wasi::clocks::monotonic_clock;
use crate::ports::{
    Cache, CacheError, Claims, Clock, Level, Log, Pause, Rows, Settings, Sql, SqlError, Statement,
    TokenError, Tokens, Value,
};

/// The imports of the running component.
pub struct Imports;

impl Sql for Imports {
    async fn query(&self, text: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        let rows = sql::query(text.to_string(), params)
            .await
            .map_err(from_sql_error)?;
        Ok(from_rows(rows))
    }

    async fn execute(&self, text: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        sql::execute(text.to_string(), params)
            .await
            .map_err(from_sql_error)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let statements = statements.into_iter().map(to_statement).collect();
        sql::batch(statements).await.map_err(from_sql_error)
    }
}

impl Cache for Imports {
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        cache::get(key.to_string()).await.map_err(from_cache_error)
    }

    async fn cache_set(&self, key: &str, value: Vec<u8>, ttl_ms: u64) -> Result<(), CacheError> {
        cache::set(key.to_string(), value, ttl_ms)
            .await
            .map_err(from_cache_error)
    }

    async fn cache_delete(&self, key: &str) -> Result<(), CacheError> {
        cache::delete(key.to_string())
            .await
            .map_err(from_cache_error)
    }

    async fn cache_increment(&self, key: &str, delta: i64, ttl_ms: u64) -> Result<i64, CacheError> {
        cache::increment(key.to_string(), delta, ttl_ms)
            .await
            .map_err(from_cache_error)
    }
}

impl Clock for Imports {
    fn now_ms(&self) -> u64 {
        clock::now_ms()
    }
}

impl Log for Imports {
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let level = match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        log::log(level, message, &fields);
    }
}

impl Tokens for Imports {
    fn verify_token(&self, jwt: &str) -> Result<Claims, TokenError> {
        token::verify(jwt).map(from_claims).map_err(|e| match e {
            token::Error::Invalid => TokenError::Invalid,
            token::Error::Expired => TokenError::Expired,
        })
    }
}

impl Settings for Imports {
    fn setting(&self, key: &str) -> Option<String> {
        config::get(key)
    }
}

impl Pause for Imports {
    async fn sleep_ms(&self, ms: u64) {
        monotonic_clock::wait_for(ms.saturating_mul(1_000_000)).await;
    }
}

/// The WIT claims as the kit's.
pub fn from_claims(c: token::Claims) -> Claims {
    Claims {
        subject: c.subject,
        role: c.role,
        tenant: c.tenant,
        attributes: c.attributes,
        expires_at: c.expires_at,
    }
}

/// A value as the WIT's.
pub fn to_sql(v: Value) -> sql::Value {
    match v {
        Value::Null => sql::Value::Null,
        Value::Integer(n) => sql::Value::Integer(n),
        Value::Real(x) => sql::Value::Real(x),
        Value::Text(s) => sql::Value::Text(s),
        Value::Blob(b) => sql::Value::Blob(b),
    }
}

/// A statement as the WIT's.
pub fn to_statement(s: Statement) -> sql::Statement {
    sql::Statement {
        sql: s.sql,
        params: s.params.into_iter().map(to_sql).collect(),
        expect_rows: s.expect_rows,
    }
}

/// A value from the WIT's.
pub fn from_sql(v: sql::Value) -> Value {
    match v {
        sql::Value::Null => Value::Null,
        sql::Value::Integer(n) => Value::Integer(n),
        sql::Value::Real(x) => Value::Real(x),
        sql::Value::Text(s) => Value::Text(s),
        sql::Value::Blob(b) => Value::Blob(b),
    }
}

/// Rows from the WIT's.
pub fn from_rows(rows: sql::Rows) -> Rows {
    Rows {
        columns: rows.columns,
        rows: rows
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(from_sql).collect())
            .collect(),
    }
}

/// An SQL error from the WIT's.
pub fn from_sql_error(e: sql::Error) -> SqlError {
    match e {
        sql::Error::ConstraintViolation(m) => SqlError::ConstraintViolation(m),
        sql::Error::ExpectationFailed(i) => SqlError::ExpectationFailed(i),
        sql::Error::InvalidStatement(m) => SqlError::InvalidStatement(m),
        sql::Error::Unavailable(m) => SqlError::Unavailable(m),
        sql::Error::Other(m) => SqlError::Other(m),
    }
}

fn from_cache_error(e: cache::Error) -> CacheError {
    match e {
        cache::Error::Unavailable(m) => CacheError::Unavailable(m),
        cache::Error::NotANumber => CacheError::NotANumber,
        cache::Error::Other(m) => CacheError::Other(m),
    }
}

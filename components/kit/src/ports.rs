//! The host's shared capabilities as plain Rust traits: what a service's
//! logic calls, what the wasm glue (`guest`, on wasm) implements with the
//! WIT imports, and what the test host (`testing`) implements over an
//! in-memory SQLite. A service's own `ports::Host` is the sum of the ones
//! its world imports plus its own links (`stock`, `quote`, ...).
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

pub use crate::sql::{Rows, SqlError, Statement, Value};
pub use crate::token::{Claims, TokenError};

/// The service's own database (`sql` import).
pub trait Sql {
    /// Runs a query and returns all rows.
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError>;
    /// Runs a statement and returns the number of rows affected.
    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, SqlError>;
    /// Runs statements in one transaction, all or none.
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError>;
}

/// Why a cache operation failed (`cache.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// The backend did not answer in time: fall back to the database.
    Unavailable(String),
    NotANumber,
    Other(String),
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheError::Unavailable(m) => write!(f, "cache unavailable: {m}"),
            CacheError::NotANumber => write!(f, "cached value is not a number"),
            CacheError::Other(m) => write!(f, "cache error: {m}"),
        }
    }
}

/// The shared cache (`cache` import); keys are already namespaced by the
/// host.
pub trait Cache {
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    async fn cache_set(&self, key: &str, value: Vec<u8>, ttl_ms: u64) -> Result<(), CacheError>;
    async fn cache_delete(&self, key: &str) -> Result<(), CacheError>;
    async fn cache_increment(&self, key: &str, delta: i64, ttl_ms: u64) -> Result<i64, CacheError>;
}

/// Log levels (`log.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Wall-clock time (`clock`).
pub trait Clock {
    /// Milliseconds since the Unix epoch (`clock.now-ms`).
    fn now_ms(&self) -> u64;
}

/// Structured logs (`log`).
pub trait Log {
    /// One record (`log.log`).
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
}

/// Token verification (`token`); the signing key stays in the host.
pub trait Tokens {
    /// Verifies a token (`token.verify`).
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError>;
}

/// The service's settings (`config`).
pub trait Settings {
    /// A setting of this service (`config.get`).
    fn setting(&self, key: &str) -> Option<String>;
}

/// Waiting without holding a thread (`wasi:clocks/monotonic-clock.wait-for`).
pub trait Pause {
    /// Resumes after `ms` milliseconds.
    async fn sleep_ms(&self, ms: u64);
}

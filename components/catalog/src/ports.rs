//! What the service needs from its host, as plain Rust: mirrors of the WIT
//! imports (`sql`, `cache`, `token`, `clock`, `log`, `config`) that the wasm
//! glue implements with the real imports and tests implement with fakes.
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

pub use sluice_kit::token::{Claims, TokenError};

/// A SQL parameter or column value (`sql.value`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Rows a query returned (`sql.rows`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// One statement of a batch (`sql.statement`).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
    /// The batch fails (and is rolled back) unless the statement affects
    /// exactly this many rows.
    pub expect_rows: Option<u64>,
}

impl Statement {
    /// A statement that must affect exactly `rows` rows.
    pub fn expecting(sql: impl Into<String>, params: Vec<Value>, rows: u64) -> Statement {
        Statement {
            sql: sql.into(),
            params,
            expect_rows: Some(rows),
        }
    }

    /// A statement that may affect any number of rows.
    pub fn any(sql: impl Into<String>, params: Vec<Value>) -> Statement {
        Statement {
            sql: sql.into(),
            params,
            expect_rows: None,
        }
    }
}

/// Why a statement failed (`sql.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    ConstraintViolation(String),
    /// Statement `index` of a batch affected an unexpected number of rows;
    /// nothing in the batch was applied.
    ExpectationFailed(u32),
    InvalidStatement(String),
    Unavailable(String),
    Other(String),
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlError::ConstraintViolation(m) => write!(f, "constraint violation: {m}"),
            SqlError::ExpectationFailed(i) => write!(f, "expectation failed at statement {i}"),
            SqlError::InvalidStatement(m) => write!(f, "invalid statement: {m}"),
            SqlError::Unavailable(m) => write!(f, "unavailable: {m}"),
            SqlError::Other(m) => write!(f, "{m}"),
        }
    }
}

/// The component's database (`sql` import).
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

/// Every capability the service uses.
pub trait Host: Sql + Cache {
    /// Milliseconds since the Unix epoch (`clock.now-ms`).
    fn now_ms(&self) -> u64;
    /// A structured log record (`log.log`).
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
    /// Verifies a token (`token.verify`).
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError>;
    /// A setting of this service (`config.get`).
    fn setting(&self, key: &str) -> Option<String>;
}

//! What the service needs from its host, as plain Rust: mirrors of the WIT
//! imports (`sql`, `rate-limit`, `token`, `clock`, `log`) and a wait, that
//! the wasm glue implements with the real imports and tests with fakes.
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

/// Why a statement failed (`sql.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    ConstraintViolation(String),
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
}

/// What the rate limiter decided (`rate-limit.decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Retry after this many milliseconds.
    Limited(u64),
}

/// Why a rate-limit check could not be made (`rate-limit.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitError {
    NoSuchPolicy(String),
    CostExceedsBurst(u32),
}

/// A freshly issued token (`token-issuer.issued`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub token: String,
    pub expires_in: u64,
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

/// Every capability the service uses besides the database.
pub trait Host: Sql {
    /// Milliseconds since the Unix epoch (`clock.now-ms`).
    fn now_ms(&self) -> u64;
    /// A structured log record (`log.log`).
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
    /// Charges `cost` to `key` under `policy` (`rate-limit.check`).
    async fn rate_check(
        &self,
        policy: &str,
        key: &str,
        cost: u32,
    ) -> Result<Decision, RateLimitError>;
    /// Waits `ms` milliseconds without spinning: the login back-off. Async
    /// so that an async wait (`wasi:clocks/monotonic-clock.wait-for`) can
    /// take the place of today's blocking one (see the glue) unchanged.
    async fn sleep_ms(&self, ms: u64);
    /// Issues a token (`token-issuer.issue`) carrying `attributes`, sorted
    /// by key.
    fn issue_token(
        &self,
        subject: &str,
        role: &str,
        tenant: &str,
        attributes: &[(String, String)],
    ) -> Issued;
    /// Verifies a token (`token.verify`).
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError>;
}

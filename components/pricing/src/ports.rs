//! What the service needs from its host, as plain Rust: mirrors of the WIT
//! imports (`sql`, `token`, `clock`, `log`, catalog's `products` lookup)
//! that the wasm glue implements with the real imports and tests implement
//! with fakes, plus the seam where the tenant's own pricing rule runs
//! ([`Host::run_tenant_rule`]).
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

use crate::rules::{RuleInput, RuleOutcome};

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
    pub fn expect(sql: &str, params: Vec<Value>, rows: u64) -> Statement {
        Statement {
            sql: sql.to_string(),
            params,
            expect_rows: Some(rows),
        }
    }

    /// A statement that may affect any number of rows.
    pub fn any(sql: &str, params: Vec<Value>) -> Statement {
        Statement {
            sql: sql.to_string(),
            params,
            expect_rows: None,
        }
    }
}

/// Why a statement failed (`sql.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    ConstraintViolation(String),
    /// Statement `index` of a batch affected another number of rows than
    /// its `expect_rows`; nothing in the batch was applied.
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

/// Log levels (`log.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// A product as catalog reports it (`products.product`): where every base
/// price comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub sku: String,
    pub name: String,
    /// The base price of one unit, in minor units of `currency`.
    pub base_price: i64,
    /// ISO 4217.
    pub currency: String,
}

/// Why catalog could not look a product up (`products.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The catalog database failed, or no catalog instance answered.
    Unavailable(String),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::Unavailable(m) => write!(f, "catalog unavailable: {m}"),
        }
    }
}

/// Every capability the service uses besides the database.
pub trait Host: Sql {
    /// Milliseconds since the Unix epoch (`clock.now-ms`). The only clock
    /// the service reads: tests and operators shift it in the host.
    fn now_ms(&self) -> u64;
    /// A structured log record (`log.log`).
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
    /// Verifies a token (`token.verify`).
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError>;
    /// The product with `sku` from catalog (`products.lookup`), none if
    /// catalog has no such product: the base price and currency of every
    /// quote, read afresh each time (catalog caches it and invalidates the
    /// entry on every change, so a new or repriced product is seen at once).
    async fn lookup_product(&self, sku: &str) -> Result<Option<Product>, LookupError>;
    /// Runs `tenant`'s own pricing rule on the quote so far. This is the
    /// seam for the tenant-rules issue: the wasm glue answers
    /// [`RuleOutcome::NoRule`] until the host offers an import that runs a
    /// tenant's sandboxed `pricing-rule` component (fuel, memory cap,
    /// deadline); tests script it. See [`crate::rules`].
    async fn run_tenant_rule(&self, tenant: &str, input: &RuleInput) -> RuleOutcome;
}

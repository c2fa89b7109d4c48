//! What the service needs from its host, as plain Rust: mirrors of the WIT
//! imports (`shards`, `stock`, `quote`, `token`, `clock`, `log`, `config`
//! and the WASI monotonic clock's `wait-for`) that the wasm glue implements with the real
//! imports and tests implement with an in-memory fake.
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

pub use sluice_kit::sql::{Rows, SqlError, Statement, Value};
pub use sluice_kit::token::{Claims, TokenError};

/// SQL on numbered shards (`shards`); `shard` is `0..count()`.
pub trait Shards {
    /// How many shards there are (at least 1; fixed while the host runs).
    fn shard_count(&self) -> u32;
    /// Runs a query on `shard` and returns all rows.
    async fn query(&self, shard: u32, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError>;
    /// Runs a statement on `shard`; the number of rows it affected.
    async fn execute(&self, shard: u32, sql: &str, params: Vec<Value>) -> Result<u64, SqlError>;
    /// Runs statements on `shard` in one transaction, all or none.
    async fn batch(&self, shard: u32, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError>;
}

/// One line of a reservation (`stock.line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub sku: String,
    pub qty: u32,
}

/// Why stock could not be reserved, confirmed or released (`stock.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockError {
    UnknownSku(String),
    Insufficient(String),
    Invalid(String),
    Conflict(String),
    Unavailable(String),
}

/// Stock control in the catalog service (`stock`).
pub trait Stock {
    /// Holds every line's units under `id`, or none. A hold that is not
    /// confirmed expires (catalog gives its units back by itself).
    async fn reserve(&self, id: &str, lines: &[Line]) -> Result<(), StockError>;
    /// Makes the hold `id` permanent (idempotent); `conflict` if it expired
    /// or was released.
    async fn confirm(&self, id: &str) -> Result<(), StockError>;
    /// Returns the units under `id`, held or confirmed (idempotent).
    async fn release(&self, id: &str) -> Result<(), StockError>;
}

/// What changed a price (`quote.adjustment-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentKind {
    Promotion,
    TenantRule,
}

/// Something that changed a price (`quote.adjustment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub id: Option<String>,
    pub units: u32,
    pub detail: String,
}

/// A price from the pricing service (`quote.price`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub sku: String,
    pub qty: u32,
    pub currency: String,
    pub unit_price: i64,
    /// The exact amount for all `qty` units.
    pub total: i64,
    pub applied: Vec<Adjustment>,
}

/// Why no price could be given (`quote.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteError {
    UnknownSku(String),
    InvalidQuantity(u32),
    InvalidTenant(String),
    Unavailable(String),
}

/// Units of one promotion to take (`quote.claim-line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    pub promotion_id: String,
    pub units: u32,
}

/// Why promotion units could not be claimed (`quote.claim-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimError {
    UnknownPromotion(String),
    NotActive(String),
    /// The promotion and how many units it has left.
    Insufficient(String, u32),
    Conflict(String),
    Invalid(String),
    Unavailable(String),
}

/// Prices and promotion units in the pricing service (`quote`).
pub trait Quotes {
    /// Prices `qty` units of `sku` for `tenant`, for a customer with the
    /// `customer` attributes of their verified token (the tenant's rule
    /// sees them).
    async fn quote(
        &self,
        sku: &str,
        qty: u32,
        tenant: &str,
        customer: &[(String, String)],
    ) -> Result<Price, QuoteError>;
    /// Takes promotion units under `id`, all lines or none.
    async fn claim(&self, id: &str, lines: &[ClaimLine]) -> Result<(), ClaimError>;
    /// Gives back the units held under `id` (idempotent).
    async fn unclaim(&self, id: &str) -> Result<(), ClaimError>;
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
pub trait Host: Shards + Stock + Quotes {
    /// Milliseconds since the Unix epoch (`clock.now-ms`): order times and
    /// the durations of `Server-Timing`.
    fn now_ms(&self) -> u64;
    /// Waits `ms` milliseconds (`wasi:clocks/monotonic-clock.wait-for`),
    /// letting other tasks run.
    async fn sleep_ms(&self, ms: u64);
    /// A structured log record (`log.log`).
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]);
    /// Verifies a token (`token.verify`).
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError>;
    /// A setting of this service (`config.get`).
    fn setting(&self, key: &str) -> Option<String>;
}

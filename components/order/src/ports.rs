//! What the service needs from its host, as plain Rust: the kit's shared
//! ports (`token`, `clock`, `log`, `config` and the WASI monotonic clock's
//! `wait-for`) and order's own links, mirrors of the WIT imports `shards`
//! (its numbered databases), `stock` (catalog) and `quote` (pricing). The
//! wasm glue implements them with the real imports; tests with SQLite
//! shards and fakes of the other services (`testing`).
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

pub use sluice_kit::ports::*;

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

pub use sluice_kit::links::{Adjustment, AdjustmentKind, ClaimLine, Line, StockError};

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

/// Every capability the service uses.
pub trait Host: Shards + Stock + Quotes + Clock + Log + Tokens + Settings + Pause {}

impl<T: Shards + Stock + Quotes + Clock + Log + Tokens + Settings + Pause> Host for T {}

//! What the service needs from its host: the kit's ports its world imports
//! (`sql`, `token`, `clock`, `log`), which the kit's glue implements with
//! the real imports and its test host over SQLite, and pricing's own links
//! to other components, catalog's product lookup ([`Products`]) and the
//! tenant's own pricing rule ([`TenantRules`]), which the wasm glue
//! implements with pricing's generated imports and tests with fakes.
#![allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted

use crate::rules::{RuleInput, RuleOutcome};

pub use sluice_kit::ports::*;

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

/// Catalog's product lookup (`products`), linked by the host to a catalog
/// instance in this process or on another node.
pub trait Products {
    /// The product with `sku` from catalog (`products.lookup`), none if
    /// catalog has no such product: the base price and currency of every
    /// quote, read afresh each time (catalog caches it and invalidates the
    /// entry on every change, so a new or repriced product is seen at once).
    async fn lookup_product(&self, sku: &str) -> Result<Option<Product>, LookupError>;
}

/// The tenant's own pricing rule (`tenant-rules`): the host runs the
/// tenant's sandboxed `pricing-rule` component (fuel, memory cap,
/// deadline). See [`crate::rules`].
pub trait TenantRules {
    /// Runs `tenant`'s rule on the quote so far (`tenant-rules.run`; the
    /// host takes the tenant from `input`).
    async fn run_tenant_rule(&self, tenant: &str, input: &RuleInput) -> RuleOutcome;
}

/// Every capability the service uses.
pub trait Host: Sql + Clock + Log + Tokens + Products + TenantRules {}

impl<T: Sql + Clock + Log + Tokens + Products + TenantRules> Host for T {}

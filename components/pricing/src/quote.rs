//! A quote: the price of a quantity of one sku for a tenant at the host
//! clock's now. Base price, then the best active promotion (see
//! [`crate::pricing`]), then the tenant's rule (see [`crate::rules`]).
//! Shared by `GET /api/prices/{sku}` and the typed `quote` export.
//!
//! The base price and its currency are catalog's, looked up on every quote
//! through the host-linked `products` import
//! ([`Products::lookup_product`](crate::ports::Products::lookup_product)):
//! pricing keeps no copy, so a product created or repriced in the catalog
//! is quoted at its current price at once.

use crate::money::MAX_UNIT_PRICE;
use crate::params;
use crate::ports::{Clock, Host, LookupError, Product};
use crate::pricing;
use crate::rules::{self, RuleInput};
use crate::store::{self, StoreError};

pub use sluice_kit::links::{Adjustment, AdjustmentKind};

/// A price (`quote.price`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub sku: String,
    pub qty: u32,
    pub tenant: String,
    pub currency: String,
    pub base_unit_price: i64,
    /// The promotional unit price when a promotion applies (also when a cap
    /// covers only some units), after the tenant rule.
    pub unit_price: i64,
    /// The exact price of all units.
    pub total: i64,
    pub applied: Vec<Adjustment>,
    pub rule_error: Option<String>,
}

/// Why no quote could be given (`quote.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteError {
    /// Catalog has no product with this sku.
    UnknownSku(String),
    InvalidQuantity(u32),
    InvalidTenant(String),
    /// The database failed.
    Store(StoreError),
    /// Catalog could not be asked for the product (its database failed, or
    /// no catalog instance answered).
    Catalog(LookupError),
    /// Catalog answered with a base price or currency pricing cannot use
    /// (outside `0..=MAX_UNIT_PRICE`, or not three uppercase letters): a
    /// broken catalog component, never a client's mistake.
    BadProduct(String),
    /// The total does not fit in 64 bits.
    Overflow,
}

impl From<StoreError> for QuoteError {
    fn from(e: StoreError) -> QuoteError {
        QuoteError::Store(e)
    }
}

impl From<LookupError> for QuoteError {
    fn from(e: LookupError) -> QuoteError {
        QuoteError::Catalog(e)
    }
}

/// The product with `sku` from catalog, checked: `UnknownSku` if catalog
/// has none, `Catalog` if it cannot be asked, `BadProduct` if its price or
/// currency is unusable. Also used by promotion creation.
pub async fn product(host: &impl Host, sku: &str) -> Result<Product, QuoteError> {
    let product = host
        .lookup_product(sku)
        .await?
        .ok_or_else(|| QuoteError::UnknownSku(sku.to_string()))?;
    if !(0..=MAX_UNIT_PRICE).contains(&product.base_price) {
        return Err(QuoteError::BadProduct(format!(
            "catalog gave {sku} the base price {}, outside 0..={MAX_UNIT_PRICE}",
            product.base_price
        )));
    }
    if product.currency.len() != 3 || !product.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(QuoteError::BadProduct(format!(
            "catalog gave {sku} the currency {:?}, not an ISO 4217 code",
            product.currency
        )));
    }
    Ok(product)
}

/// The host clock's now, in ms since the Unix epoch, as stored.
pub fn now_ms(host: &impl Clock) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

/// Prices `qty` units of `sku` for `tenant` (empty: the default tenant) at
/// the host clock's now, for a customer with the `customer` attributes
/// (from their verified token; empty when anonymous), which the tenant's
/// rule sees as its input's `customer`. Reserves nothing.
pub async fn quote(
    host: &impl Host,
    sku: &str,
    qty: u32,
    tenant: &str,
    customer: &[(String, String)],
) -> Result<Quote, QuoteError> {
    if !params::check_quantity(qty) {
        return Err(QuoteError::InvalidQuantity(qty));
    }
    let tenant = if tenant.is_empty() {
        params::DEFAULT_TENANT
    } else {
        tenant
    };
    if !params::check_tenant(tenant) {
        return Err(QuoteError::InvalidTenant(tenant.to_string()));
    }
    let product = product(host, sku).await?;
    let now = now_ms(host);
    let mut active = store::active_promotions(host, sku, now).await?;
    // The query selects by window already; the rule lives in one place.
    active.retain(|p| p.is_active(now));
    let priced = pricing::price(product.base_price, qty, &active);

    let input = RuleInput {
        sku: sku.to_string(),
        qty,
        currency: product.currency.clone(),
        base_unit_price: product.base_price,
        unit_price: priced.unit_price(),
        tenant: tenant.to_string(),
        customer: customer.to_vec(),
    };
    let ruled = rules::apply(host, input, priced.lines.clone()).await;
    let after_rule = pricing::Priced {
        lines: ruled.lines,
        ..priced.clone()
    };
    let total = after_rule.total().ok_or(QuoteError::Overflow)?;

    let mut applied = Vec::new();
    if let Some(promotion) = priced.promotion {
        applied.push(Adjustment {
            kind: AdjustmentKind::Promotion,
            id: Some(promotion.id),
            units: promotion.units,
            detail: promotion.detail,
        });
    }
    if let Some(reason) = ruled.applied {
        applied.push(Adjustment {
            kind: AdjustmentKind::TenantRule,
            id: None,
            units: qty,
            detail: reason,
        });
    }
    Ok(Quote {
        sku: sku.to_string(),
        qty,
        tenant: tenant.to_string(),
        currency: product.currency,
        base_unit_price: product.base_price,
        unit_price: after_rule.unit_price(),
        total,
        applied,
        rule_error: ruled.error,
    })
}

//! A quote: the price of a quantity of one sku for a tenant at the host
//! clock's now. Base price, then the best active promotion (see
//! [`crate::pricing`]), then the tenant's rule (see [`crate::rules`]).
//! Shared by `GET /api/prices/{sku}` and the typed `quote` export.

use crate::params;
use crate::ports::Host;
use crate::pricing;
use crate::rules::{self, RuleInput};
use crate::store::{self, StoreError};

/// What changed a price (`quote.adjustment-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentKind {
    Promotion,
    TenantRule,
}

/// Something that changed the price (`quote.adjustment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    /// The promotion id, for a promotion.
    pub id: Option<String>,
    /// Units of the quote it priced (for a promotion: the units an order
    /// claims).
    pub units: u32,
    pub detail: String,
}

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
    UnknownSku(String),
    InvalidQuantity(u32),
    InvalidTenant(String),
    /// The database failed.
    Store(StoreError),
    /// The total does not fit in 64 bits (a corrupt price row).
    Overflow,
}

impl From<StoreError> for QuoteError {
    fn from(e: StoreError) -> QuoteError {
        QuoteError::Store(e)
    }
}

/// The host clock's now, in ms since the Unix epoch, as stored.
pub fn now_ms(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

/// Prices `qty` units of `sku` for `tenant` (empty: the default tenant) at
/// the host clock's now. Reserves nothing.
pub async fn quote(
    host: &impl Host,
    sku: &str,
    qty: u32,
    tenant: &str,
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
    let price = store::find_price(host, sku)
        .await?
        .ok_or_else(|| QuoteError::UnknownSku(sku.to_string()))?;
    let now = now_ms(host);
    let mut active = store::active_promotions(host, sku, now).await?;
    // The query selects by window already; the rule lives in one place.
    active.retain(|p| p.is_active(now));
    let priced = pricing::price(price.base_price, qty, &active);

    let input = RuleInput {
        sku: sku.to_string(),
        qty,
        currency: price.currency.clone(),
        base_unit_price: price.base_price,
        unit_price: priced.unit_price(),
        tenant: tenant.to_string(),
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
        sku: price.sku,
        qty,
        tenant: tenant.to_string(),
        currency: price.currency,
        base_unit_price: price.base_price,
        unit_price: after_rule.unit_price(),
        total,
        applied,
        rule_error: ruled.error,
    })
}

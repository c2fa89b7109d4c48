//! The wasm-only glue: bindings for world `sluice:platform/order` (the
//! shared imports come from the kit, whose `Imports` implement the shared
//! [`ports`](crate::ports)), order's own links (`shards`, `stock`, `quote`)
//! implemented on those `Imports`, and the exports (`wasi:http/handler`,
//! `schema`, `housekeeping`) handed to the plain modules.

sluice_kit::service_bindings!("sluice:platform/order", {
    "sluice:platform/config@0.1.0": sluice_kit::guest::bindings::sluice::platform::config,
    "wasi:clocks/monotonic-clock@0.3.0": sluice_kit::guest::bindings::wasi::clocks::monotonic_clock,
});

use crate::ports::{self, *};
use exports::sluice::platform::housekeeping;
use sluice::platform::{quote, shards, stock};
use sluice_kit::guest::{Imports, from_rows, from_sql_error, to_sql, to_statement};

struct Component;

export!(Component);

sluice_kit::export_http_handler!(Component, crate::handler::handle);
sluice_kit::export_schema!(Component, crate::migrations::migrations);

impl housekeeping::Guest for Component {
    async fn run() -> Result<u32, String> {
        crate::housekeeping::run(&Imports).await
    }
}

impl ports::Shards for Imports {
    fn shard_count(&self) -> u32 {
        shards::count()
    }

    async fn query(&self, shard: u32, text: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        shards::query(shard, text.to_string(), params)
            .await
            .map(from_rows)
            .map_err(from_sql_error)
    }

    async fn execute(&self, shard: u32, text: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        shards::execute(shard, text.to_string(), params)
            .await
            .map_err(from_sql_error)
    }

    async fn batch(&self, shard: u32, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let statements = statements.into_iter().map(to_statement).collect();
        shards::batch(shard, statements)
            .await
            .map_err(from_sql_error)
    }
}

impl ports::Stock for Imports {
    async fn reserve(&self, id: &str, lines: &[Line]) -> Result<(), StockError> {
        let lines = lines
            .iter()
            .map(|l| stock::Line {
                sku: l.sku.clone(),
                qty: l.qty,
            })
            .collect();
        stock::reserve(id.to_string(), lines)
            .await
            .map_err(from_stock_error)
    }

    async fn confirm(&self, id: &str) -> Result<(), StockError> {
        stock::confirm(id.to_string())
            .await
            .map_err(from_stock_error)
    }

    async fn release(&self, id: &str) -> Result<(), StockError> {
        stock::release(id.to_string())
            .await
            .map_err(from_stock_error)
    }
}

impl ports::Quotes for Imports {
    async fn quote(
        &self,
        sku: &str,
        qty: u32,
        tenant: &str,
        customer: &[(String, String)],
    ) -> Result<Price, QuoteError> {
        let p = quote::quote(sku.to_string(), qty, tenant.to_string(), customer.to_vec())
            .await
            .map_err(|e| match e {
                quote::Error::UnknownSku(s) => QuoteError::UnknownSku(s),
                quote::Error::InvalidQuantity(n) => QuoteError::InvalidQuantity(n),
                quote::Error::InvalidTenant(t) => QuoteError::InvalidTenant(t),
                quote::Error::Unavailable(m) => QuoteError::Unavailable(m),
            })?;
        Ok(Price {
            sku: p.sku,
            qty: p.qty,
            currency: p.currency,
            unit_price: p.unit_price,
            total: p.total,
            applied: p
                .applied
                .into_iter()
                .map(|a| Adjustment {
                    kind: match a.kind {
                        quote::AdjustmentKind::Promotion => AdjustmentKind::Promotion,
                        quote::AdjustmentKind::TenantRule => AdjustmentKind::TenantRule,
                    },
                    id: a.id,
                    units: a.units,
                    detail: a.detail,
                })
                .collect(),
        })
    }

    async fn claim(&self, id: &str, lines: &[ClaimLine]) -> Result<(), ClaimError> {
        let lines = lines
            .iter()
            .map(|l| quote::ClaimLine {
                promotion_id: l.promotion_id.clone(),
                units: l.units,
            })
            .collect();
        quote::claim(id.to_string(), lines)
            .await
            .map_err(from_claim_error)
    }

    async fn unclaim(&self, id: &str) -> Result<(), ClaimError> {
        quote::unclaim(id.to_string())
            .await
            .map_err(from_claim_error)
    }
}

fn from_stock_error(e: stock::Error) -> StockError {
    match e {
        stock::Error::UnknownSku(s) => StockError::UnknownSku(s),
        stock::Error::Insufficient(s) => StockError::Insufficient(s),
        stock::Error::Invalid(m) => StockError::Invalid(m),
        stock::Error::Conflict(m) => StockError::Conflict(m),
        stock::Error::Unavailable(m) => StockError::Unavailable(m),
    }
}

fn from_claim_error(e: quote::ClaimError) -> ClaimError {
    match e {
        quote::ClaimError::UnknownPromotion(id) => ClaimError::UnknownPromotion(id),
        quote::ClaimError::NotActive(id) => ClaimError::NotActive(id),
        quote::ClaimError::Insufficient((id, left)) => ClaimError::Insufficient(id, left),
        quote::ClaimError::Conflict(m) => ClaimError::Conflict(m),
        quote::ClaimError::Invalid(m) => ClaimError::Invalid(m),
        quote::ClaimError::Unavailable(m) => ClaimError::Unavailable(m),
    }
}

//! The wasm-only glue: bindings for world `sluice:platform/catalog` (the
//! shared imports come from the kit, whose `Imports` implement the
//! [`ports`](crate::ports)), and the exports (`wasi:http/handler`,
//! `schema`, `stock`, `products`, `housekeeping`) handed to the plain
//! modules.

sluice_kit::service_bindings!("sluice:platform/catalog", {
    "sluice:platform/cache@0.1.0": sluice_kit::guest::bindings::sluice::platform::cache,
    "sluice:platform/config@0.1.0": sluice_kit::guest::bindings::sluice::platform::config,
});

use crate::lookup::LookupError;
use crate::stock::StockError;
use exports::sluice::platform::{housekeeping, products, stock};
use sluice_kit::guest::Imports;

struct Component;

export!(Component);

sluice_kit::export_http_handler!(Component, crate::handler::handle);
sluice_kit::export_schema!(Component, crate::migrations::migrations);

impl stock::Guest for Component {
    async fn check(sku: String) -> Result<u32, stock::Error> {
        crate::stock::check(&Imports, &sku)
            .await
            .map_err(to_stock_error)
    }

    async fn reserve(reservation_id: String, lines: Vec<stock::Line>) -> Result<(), stock::Error> {
        let lines: Vec<crate::stock::Request> = lines
            .into_iter()
            .map(|l| crate::stock::Request {
                sku: l.sku,
                qty: l.qty,
            })
            .collect();
        crate::stock::reserve(&Imports, &reservation_id, &lines)
            .await
            .map_err(to_stock_error)
    }

    async fn confirm(reservation_id: String) -> Result<(), stock::Error> {
        crate::stock::confirm(&Imports, &reservation_id)
            .await
            .map_err(to_stock_error)
    }

    async fn release(reservation_id: String) -> Result<(), stock::Error> {
        crate::stock::release(&Imports, &reservation_id)
            .await
            .map_err(to_stock_error)
    }
}

impl housekeeping::Guest for Component {
    async fn run() -> Result<u32, String> {
        crate::holds::expire(&Imports).await.map_err(|e| match e {
            StockError::Unavailable(m) => format!("expiring stock holds failed: {m}"),
            other => format!("expiring stock holds failed: {other:?}"),
        })
    }
}

fn to_stock_error(e: StockError) -> stock::Error {
    match e {
        StockError::UnknownSku(s) => stock::Error::UnknownSku(s),
        StockError::Insufficient(s) => stock::Error::Insufficient(s),
        StockError::Invalid(m) => stock::Error::Invalid(m),
        StockError::Conflict(m) => stock::Error::Conflict(m),
        StockError::Unavailable(m) => stock::Error::Unavailable(m),
    }
}

impl products::Guest for Component {
    async fn lookup(sku: String) -> Result<Option<products::Product>, products::Error> {
        match crate::lookup::lookup(&Imports, &sku).await {
            Ok(found) => Ok(found.map(|p| products::Product {
                sku: p.sku,
                name: p.name,
                base_price: p.base_price,
                currency: p.currency,
            })),
            Err(LookupError::Unavailable(m)) => Err(products::Error::Unavailable(m)),
        }
    }
}

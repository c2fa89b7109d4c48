//! What catalog's native tests run on: the kit's [`TestHost`] with
//! catalog's own migrations applied (the tables and the seeded catalogue),
//! so every test runs the service's real SQL on SQLite. Catalog has no
//! links of its own, so the `TestHost` is its whole host. Beside it: test
//! products, and catalog's rows read back with SQL.

use crate::migrations::{Dialect, migrations};
use crate::store::{self, Product};
use sluice_kit::sql::Value;
use sluice_kit::testing::{Db, START_MS, TestHost};

/// A host whose database is catalog's as deployed: the tables and the
/// seeded catalogue (`seed/products.json`).
pub fn seeded() -> TestHost {
    TestHost::new(&migrations(Dialect::Sqlite))
}

/// A [`seeded`] host whose database also holds `products`, inserted with
/// catalog's own [`store::INSERT`] (unrecorded: [`Db::statements`] stays
/// empty). Their skus must not be seed skus; the seed stays, as no test
/// that starts here lists the catalogue.
pub fn with_products(products: impl IntoIterator<Item = Product>) -> TestHost {
    let host = seeded();
    for p in products {
        host.db.exec(
            store::INSERT,
            &[
                Value::Text(p.sku),
                Value::Text(p.name),
                Value::Text(p.description),
                Value::Integer(p.base_price),
                Value::Text(p.currency),
                Value::Integer(p.stock),
                Value::Integer(START_MS as i64),
            ],
        );
    }
    host
}

/// A product for tests.
pub fn product(sku: &str, stock: i64) -> Product {
    Product {
        sku: sku.to_string(),
        name: format!("Product {sku}"),
        description: format!("The {sku} product"),
        base_price: 1000,
        currency: "USD".to_string(),
        stock,
    }
}

/// Catalog's rows, read with SQL past injected failures and unrecorded.
pub trait CatalogRows {
    /// Units in stock of `sku`. Panics if there is no such product.
    fn stock(&self, sku: &str) -> i64;
    /// The state of reservation `id`, if it exists.
    fn state(&self, id: &str) -> Option<String>;
    /// When the hold of reservation `id` ends, as stored.
    fn expires_at(&self, id: &str) -> Option<i64>;
}

impl CatalogRows for Db {
    fn stock(&self, sku: &str) -> i64 {
        self.int(
            "SELECT stock FROM products WHERE sku = ?",
            &[Value::Text(sku.into())],
        )
        .unwrap_or_else(|| panic!("no product {sku}"))
    }

    fn state(&self, id: &str) -> Option<String> {
        self.text(
            "SELECT state FROM reservations WHERE id = ?",
            &[Value::Text(id.into())],
        )
    }

    fn expires_at(&self, id: &str) -> Option<i64> {
        self.int(
            "SELECT expires_at FROM reservations WHERE id = ?",
            &[Value::Text(id.into())],
        )
    }
}

//! Product lookups for other services (the `products` export): catalog is
//! the one source of products and base prices, and pricing reads them here
//! on every quote.
//!
//! A lookup reads through [`cached::product`], the same cache-aside entry
//! as `GET /api/products/{sku}`, which every change of the product
//! invalidates (admin create and update, reserve, release): a product
//! created or repriced through the API is seen by the next lookup.

use crate::ports::{Host, Level};
use crate::store::{Product, StoreError};
use crate::{cached, validate};

/// Why a product could not be looked up (`products.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The database failed (the cache never makes a lookup fail).
    Unavailable(String),
}

/// The product with `sku`, if there is one. A sku that breaks the sku rules
/// cannot exist, so it is none without a read.
pub async fn lookup(host: &impl Host, sku: &str) -> Result<Option<Product>, LookupError> {
    if !validate::is_sku(sku) {
        return Ok(None);
    }
    cached::product(host, sku)
        .await
        .map_err(|e| unavailable(host, &e))
}

/// Logs a database failure and reports it as `unavailable`.
fn unavailable(host: &impl Host, err: &StoreError) -> LookupError {
    let detail = err.to_string();
    host.log(
        Level::Warn,
        "product lookup failed",
        &[("during", "look up product"), ("error", &detail)],
    );
    LookupError::Unavailable(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cached::product_key;
    use crate::handler::handle;
    use crate::ports::SqlError;
    use crate::seed;
    use crate::testing::{product, seeded, with_products};
    use futures::executor::block_on;
    use sluice_kit::testing::request;

    #[test]
    fn a_seeded_product_is_found_with_its_base_price() {
        let host = seeded();
        let expected = seed::products().unwrap().remove(0);
        let found = block_on(lookup(&host, &expected.sku)).unwrap();
        assert_eq!(found.as_ref(), Some(&expected));
        // Read through the cache: stored on the miss, answered from it next.
        assert!(host.cached(&product_key(&expected.sku, 0)).is_some());
        let reads = host.db.statements().len();
        let again = block_on(lookup(&host, &expected.sku)).unwrap();
        assert_eq!(again, Some(expected));
        assert_eq!(
            host.db.statements().len(),
            reads,
            "the second lookup is a cache hit"
        );
    }

    #[test]
    fn an_unknown_or_impossible_sku_is_none() {
        let host = seeded();
        assert_eq!(block_on(lookup(&host, "NOPE-404")), Ok(None));
        let reads = host.db.statements().len();
        for impossible in ["", "a b", "x/y", &"x".repeat(65)] {
            assert_eq!(
                block_on(lookup(&host, impossible)),
                Ok(None),
                "{impossible:?}"
            );
        }
        assert_eq!(
            host.db.statements().len(),
            reads,
            "impossible skus are not read"
        );
    }

    #[test]
    fn an_admin_price_change_is_seen_by_the_next_lookup() {
        let host = with_products([product("A", 5)]);
        // Cached at the old price first.
        assert_eq!(
            block_on(lookup(&host, "A")).unwrap().unwrap().base_price,
            1000
        );
        assert!(host.cached(&product_key("A", 0)).is_some());
        let body = br#"{"base_price": 1250, "currency": "EUR"}"#;
        let admin = [("authorization", "Bearer tok|admin-1|admin|default")];
        let put = request("PUT", "/api/products/A", &admin, body);
        let reply = block_on(handle(&host, put));
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let found = block_on(lookup(&host, "A")).unwrap().unwrap();
        assert_eq!((found.base_price, found.currency.as_str()), (1250, "EUR"));
    }

    #[test]
    fn a_failing_database_is_unavailable_and_logged() {
        let host = with_products([product("A", 5)]);
        host.db
            .fail_with(Some(SqlError::Unavailable("db down".into())));
        match block_on(lookup(&host, "A")) {
            Err(LookupError::Unavailable(m)) => assert!(m.contains("db down"), "{m}"),
            other => panic!("expected unavailable, got {other:?}"),
        }
        assert!(host.logged(Level::Warn, "product lookup failed"));
    }
}

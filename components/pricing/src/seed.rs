//! The base prices pricing starts with, from the catalogue's own data file.
//!
//! **Where base prices come from, and the limitation.** The catalog service
//! owns products, but in this issue components cannot call each other yet,
//! so pricing keeps its own `prices` table (sku, base price, currency),
//! seeded once — as migration 2, so restarts never re-seed or duplicate —
//! from the same file the catalog seeds its products from,
//! `components/catalog/seed/products.json` (embedded at build time). Until
//! the fix below:
//! - a product an admin creates in the catalog has no price here (its quote
//!   is 404 `unknown_sku`), and a price an admin changes in the catalog is
//!   not seen here (the quote keeps the seeded base price);
//! - products added to the data file after this migration has run on a
//!   database are not added (that would take a new migration).
//!
//! The intended fix (the order issue, which links components through the
//! host): pricing imports the catalog's product lookup, a typed interface
//! the host links like order's `stock` import, reads the base price and
//! currency from it on every quote, and the `prices` table goes away (or
//! becomes a cache invalidated by the catalog).

use crate::migrations::Dialect;
use crate::money::MAX_UNIT_PRICE;
use crate::promotion::MAX_SKU_CHARS;
use crate::store::Price;
use serde::Deserialize;

/// The catalogue's data file: a JSON array of products
/// `{"sku","name","description","base_price","currency","stock"}`.
pub const PRODUCTS_JSON: &str = include_str!("../../catalog/seed/products.json");

/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 100;

/// The fields of a catalogue product that pricing needs (others ignored).
#[derive(Debug, Deserialize)]
struct SeedProduct {
    sku: String,
    base_price: i64,
    currency: String,
}

/// The file is an array of products, or an object with a `products` array.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SeedFile {
    List(Vec<SeedProduct>),
    Object { products: Vec<SeedProduct> },
}

/// The base prices in `json`, checked: every sku 1..=64 characters without
/// control characters and unique, every price in 0..=10^12 minor units,
/// every currency three uppercase letters. Any bad entry fails the whole
/// file (a unit test runs this on the embedded file).
pub fn prices(json: &str) -> Result<Vec<Price>, String> {
    let file: SeedFile =
        serde_json::from_str(json).map_err(|e| format!("the product data file: {e}"))?;
    let products = match file {
        SeedFile::List(p) | SeedFile::Object { products: p } => p,
    };
    let mut seen = std::collections::BTreeSet::new();
    products
        .into_iter()
        .map(|p| {
            let sku_ok = !p.sku.is_empty()
                && p.sku.chars().count() <= MAX_SKU_CHARS
                && !p.sku.chars().any(char::is_control);
            if !sku_ok {
                return Err(format!("bad sku {:?}", p.sku));
            }
            if !seen.insert(p.sku.clone()) {
                return Err(format!("duplicate sku {:?}", p.sku));
            }
            if !(0..=MAX_UNIT_PRICE).contains(&p.base_price) {
                return Err(format!(
                    "{}: base_price {} out of range",
                    p.sku, p.base_price
                ));
            }
            if p.currency.len() != 3 || !p.currency.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!(
                    "{}: currency {:?} is not ISO 4217",
                    p.sku, p.currency
                ));
            }
            Ok(Price {
                sku: p.sku,
                base_price: p.base_price,
                currency: p.currency,
            })
        })
        .collect()
}

/// INSERT statements for `prices` (literal values: a migration has no
/// parameters; skus are quoted for `dialect`).
pub fn insert_statements(prices: &[Price], dialect: Dialect) -> Vec<String> {
    prices
        .chunks(ROWS_PER_INSERT)
        .map(|chunk| {
            let rows: Vec<String> = chunk
                .iter()
                .map(|p| {
                    format!(
                        "({}, {}, {})",
                        literal(&p.sku, dialect),
                        p.base_price,
                        literal(&p.currency, dialect)
                    )
                })
                .collect();
            format!(
                "INSERT INTO prices (sku, base_price, currency) VALUES {}",
                rows.join(", ")
            )
        })
        .collect()
}

/// A SQL string literal: quotes doubled, and on MySQL (where a backslash
/// escapes by default) backslashes doubled too.
fn literal(text: &str, dialect: Dialect) -> String {
    let mut quoted = text.replace('\'', "''");
    if dialect == Dialect::Mysql {
        quoted = quoted.replace('\\', "\\\\");
    }
    format!("'{quoted}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_has_valid_prices() {
        let prices = prices(PRODUCTS_JSON).unwrap();
        assert!(prices.len() >= 50, "{} products", prices.len());
        assert!(prices.iter().all(|p| p.base_price > 0));
    }

    #[test]
    fn reads_an_array_or_an_object_and_ignores_other_fields() {
        let list = r#"[{"sku":"A","name":"n","description":"d","base_price":5,"currency":"EUR","stock":3}]"#;
        let object = r#"{"products":[{"sku":"A","base_price":5,"currency":"EUR"}]}"#;
        for json in [list, object] {
            assert_eq!(
                prices(json).unwrap(),
                vec![Price {
                    sku: "A".into(),
                    base_price: 5,
                    currency: "EUR".into()
                }]
            );
        }
    }

    #[test]
    fn rejects_bad_entries() {
        for bad in [
            r#"[{"sku":"","base_price":5,"currency":"EUR"}]"#,
            r#"[{"sku":"A","base_price":-1,"currency":"EUR"}]"#,
            r#"[{"sku":"A","base_price":5,"currency":"eur"}]"#,
            r#"[{"sku":"A","base_price":5.5,"currency":"EUR"}]"#,
            r#"[{"sku":"A","base_price":5,"currency":"EUR"},{"sku":"A","base_price":6,"currency":"EUR"}]"#,
            r#"{"items":[]}"#,
        ] {
            assert!(prices(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn inserts_quote_literals_per_dialect() {
        let prices = [
            Price {
                sku: "O'Brien\\1".into(),
                base_price: 100,
                currency: "USD".into(),
            },
            Price {
                sku: "B".into(),
                base_price: 0,
                currency: "EUR".into(),
            },
        ];
        assert_eq!(
            insert_statements(&prices, Dialect::Postgres),
            vec![
                r"INSERT INTO prices (sku, base_price, currency) VALUES ('O''Brien\1', 100, 'USD'), ('B', 0, 'EUR')"
            ]
        );
        assert_eq!(
            insert_statements(&prices, Dialect::Mysql)[0],
            r"INSERT INTO prices (sku, base_price, currency) VALUES ('O''Brien\\1', 100, 'USD'), ('B', 0, 'EUR')"
        );
    }

    #[test]
    fn large_seeds_are_split_into_several_inserts() {
        let many: Vec<Price> = (0..250)
            .map(|i| Price {
                sku: format!("S{i}"),
                base_price: i,
                currency: "USD".into(),
            })
            .collect();
        let statements = insert_statements(&many, Dialect::Sqlite);
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[2].matches("('S").count(), 50);
    }
}

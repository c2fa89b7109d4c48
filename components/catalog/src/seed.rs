//! The seeded catalogue: `seed/products.json`, embedded in the component,
//! turned into the statements of the seed migration.
//!
//! Why a migration: the host runs each migration once per database and
//! records it in `_sluice_migrations` (in the same transaction as its
//! statements on SQLite and PostgreSQL), so a restart, a second node or a
//! new component version never seeds again, and stock that orders consumed
//! or admins changed is never reset. Each statement is also an
//! insert-if-absent (`INSERT OR IGNORE`, `ON CONFLICT DO NOTHING`,
//! `INSERT IGNORE`): even if the seed ran again (its record deleted by
//! hand), or a product with a seed sku had been created first, no row is
//! duplicated or overwritten.
//!
//! The seed file is fixed once released: products added later go into a
//! new migration with a new version, never into this one.
//!
//! Migration statements take no parameters, so values are written as SQL
//! literals. Text is single-quoted with quotes doubled; backslashes and
//! control characters are refused (MySQL would read a backslash as an
//! escape), which [`products`] checks along with every product rule.

use crate::migrations::Dialect;
use crate::store::Product;
use crate::validate;
use serde_json::Value as Json;

/// The seed data file.
pub const PRODUCTS_JSON: &str = include_str!("../seed/products.json");

/// The seeded products, validated by the same rules as the API's.
pub fn products() -> Result<Vec<Product>, String> {
    parse(PRODUCTS_JSON)
}

/// Parses and validates a seed file: a JSON array of whole products with
/// distinct skus.
pub fn parse(json: &str) -> Result<Vec<Product>, String> {
    let raw: Vec<Json> = serde_json::from_str(json).map_err(|e| format!("seed file: {e}"))?;
    let mut seen = std::collections::BTreeSet::new();
    raw.iter()
        .enumerate()
        .map(|(i, entry)| {
            let product = product(entry).map_err(|e| format!("seed product {i}: {e}"))?;
            if !seen.insert(product.sku.clone()) {
                return Err(format!("seed product {i}: sku {} repeats", product.sku));
            }
            Ok(product)
        })
        .collect()
}

fn product(entry: &Json) -> Result<Product, String> {
    let text = |field: &str| -> Result<&str, String> {
        let value = entry[field]
            .as_str()
            .ok_or_else(|| format!("{field} must be a string"))?;
        if value.contains('\\') || value.chars().any(char::is_control) {
            return Err(format!(
                "{field} must not contain backslashes or control characters"
            ));
        }
        Ok(value)
    };
    let rule = |e: crate::errors::ApiError| e.message();
    Ok(Product {
        sku: validate::sku(text("sku")?).map_err(rule)?,
        name: validate::name(text("name")?).map_err(rule)?,
        description: validate::description(text("description")?).map_err(rule)?,
        base_price: validate::price(&entry["base_price"]).map_err(rule)?,
        currency: validate::currency(text("currency")?).map_err(rule)?,
        stock: validate::stock(&entry["stock"]).map_err(rule)?,
    })
}

/// The statement that inserts `product` unless its sku exists.
pub fn insert_statement(dialect: Dialect, product: &Product) -> String {
    let values = format!(
        "({}, {}, {}, {}, {}, {}, 0)",
        literal(&product.sku),
        literal(&product.name),
        literal(&product.description),
        product.base_price,
        literal(&product.currency),
        product.stock,
    );
    let columns = "products (sku, name, description, base_price, currency, stock, updated_at)";
    match dialect {
        Dialect::Sqlite => format!("INSERT OR IGNORE INTO {columns} VALUES {values}"),
        Dialect::Postgres => {
            format!("INSERT INTO {columns} VALUES {values} ON CONFLICT (sku) DO NOTHING")
        }
        Dialect::Mysql => format!("INSERT IGNORE INTO {columns} VALUES {values}"),
    }
}

/// A single-quoted SQL string literal (quotes doubled). Only for text
/// without backslashes or control characters (see [`product`]).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_seed_is_valid_and_large_enough() {
        let products = products().unwrap();
        assert!(products.len() >= 50, "{}", products.len());
        assert!(products.iter().all(|p| p.stock > 0 && p.base_price > 0));
        assert!(products.iter().all(|p| !p.description.is_empty()));
    }

    #[test]
    fn statements_per_dialect() {
        let p = Product {
            sku: "S-1".into(),
            name: "Chef's Knife".into(),
            description: "It's sharp".into(),
            base_price: 8900,
            currency: "USD".into(),
            stock: 60,
        };
        let values = "('S-1', 'Chef''s Knife', 'It''s sharp', 8900, 'USD', 60, 0)";
        let cols = "products (sku, name, description, base_price, currency, stock, updated_at)";
        assert_eq!(
            insert_statement(Dialect::Sqlite, &p),
            format!("INSERT OR IGNORE INTO {cols} VALUES {values}")
        );
        assert_eq!(
            insert_statement(Dialect::Postgres, &p),
            format!("INSERT INTO {cols} VALUES {values} ON CONFLICT (sku) DO NOTHING")
        );
        assert_eq!(
            insert_statement(Dialect::Mysql, &p),
            format!("INSERT IGNORE INTO {cols} VALUES {values}")
        );
    }

    #[test]
    fn bad_seed_files_are_refused_with_the_reason() {
        let ok =
            r#"{"sku":"A","name":"N","description":"","base_price":1,"currency":"USD","stock":1}"#;
        assert_eq!(parse(&format!("[{ok}]")).unwrap().len(), 1);
        let err = parse(&format!("[{ok},{ok}]")).unwrap_err();
        assert!(err.contains("repeats"), "{err}");
        for (bad, why) in [
            (ok.replace("\"N\"", r#""a\\b""#), "backslashes"),
            (ok.replace("\"N\"", r#""a\nb""#), "control"),
            (
                ok.replace("1,\"currency\"", "-1,\"currency\""),
                "base_price",
            ),
            (ok.replace("\"USD\"", "\"usd\""), "currency"),
            (ok.replace("\"A\"", "\"A B\""), "sku"),
            (ok.replace(",\"stock\":1", ""), "stock"),
        ] {
            let err = parse(&format!("[{bad}]")).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(parse("{").is_err());
    }
}

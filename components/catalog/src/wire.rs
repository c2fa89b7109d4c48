//! The JSON bodies the service reads and writes, and request-body parsing
//! that turns every malformed input into a 400 `invalid_json`.
//!
//! Request bodies reject unknown fields: a misspelt field in an admin's
//! update would otherwise be silently ignored. Numbers are read as JSON
//! values first so that a negative or fractional price gets its own error
//! (`invalid_price`) instead of a generic parse error.

use crate::errors::ApiError;
use crate::store::Product;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// `POST /api/products` body: a whole product. `description` defaults to
/// empty and `stock` to 0.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a JSON object with \"sku\", \"name\", \"base_price\", \"currency\" and optional \"description\" and \"stock\""
)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub base_price: Json,
    pub currency: String,
    #[serde(default)]
    pub stock: Option<Json>,
}

/// `PUT /api/products/{sku}` body: the fields to change. `sku` may be
/// present (a client sending back a whole product) but must equal the
/// path's. Absent or null fields stay as they are.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a JSON object with any of \"name\", \"description\", \"base_price\", \"currency\", \"stock\""
)]
pub struct ProductChanges {
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub base_price: Option<Json>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub stock: Option<Json>,
}

/// `GET /api/products` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPage {
    pub items: Vec<Product>,
    /// Products in the whole catalogue, not just this page.
    pub total: u64,
}

/// Parses a request body as `T` (the kit's [`sluice_kit::json::parse`]):
/// any failure, unknown fields included, is [`ApiError::InvalidJson`] with
/// serde's reason.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    sluice_kit::json::parse(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(e: ApiError) -> String {
        match e {
            ApiError::InvalidJson(m) => m,
            other => panic!("expected invalid_json, got {other:?}"),
        }
    }

    #[test]
    fn new_product_with_defaults() {
        let p: NewProduct =
            parse(br#"{"sku":"A-1","name":"N","base_price":100,"currency":"USD"}"#).unwrap();
        assert_eq!(p.description, None);
        assert_eq!(p.stock, None);
        assert_eq!(p.base_price, json!(100));
    }

    #[test]
    fn numbers_are_kept_raw_for_their_own_errors() {
        let p: NewProduct =
            parse(br#"{"sku":"A","name":"N","base_price":-1.5,"currency":"USD","stock":"7"}"#)
                .unwrap();
        assert_eq!(p.base_price, json!(-1.5));
        assert_eq!(p.stock, Some(json!("7")));
    }

    #[test]
    fn missing_unknown_and_mistyped_fields_are_invalid_json() {
        let m = message(
            parse::<NewProduct>(br#"{"sku":"A","name":"N","currency":"USD"}"#).unwrap_err(),
        );
        assert!(m.contains("missing field `base_price`"), "{m}");
        let m = message(parse::<ProductChanges>(br#"{"prise":5}"#).unwrap_err());
        assert!(m.contains("unknown field `prise`"), "{m}");
        let m = message(parse::<ProductChanges>(br#"{"name":5}"#).unwrap_err());
        assert!(m.contains("invalid type"), "{m}");
    }

    #[test]
    fn changes_may_be_empty_or_null() {
        assert_eq!(
            parse::<ProductChanges>(b"{}").unwrap(),
            ProductChanges::default()
        );
        let c: ProductChanges = parse(br#"{"description":null,"stock":3}"#).unwrap();
        assert_eq!(c.description, None);
        assert_eq!(c.stock, Some(json!(3)));
    }

    #[test]
    fn a_page_serializes_with_the_contract_names() {
        let page = ProductPage {
            items: vec![Product {
                sku: "S".into(),
                name: "N".into(),
                description: "D".into(),
                base_price: 5,
                currency: "USD".into(),
                stock: 2,
            }],
            total: 9,
        };
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            json!({"items":[{"sku":"S","name":"N","description":"D","base_price":5,"currency":"USD","stock":2}],"total":9})
        );
    }
}

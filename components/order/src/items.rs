//! The items of a new order: the JSON body `{"items":[{"sku","qty"}]}`,
//! checked and normalised.
//!
//! A body that is not JSON of that shape (no `items` array, a `sku` that
//! is not a string, a `qty` that is not a whole number) is `invalid_json`.
//! Values that break a rule are `invalid_items`: no items; a sku that is
//! not 1..=64 bytes without control characters; a `qty` outside 1..=1000.
//! Items naming the same sku are MERGED into one line (their quantities
//! added), and the merged quantity must still be at most 1000; after
//! merging there may be at most 100 distinct skus. Lines come out in sku
//! order, which is the order of the stored order's items and of the stock
//! reservation.

use crate::errors::{ApiError, OrderError};
use crate::ports::Line;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The largest quantity of one sku in an order.
pub const MAX_QTY: i64 = 1000;
/// The most distinct skus in one order.
pub const MAX_SKUS: usize = 100;
/// The longest sku, in bytes.
pub const MAX_SKU_BYTES: usize = 64;

#[derive(Deserialize)]
struct Body {
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    sku: String,
    qty: i64,
}

/// The checked, merged lines of `body`, in sku order.
pub fn parse(body: &[u8]) -> Result<Vec<Line>, ApiError> {
    let body: Body =
        serde_json::from_slice(body).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    let invalid = |why: String| Err(ApiError::Service(OrderError::InvalidItems(why)));
    if body.items.is_empty() {
        return invalid("an order needs at least one item".into());
    }
    let mut merged: BTreeMap<String, i64> = BTreeMap::new();
    for Item { sku, qty } in body.items {
        if !check_sku(&sku) {
            return invalid(format!(
                "a sku must be 1 to {MAX_SKU_BYTES} bytes without control characters: {sku:?}"
            ));
        }
        if !(1..=MAX_QTY).contains(&qty) {
            return invalid(format!("qty must be 1 to {MAX_QTY} (sku {sku:?})"));
        }
        let total = merged.entry(sku.clone()).or_insert(0);
        *total += qty;
        if *total > MAX_QTY {
            return invalid(format!(
                "the quantities of one sku add up to more than {MAX_QTY} (sku {sku:?})"
            ));
        }
    }
    if merged.len() > MAX_SKUS {
        return invalid(format!(
            "an order may name at most {MAX_SKUS} distinct skus"
        ));
    }
    Ok(merged
        .into_iter()
        .map(|(sku, qty)| Line {
            sku,
            qty: qty as u32,
        })
        .collect())
}

/// Whether `sku` is 1..=64 bytes without control characters.
fn check_sku(sku: &str) -> bool {
    (1..=MAX_SKU_BYTES).contains(&sku.len()) && !sku.chars().any(char::is_control)
}

/// The SHA-256 (hex) of merged `lines`: equal for the same items whatever
/// their order or split, so an idempotent retry is recognised.
pub fn hash(lines: &[Line]) -> String {
    let canonical: Vec<(&str, u32)> = lines.iter().map(|l| (l.sku.as_str(), l.qty)).collect();
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    sluice_kit::ids::to_hex(&Sha256::digest(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: u32) -> Line {
        Line {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn duplicate_skus_are_merged_in_sku_order() {
        let lines =
            parse(br#"{"items":[{"sku":"B","qty":2},{"sku":"A","qty":1},{"sku":"B","qty":3}]}"#);
        assert_eq!(lines, Ok(vec![line("A", 1), line("B", 5)]));
        let at_cap = parse(br#"{"items":[{"sku":"A","qty":600},{"sku":"A","qty":400}]}"#);
        assert_eq!(at_cap, Ok(vec![line("A", 1000)]));
    }

    #[test]
    fn bad_bodies_are_named() {
        let code = |body: &str| parse(body.as_bytes()).unwrap_err().code();
        for shape in [
            "not json",
            "[]",
            "{}",
            r#"{"items":"nope"}"#,
            r#"{"items":{}}"#,
            r#"{"items":[1]}"#,
            r#"{"items":[{"qty":1}]}"#,
            r#"{"items":[{"sku":7,"qty":1}]}"#,
            r#"{"items":[{"sku":"A"}]}"#,
            r#"{"items":[{"sku":"A","qty":"1"}]}"#,
            r#"{"items":[{"sku":"A","qty":1.5}]}"#,
            r#"{"items":[{"sku":"A","qty":99999999999999999999}]}"#,
        ] {
            assert_eq!(code(shape), "invalid_json", "{shape}");
        }
        let long = format!(r#"{{"items":[{{"sku":"{}","qty":1}}]}}"#, "x".repeat(65));
        for bad in [
            r#"{"items":[]}"#,
            r#"{"items":[{"sku":"","qty":1}]}"#,
            r#"{"items":[{"sku":"a\u0000","qty":1}]}"#,
            r#"{"items":[{"sku":"A","qty":0}]}"#,
            r#"{"items":[{"sku":"A","qty":-1}]}"#,
            r#"{"items":[{"sku":"A","qty":1001}]}"#,
            r#"{"items":[{"sku":"A","qty":1099511627776}]}"#,
            r#"{"items":[{"sku":"A","qty":600},{"sku":"B","qty":1},{"sku":"A","qty":401}]}"#,
            &long,
        ] {
            assert_eq!(code(bad), "invalid_items", "{bad}");
        }
        let over = r#"{"items":[{"sku":"A","qty":600},{"sku":"B","qty":1},{"sku":"A","qty":401}]}"#;
        assert!(
            parse(over.as_bytes())
                .unwrap_err()
                .message()
                .contains("\"A\"")
        );
    }

    #[test]
    fn at_most_100_distinct_skus() {
        let items = |n: usize| {
            let list: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"sku":"S-{i}","qty":1}}"#))
                .collect();
            format!(r#"{{"items":[{}]}}"#, list.join(","))
        };
        assert_eq!(parse(items(100).as_bytes()).unwrap().len(), 100);
        assert_eq!(
            parse(items(101).as_bytes()).unwrap_err().code(),
            "invalid_items"
        );
    }

    #[test]
    fn the_hash_ignores_order_and_split_but_not_content() {
        let a = parse(br#"{"items":[{"sku":"A","qty":1},{"sku":"B","qty":2}]}"#).unwrap();
        let b =
            parse(br#"{"items":[{"sku":"B","qty":1},{"sku":"A","qty":1},{"sku":"B","qty":1}]}"#)
                .unwrap();
        let c = parse(br#"{"items":[{"sku":"A","qty":2},{"sku":"B","qty":1}]}"#).unwrap();
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a).len(), 64);
    }
}

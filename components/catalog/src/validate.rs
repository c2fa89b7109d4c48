//! The input rules of products and of list pagination. Each rule has its own
//! error code (`invalid_sku`, `invalid_price`, ...) so clients can tell
//! which field to fix.

use crate::errors::{ApiError, CatalogError};
use serde_json::Value as Json;

/// Longest sku, in characters.
pub const MAX_SKU_CHARS: usize = 64;
/// Longest product name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Highest base price in minor units (ten billion major units): far below
/// where `qty * price` could overflow an i64 for any allowed quantity.
pub const MAX_PRICE: i64 = 1_000_000_000_000;
/// Most units of one product in stock (fits the `u32` of `stock.check`).
pub const MAX_STOCK: i64 = 1_000_000_000;
/// Products per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most products per page.
pub const MAX_LIMIT: u32 = 100;

/// Whether `sku` is 1..=64 of `[A-Za-z0-9_-]`. Skus are case-sensitive.
pub fn is_sku(sku: &str) -> bool {
    (1..=MAX_SKU_CHARS).contains(&sku.len())
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks a sku (see [`is_sku`]).
pub fn sku(sku: &str) -> Result<String, ApiError> {
    if is_sku(sku) {
        Ok(sku.to_string())
    } else {
        Err(CatalogError::field(
            "invalid_sku",
            "sku must be 1 to 64 characters of A-Z, a-z, 0-9, - and _",
        ))
    }
}

/// The trimmed name: 1..=200 characters, no control characters.
pub fn name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(CatalogError::field(
            "invalid_name",
            "name must be 1 to 200 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(CatalogError::field(
            "invalid_name",
            "name must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

/// The description: up to 2000 characters; line breaks and tabs are the
/// only control characters allowed.
pub fn description(text: &str) -> Result<String, ApiError> {
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(CatalogError::field(
            "invalid_description",
            "description must be at most 2000 characters",
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(CatalogError::field(
            "invalid_description",
            "description must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(text.to_string())
}

/// A base price: a JSON integer of minor units, 0..=[`MAX_PRICE`].
pub fn price(value: &Json) -> Result<i64, ApiError> {
    whole_number(value, MAX_PRICE).ok_or_else(|| {
        CatalogError::field(
            "invalid_price",
            "base_price must be a whole number of minor units (cents) from 0 to 1000000000000",
        )
    })
}

/// A stock level: a JSON integer, 0..=[`MAX_STOCK`].
pub fn stock(value: &Json) -> Result<i64, ApiError> {
    whole_number(value, MAX_STOCK).ok_or_else(|| {
        CatalogError::field(
            "invalid_stock",
            "stock must be a whole number of units from 0 to 1000000000",
        )
    })
}

/// An ISO 4217 code: three uppercase letters.
pub fn currency(code: &str) -> Result<String, ApiError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_string())
    } else {
        Err(CatalogError::field(
            "invalid_currency",
            "currency must be an ISO 4217 code of three uppercase letters, like USD",
        ))
    }
}

/// A JSON number that is an integer in `0..=max` (`10.0` is not: prices are
/// integers on the wire too).
fn whole_number(value: &Json, max: i64) -> Option<i64> {
    value.as_i64().filter(|n| (0..=max).contains(n))
}

/// One page of the product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

/// Reads `limit` (1..=100, default 20) and `offset` (0 or more, default 0)
/// from a query string. Other parameters are ignored; an empty, negative,
/// non-numeric or out-of-range value of either is `invalid_query`.
pub fn page(query: Option<&str>) -> Result<Page, ApiError> {
    let mut page = Page {
        limit: DEFAULT_LIMIT,
        offset: 0,
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "limit" => {
                page.limit = digits(value)
                    .and_then(|v| v.parse::<u32>().ok())
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or(ApiError::Service(CatalogError::InvalidQuery(
                        "limit must be a whole number from 1 to 100",
                    )))?;
            }
            "offset" => {
                page.offset = digits(value)
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|n| i64::try_from(*n).is_ok())
                    .ok_or(ApiError::Service(CatalogError::InvalidQuery(
                        "offset must be a whole number, 0 or more",
                    )))?;
            }
            _ => {}
        }
    }
    Ok(page)
}

/// `value` if it is one or more ASCII digits (no sign, no spaces).
fn digits(value: &str) -> Option<&str> {
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
        r.expect_err("expected an error").code()
    }

    #[test]
    fn skus() {
        for good in ["A", "COF-ESP-001", "abc_DEF-123", &"x".repeat(64)] {
            assert_eq!(sku(good).unwrap(), good);
        }
        for bad in ["", " A", "A B", "A/B", "A.B", "é", "A%20", &"x".repeat(65)] {
            assert_eq!(code(sku(bad)), "invalid_sku", "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Kettle \n").unwrap(), "Kettle");
        assert_eq!(name(&"é".repeat(200)).unwrap().chars().count(), 200);
        for bad in ["", "   ", "a\u{0}b", "tab\there", &"n".repeat(201)] {
            assert_eq!(code(name(bad)), "invalid_name", "{bad:?}");
        }
    }

    #[test]
    fn descriptions_may_be_empty_and_multiline() {
        assert_eq!(description("").unwrap(), "");
        assert!(description("line one\nline two\r\n\tindented").is_ok());
        assert!(description(&"d".repeat(2000)).is_ok());
        assert_eq!(code(description(&"d".repeat(2001))), "invalid_description");
        assert_eq!(code(description("bell\u{7}")), "invalid_description");
    }

    #[test]
    fn prices_and_stock_are_whole_non_negative_numbers() {
        assert_eq!(price(&json!(0)).unwrap(), 0);
        assert_eq!(price(&json!(1999)).unwrap(), 1999);
        assert_eq!(price(&json!(MAX_PRICE)).unwrap(), MAX_PRICE);
        for bad in [
            json!(-1),
            json!(19.99),
            json!(10.0),
            json!("1999"),
            json!(null),
            json!(MAX_PRICE + 1),
            json!(u64::MAX),
        ] {
            assert_eq!(code(price(&bad)), "invalid_price", "{bad}");
        }
        assert_eq!(stock(&json!(0)).unwrap(), 0);
        assert_eq!(stock(&json!(MAX_STOCK)).unwrap(), MAX_STOCK);
        for bad in [json!(-5), json!(1.5), json!(true), json!(MAX_STOCK + 1)] {
            assert_eq!(code(stock(&bad)), "invalid_stock", "{bad}");
        }
    }

    #[test]
    fn currencies_are_three_uppercase_letters() {
        for good in ["USD", "EUR", "JPY"] {
            assert_eq!(currency(good).unwrap(), good);
        }
        for bad in ["", "usd", "US", "USDD", "U$D", "ÉUR", "12A"] {
            assert_eq!(code(currency(bad)), "invalid_currency", "{bad:?}");
        }
    }

    #[test]
    fn pages_default_and_bound() {
        assert_eq!(
            page(None).unwrap(),
            Page {
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(
            page(Some("limit=100&offset=40&sort=x")).unwrap(),
            Page {
                limit: 100,
                offset: 40
            }
        );
        assert_eq!(page(Some("limit=1")).unwrap().limit, 1);
        assert_eq!(page(Some("&&offset=0")).unwrap().offset, 0);
        for bad in [
            "limit=0",
            "limit=101",
            "limit=-1",
            "limit=abc",
            "limit=",
            "limit",
            "limit=+5",
            "limit=1.5",
            "offset=-1",
            "offset=x",
            "offset=",
            "offset=99999999999999999999",
        ] {
            assert_eq!(code(page(Some(bad))), "invalid_query", "{bad:?}");
        }
    }
}

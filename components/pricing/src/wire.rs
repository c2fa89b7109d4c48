//! The JSON bodies the service reads and writes, and request-body parsing
//! that turns every malformed input into a 400 `invalid_json`.

use crate::errors::ApiError;
use crate::promotion::{Discount, Promotion};
use crate::quote::{AdjustmentKind, Quote};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Number;
use sluice_kit::times::rfc3339;

/// `POST /api/promotions` body: a promotion without id. Numbers are read as
/// JSON numbers so that validation can say precisely what is wrong with
/// them (a fraction, a range). Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    expecting = "a JSON object with \"sku\", \"percent_off\" or \"fixed_price\", \"starts_at\", \"ends_at\" and optional \"max_units\""
)]
pub struct CreatePromotion {
    pub sku: String,
    #[serde(default)]
    pub percent_off: Option<Number>,
    #[serde(default)]
    pub fixed_price: Option<Number>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub max_units: Option<Number>,
}

/// A promotion as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionView {
    pub id: String,
    pub sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_off: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_price: Option<i64>,
    /// RFC 3339, UTC.
    pub starts_at: String,
    /// RFC 3339, UTC.
    pub ends_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_units: Option<i64>,
    /// For a capped promotion: units not yet claimed by orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_units: Option<i64>,
    /// Whether the promotion is inside its window now (host clock).
    pub active: bool,
}

impl PromotionView {
    /// The view of `p` at `now_ms`.
    pub fn new(p: &Promotion, now_ms: i64) -> PromotionView {
        let (percent_off, fixed_price) = match p.discount {
            Discount::PercentOff(percent) => (Some(percent), None),
            Discount::FixedPrice(fixed) => (None, Some(fixed)),
        };
        PromotionView {
            id: p.id.clone(),
            sku: p.sku.clone(),
            percent_off,
            fixed_price,
            starts_at: rfc3339(p.starts_at_ms),
            ends_at: rfc3339(p.ends_at_ms),
            max_units: p.max_units,
            remaining_units: p.remaining(),
            active: p.is_active(now_ms),
        }
    }
}

/// One entry of a quote's `applied` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedView {
    /// `promotion` or `tenant_rule`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Units of the quote this adjustment priced.
    pub units: u32,
    pub detail: String,
}

/// A quote as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteView {
    pub sku: String,
    pub qty: u32,
    pub tenant: String,
    pub currency: String,
    pub base_unit_price: i64,
    pub unit_price: i64,
    pub total: i64,
    pub applied: Vec<AppliedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_error: Option<String>,
}

impl From<Quote> for QuoteView {
    fn from(q: Quote) -> QuoteView {
        QuoteView {
            sku: q.sku,
            qty: q.qty,
            tenant: q.tenant,
            currency: q.currency,
            base_unit_price: q.base_unit_price,
            unit_price: q.unit_price,
            total: q.total,
            applied: q
                .applied
                .into_iter()
                .map(|a| AppliedView {
                    kind: match a.kind {
                        AdjustmentKind::Promotion => "promotion",
                        AdjustmentKind::TenantRule => "tenant_rule",
                    }
                    .to_string(),
                    id: a.id,
                    units: a.units,
                    detail: a.detail,
                })
                .collect(),
            rule_error: q.rule_error,
        }
    }
}

/// Parses a request body as `T` (the kit's [`sluice_kit::json::parse`]):
/// any failure is [`ApiError::InvalidJson`] with serde's reason.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    sluice_kit::json::parse(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_mistyped_fields_are_invalid_json() {
        for body in [
            r#"{"sku":"A"}"#,
            r#"{"sku":5,"starts_at":"x","ends_at":"y"}"#,
            r#"{"sku":"A","starts_at":"x","ends_at":"y","percent_off":"15"}"#,
        ] {
            let e = parse::<CreatePromotion>(body.as_bytes()).unwrap_err();
            assert_eq!(e.code(), "invalid_json", "{body:?}");
        }
    }

    #[test]
    fn promotion_views_omit_absent_fields() {
        let p = Promotion {
            id: "p1".into(),
            sku: "S".into(),
            discount: Discount::FixedPrice(499),
            starts_at_ms: 0,
            ends_at_ms: 1_000,
            max_units: None,
            claimed_units: 0,
        };
        let v = serde_json::to_value(PromotionView::new(&p, 500)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "id": "p1", "sku": "S", "fixed_price": 499,
                "starts_at": "1970-01-01T00:00:00Z", "ends_at": "1970-01-01T00:00:01Z",
                "active": true
            })
        );
        let capped = Promotion {
            discount: Discount::PercentOff(10),
            max_units: Some(10),
            claimed_units: 4,
            ..p
        };
        let v = serde_json::to_value(PromotionView::new(&capped, 1_000)).unwrap();
        assert_eq!(v["percent_off"], 10);
        assert_eq!(v["max_units"], 10);
        assert_eq!(v["remaining_units"], 6);
        assert_eq!(v["active"], false);
        assert!(v.get("fixed_price").is_none());
    }
}

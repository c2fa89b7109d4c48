//! Promotions (flash sales): a discount on one sku inside a time window,
//! optionally capped to a number of units sold at the promotional price.

use crate::errors::{ApiError, PricingError};
use crate::money::{self, MAX_UNIT_PRICE};
use crate::times;
use crate::wire::CreatePromotion;
use serde_json::Number;

/// The largest unit cap a promotion may have.
pub const MAX_UNIT_CAP: i64 = 1_000_000_000;
/// Longest accepted sku.
pub const MAX_SKU_CHARS: usize = 64;

/// How a promotion lowers the price of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// This many percent off the base price, 1..=100, rounded half up
    /// (see [`money::percent_off`]).
    PercentOff(u8),
    /// This price instead of the base price, in minor units (never more
    /// than the base price: a promotion never raises a price).
    FixedPrice(i64),
}

impl Discount {
    /// The promotional price of one unit whose base price is `base`.
    pub fn unit_price(self, base: i64) -> i64 {
        match self {
            Discount::PercentOff(percent) => money::percent_off(base, percent),
            Discount::FixedPrice(fixed) => money::fixed_price(base, fixed),
        }
    }

    /// A short description, e.g. "15% off" or "fixed price 499".
    pub fn describe(self) -> String {
        match self {
            Discount::PercentOff(percent) => format!("{percent}% off"),
            Discount::FixedPrice(fixed) => format!("fixed price {fixed}"),
        }
    }
}

/// A stored promotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub id: String,
    pub sku: String,
    pub discount: Discount,
    /// Start of the window, inclusive (ms since the Unix epoch).
    pub starts_at_ms: i64,
    /// End of the window, exclusive.
    pub ends_at_ms: i64,
    /// At most this many units are sold at the promotional price.
    pub max_units: Option<i64>,
    /// Units claimed by orders and not released (counted for every
    /// promotion; only a capped one runs out).
    pub claimed_units: i64,
}

impl Promotion {
    /// Whether the promotion applies at `now_ms`: `starts_at <= now <
    /// ends_at`, so it is active at its start instant and no longer at its
    /// end instant.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.starts_at_ms <= now_ms && now_ms < self.ends_at_ms
    }

    /// Units still available at the promotional price, or `None` when
    /// uncapped: `max_units` minus the units claimed at order time (never
    /// below zero).
    pub fn remaining(&self) -> Option<i64> {
        self.max_units.map(|max| (max - self.claimed_units).max(0))
    }
}

/// A validated promotion to create (no id yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromotion {
    pub sku: String,
    pub discount: Discount,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub max_units: Option<i64>,
}

/// Checks a create request. Every failure is 400 `invalid_promotion` with a
/// sentence naming the field: a sku that is empty or too long, both or
/// neither of `percent_off` and `fixed_price`, `percent_off` outside
/// 1..=100 or not an integer, `fixed_price` negative, above
/// [`MAX_UNIT_PRICE`] or not an integer, a time that is not RFC 3339, an end
/// not after the start, `max_units` below 1, above [`MAX_UNIT_CAP`] or not
/// an integer. Whether the sku exists is checked afterwards (404).
pub fn validate(req: &CreatePromotion) -> Result<NewPromotion, ApiError> {
    let invalid = |why: &str| {
        Err(ApiError::Service(PricingError::InvalidPromotion(
            why.into(),
        )))
    };
    let sku = req.sku.trim();
    if sku.is_empty() || sku.chars().count() > MAX_SKU_CHARS || sku.chars().any(char::is_control) {
        return invalid("sku must be 1 to 64 characters");
    }
    let discount = match (&req.percent_off, &req.fixed_price) {
        (Some(_), Some(_)) => return invalid("give either percent_off or fixed_price, not both"),
        (None, None) => return invalid("give percent_off (1..=100) or fixed_price"),
        (Some(percent), None) => match integer(percent) {
            Some(p @ 1..=100) => Discount::PercentOff(p as u8),
            _ => return invalid("percent_off must be an integer from 1 to 100"),
        },
        (None, Some(fixed)) => match integer(fixed) {
            Some(f @ 0..=MAX_UNIT_PRICE) => Discount::FixedPrice(f),
            _ => {
                return invalid(
                    "fixed_price must be an integer amount in minor units, from 0 to 10^12",
                );
            }
        },
    };
    let Some(starts_at_ms) = times::parse_ms(&req.starts_at) else {
        return invalid("starts_at must be an RFC 3339 time, e.g. 2030-01-01T12:00:00Z");
    };
    let Some(ends_at_ms) = times::parse_ms(&req.ends_at) else {
        return invalid("ends_at must be an RFC 3339 time, e.g. 2030-01-01T12:00:00Z");
    };
    if ends_at_ms <= starts_at_ms {
        return invalid("ends_at must be after starts_at");
    }
    let max_units = match &req.max_units {
        None => None,
        Some(n) => match integer(n) {
            Some(m @ 1..=MAX_UNIT_CAP) => Some(m),
            _ => return invalid("max_units must be an integer from 1 to 10^9"),
        },
    };
    Ok(NewPromotion {
        sku: sku.to_string(),
        discount,
        starts_at_ms,
        ends_at_ms,
        max_units,
    })
}

/// A JSON number that is an integer (`5`, not `5.0` or `5.5`).
fn integer(n: &Number) -> Option<i64> {
    n.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: serde_json::Value) -> CreatePromotion {
        serde_json::from_value(value).unwrap()
    }

    fn base() -> serde_json::Value {
        json!({
            "sku": "SKU-1",
            "percent_off": 15,
            "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2030-01-02T00:00:00Z",
        })
    }

    fn with(field: &str, value: serde_json::Value) -> CreatePromotion {
        let mut v = base();
        v[field] = value;
        request(v)
    }

    fn rejected(req: &CreatePromotion) -> String {
        match validate(req) {
            Err(ApiError::Service(PricingError::InvalidPromotion(why))) => why,
            other => panic!("expected invalid_promotion, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_percent_promotion() {
        let p = validate(&request(base())).unwrap();
        assert_eq!(p.sku, "SKU-1");
        assert_eq!(p.discount, Discount::PercentOff(15));
        assert_eq!(p.starts_at_ms, 1_893_456_000_000);
        assert_eq!(p.ends_at_ms, 1_893_456_000_000 + 86_400_000);
        assert_eq!(p.max_units, None);
    }

    #[test]
    fn a_valid_fixed_capped_promotion() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("percent_off");
        v["fixed_price"] = json!(0);
        v["max_units"] = json!(10);
        let p = validate(&request(v)).unwrap();
        assert_eq!(p.discount, Discount::FixedPrice(0));
        assert_eq!(p.max_units, Some(10));
    }

    #[test]
    fn percent_must_be_1_to_100() {
        assert_eq!(
            validate(&with("percent_off", json!(1))).unwrap().discount,
            Discount::PercentOff(1)
        );
        assert_eq!(
            validate(&with("percent_off", json!(100))).unwrap().discount,
            Discount::PercentOff(100)
        );
        for bad in [json!(0), json!(101), json!(-5), json!(15.5), json!(1e3)] {
            assert!(
                rejected(&with("percent_off", bad.clone())).contains("percent_off"),
                "{bad}"
            );
        }
    }

    #[test]
    fn both_or_neither_discount_is_rejected() {
        let why = rejected(&with("fixed_price", json!(100)));
        assert!(why.contains("not both"), "{why}");
        let mut v = base();
        v.as_object_mut().unwrap().remove("percent_off");
        assert!(rejected(&request(v)).contains("percent_off"));
        let why = rejected(&with("percent_off", serde_json::Value::Null));
        assert!(why.contains("fixed_price"), "null counts as absent: {why}");
    }

    #[test]
    fn fixed_price_must_be_a_non_negative_integer() {
        let fixed = |v: serde_json::Value| {
            let mut b = base();
            b.as_object_mut().unwrap().remove("percent_off");
            b["fixed_price"] = v;
            request(b)
        };
        assert!(validate(&fixed(json!(0))).is_ok());
        assert!(validate(&fixed(json!(MAX_UNIT_PRICE))).is_ok());
        for bad in [json!(-1), json!(4.99), json!(MAX_UNIT_PRICE + 1)] {
            assert!(
                rejected(&fixed(bad.clone())).contains("fixed_price"),
                "{bad}"
            );
        }
    }

    #[test]
    fn end_must_be_after_start() {
        let why = rejected(&with("ends_at", json!("2030-01-01T00:00:00Z")));
        assert!(why.contains("after"), "equal instants: {why}");
        let why = rejected(&with("ends_at", json!("2029-12-31T23:59:59Z")));
        assert!(why.contains("after"), "end before start: {why}");
        // The same instant written with an offset is still equal.
        let why = rejected(&with("ends_at", json!("2030-01-01T01:00:00+01:00")));
        assert!(why.contains("after"), "{why}");
        let ok = validate(&with("ends_at", json!("2030-01-01T00:00:00.001Z"))).unwrap();
        assert_eq!(ok.ends_at_ms - ok.starts_at_ms, 1);
    }

    #[test]
    fn times_must_be_rfc_3339() {
        assert!(rejected(&with("starts_at", json!("2030-01-01"))).contains("starts_at"));
        assert!(rejected(&with("ends_at", json!("soon"))).contains("ends_at"));
    }

    #[test]
    fn max_units_must_be_at_least_one() {
        assert_eq!(
            validate(&with("max_units", json!(1))).unwrap().max_units,
            Some(1)
        );
        for bad in [json!(0), json!(-3), json!(2.5), json!(MAX_UNIT_CAP + 1)] {
            assert!(
                rejected(&with("max_units", bad.clone())).contains("max_units"),
                "{bad}"
            );
        }
        assert_eq!(
            validate(&with("max_units", serde_json::Value::Null))
                .unwrap()
                .max_units,
            None
        );
    }

    #[test]
    fn sku_must_be_present_and_short() {
        assert!(rejected(&with("sku", json!(""))).contains("sku"));
        assert!(rejected(&with("sku", json!("  "))).contains("sku"));
        assert!(rejected(&with("sku", json!("x".repeat(65)))).contains("sku"));
        assert_eq!(validate(&with("sku", json!(" A-1 "))).unwrap().sku, "A-1");
    }

    fn promo(starts: i64, ends: i64) -> Promotion {
        Promotion {
            id: "p".into(),
            sku: "S".into(),
            discount: Discount::PercentOff(10),
            starts_at_ms: starts,
            ends_at_ms: ends,
            max_units: None,
            claimed_units: 0,
        }
    }

    #[test]
    fn window_is_start_inclusive_end_exclusive() {
        let p = promo(1_000, 2_000);
        assert!(!p.is_active(999));
        assert!(p.is_active(1_000));
        assert!(p.is_active(1_999));
        assert!(!p.is_active(2_000));
        assert!(!p.is_active(2_001));
    }

    #[test]
    fn remaining_units_are_the_cap_minus_claims() {
        let mut p = promo(0, 1);
        assert_eq!(p.remaining(), None);
        p.claimed_units = 7;
        assert_eq!(p.remaining(), None, "uncapped never runs out");
        p.max_units = Some(10);
        assert_eq!(p.remaining(), Some(3));
        p.claimed_units = 12;
        assert_eq!(p.remaining(), Some(0), "never below zero");
    }

    #[test]
    fn discounts_price_a_unit() {
        assert_eq!(Discount::PercentOff(15).unit_price(999), 849);
        assert_eq!(Discount::FixedPrice(499).unit_price(999), 499);
        assert_eq!(Discount::FixedPrice(1500).unit_price(999), 999);
        assert_eq!(Discount::PercentOff(15).describe(), "15% off");
        assert_eq!(Discount::FixedPrice(499).describe(), "fixed price 499");
    }
}

//! An example tenant pricing rule (world `sluice:platform/pricing-rule`):
//! a bulk discount on the unit price by quantity. From 10 units the unit
//! price is 5% lower, from 50 units 10% lower, rounded half up to the minor
//! unit (see `rule_kit::percent_off`).
//!
//! Under 10 units the rule still answers `Ok`, with the price unchanged and
//! the reason "bulk: no discount under 10 units": the rule did run and
//! decided, which is not an error (an `Err` is for a rule that cannot
//! decide, e.g. on bad input), and the reason tells the customer how close
//! they are to a discount.

#![cfg_attr(target_arch = "wasm32", no_std)]

/// The discount in per cent for `qty` units: 10 from 50, 5 from 10, else 0.
pub fn discount_percent(qty: u32) -> u32 {
    match qty {
        50.. => 10,
        10.. => 5,
        _ => 0,
    }
}

/// The bulk unit price of `qty` units at `unit_price` (minor units).
pub fn bulk_price(unit_price: i64, qty: u32) -> i64 {
    rule_kit::percent_off(unit_price, discount_percent(qty))
}

#[cfg(target_arch = "wasm32")]
mod component {
    extern crate alloc;
    use alloc::format;
    use rule_kit::{Guest, Input, Output, String};

    struct Bulk;

    impl Guest for Bulk {
        fn apply(input: Input) -> Result<Output, String> {
            let percent = super::discount_percent(input.qty);
            let reason = if percent == 0 {
                String::from("bulk: no discount under 10 units")
            } else {
                format!("bulk: {percent}% off for {} units", input.qty)
            };
            Ok(Output {
                unit_price: super::bulk_price(input.unit_price, input.qty),
                reason,
            })
        }
    }

    rule_kit::export!(Bulk);
}

#[cfg(test)]
mod tests {
    use super::{bulk_price, discount_percent};

    #[test]
    fn tiers() {
        assert_eq!(discount_percent(0), 0);
        assert_eq!(discount_percent(9), 0);
        assert_eq!(discount_percent(10), 5);
        assert_eq!(discount_percent(49), 5);
        assert_eq!(discount_percent(50), 10);
        assert_eq!(discount_percent(u32::MAX), 10);
    }

    #[test]
    fn prices() {
        assert_eq!(bulk_price(1000, 1), 1000);
        assert_eq!(bulk_price(1000, 9), 1000);
        assert_eq!(bulk_price(1000, 10), 950);
        assert_eq!(bulk_price(1990, 10), 1891); // 1890.5 rounds up
        assert_eq!(bulk_price(1995, 50), 1796); // 1795.5 rounds up
        assert_eq!(bulk_price(1999, 50), 1799); // 1799.1
        assert_eq!(bulk_price(0, 100), 0);
    }
}

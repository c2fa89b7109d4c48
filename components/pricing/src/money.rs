//! Money arithmetic in integer minor units (cents): no floats anywhere.
//!
//! The rounding rule: a percentage discount is computed exactly on the
//! integer price and rounded **half up** to the minor unit, i.e. a result
//! with a fractional part of exactly one half goes up (5 at 50% off is
//! 2.5, charged 3). Since prices are never negative, half up is also half
//! away from zero. A discounted price is never below zero (100% off is 0)
//! and never above the price it discounts.

/// The largest unit price the service handles, in minor units (10^12, ten
/// billion in a two-decimal currency). Bounds every product so that
/// `unit price * 1000 units` cannot overflow an `i64`.
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000_000;

/// `price` minus `percent` percent, rounded half up to the minor unit.
/// `percent` is clamped to 0..=100 and a negative `price` counts as 0, so
/// the result is always within `0..=price`.
///
/// 999 at 15% off is 849.15, charged 849; 1000 at 33% off is 670; 5 at
/// 50% off is 2.5, charged 3; 1 at 50% off is 0.5, charged 1.
pub fn percent_off(price: i64, percent: u8) -> i64 {
    let price = i128::from(price.max(0));
    let keep = i128::from(100 - percent.min(100));
    // floor((price * keep + 50) / 100) is price * keep / 100 rounded half up
    // for non-negative numbers; i128 cannot overflow here.
    let rounded = (price * keep + 50) / 100;
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The price of a fixed-price promotion on a unit of `base`: `fixed`, but
/// never more than `base` (a promotion never raises a price) and never
/// below zero.
pub fn fixed_price(base: i64, fixed: i64) -> i64 {
    fixed.clamp(0, base.max(0))
}

/// `unit_price * units`, or `None` on overflow.
pub fn line_total(unit_price: i64, units: u32) -> Option<i64> {
    unit_price.checked_mul(i64::from(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_half_up_to_the_minor_unit() {
        // 849.15 -> 849
        assert_eq!(percent_off(999, 15), 849);
        // 670.00 exactly
        assert_eq!(percent_off(1000, 33), 670);
        // 2.5 -> 3 (half goes up)
        assert_eq!(percent_off(5, 50), 3);
        // 0.5 -> 1, 1.5 -> 2
        assert_eq!(percent_off(1, 50), 1);
        assert_eq!(percent_off(3, 50), 2);
        // 0.49 -> 0, 0.51 -> 1
        assert_eq!(percent_off(1, 51), 0);
        assert_eq!(percent_off(1, 49), 1);
        // 1999 at 10% off = 1799.1 -> 1799; at 25% off = 1499.25 -> 1499
        assert_eq!(percent_off(1999, 10), 1799);
        assert_eq!(percent_off(1999, 25), 1499);
        // 1999 at 50% off = 999.5 -> 1000
        assert_eq!(percent_off(1999, 50), 1000);
        // 333 at 1% off = 329.67 -> 330
        assert_eq!(percent_off(333, 1), 330);
    }

    #[test]
    fn percent_is_never_below_zero_nor_above_the_price() {
        assert_eq!(percent_off(999, 100), 0);
        assert_eq!(percent_off(0, 50), 0);
        assert_eq!(percent_off(-5, 10), 0, "a negative price counts as 0");
        assert_eq!(percent_off(999, 0), 999);
        assert_eq!(percent_off(999, 200), 0, "clamped to 100%");
        for price in [0, 1, 2, 3, 7, 99, 100, 101, 999, 12_345] {
            for percent in 0..=100 {
                let p = percent_off(price, percent);
                assert!((0..=price).contains(&p), "{price} at {percent}%: {p}");
            }
        }
    }

    #[test]
    fn percent_matches_exact_half_up_for_every_small_case() {
        // Cross-check against the definition in tenths of a hundredth.
        for price in 0..=500i64 {
            for percent in 0..=100u8 {
                let exact_hundredths = price * i64::from(100 - percent); // price*keep/100, times 100
                let (whole, frac) = (exact_hundredths / 100, exact_hundredths % 100);
                let expected = if frac >= 50 { whole + 1 } else { whole };
                assert_eq!(percent_off(price, percent), expected, "{price} {percent}");
            }
        }
    }

    #[test]
    fn percent_of_the_largest_price_does_not_overflow() {
        assert_eq!(percent_off(MAX_UNIT_PRICE, 50), MAX_UNIT_PRICE / 2);
        assert_eq!(percent_off(i64::MAX, 0), i64::MAX);
        assert_eq!(percent_off(i64::MAX, 1), 9_131_138_316_486_228_049);
    }

    #[test]
    fn fixed_price_never_raises_nor_goes_negative() {
        assert_eq!(fixed_price(999, 499), 499);
        assert_eq!(fixed_price(999, 0), 0);
        assert_eq!(fixed_price(999, 1500), 999);
        assert_eq!(fixed_price(999, -1), 0);
    }

    #[test]
    fn line_totals_are_exact_or_none() {
        assert_eq!(line_total(849, 3), Some(2547));
        assert_eq!(
            line_total(MAX_UNIT_PRICE, 1000),
            Some(MAX_UNIT_PRICE * 1000)
        );
        assert_eq!(line_total(i64::MAX, 2), None);
    }
}

//! An example tenant pricing rule (world `sluice:platform/pricing-rule`):
//! charm pricing. A unit price of at least 1.00 is lowered to the nearest
//! price ending in .99 (12.50 -> 11.99, 12.99 stays); smaller prices are
//! left alone. Pure computation: it imports nothing — `no_std`, so no WASI
//! import (and no WASI adapter) is linked in, which is what the
//! `pricing-rule` world requires and what keeps instantiation cheap. The
//! bindings, allocator and panic handler come from `rule-kit`.

#![cfg_attr(target_arch = "wasm32", no_std)]

/// The charm price of `unit_price` (minor units), never higher than it.
pub fn charm(unit_price: i64) -> i64 {
    if unit_price < 100 {
        return unit_price;
    }
    let candidate = unit_price / 100 * 100 + 99;
    if candidate <= unit_price {
        candidate
    } else {
        candidate - 100
    }
}

#[cfg(target_arch = "wasm32")]
mod component {
    extern crate alloc;
    use alloc::format;
    use rule_kit::{Guest, Input, Output, String};

    struct Round99;

    impl Guest for Round99 {
        fn apply(input: Input) -> Result<Output, String> {
            let unit_price = super::charm(input.unit_price);
            Ok(Output {
                unit_price,
                reason: format!("charm price {unit_price}"),
            })
        }
    }

    rule_kit::export!(Round99);
}

#[cfg(test)]
mod tests {
    use super::charm;

    #[test]
    fn rounds_down_to_99() {
        assert_eq!(charm(1250), 1199);
        assert_eq!(charm(1299), 1299);
        assert_eq!(charm(1300), 1299);
        assert_eq!(charm(100), 99);
        assert_eq!(charm(199), 199);
    }

    #[test]
    fn small_prices_unchanged() {
        assert_eq!(charm(0), 0);
        assert_eq!(charm(99), 99);
        assert_eq!(charm(50), 50);
    }
}

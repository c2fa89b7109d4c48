//! Test fixture, not a real rule: a pricing rule (world
//! `sluice:platform/pricing-rule`) that answers a negative unit price,
//! [`PRICE`], which the `rule` interface forbids (`unit-price` must be
//! >= 0). The host must reject the answer.

#![cfg_attr(target_arch = "wasm32", no_std)]

/// The unit price it answers, in minor units.
pub const PRICE: i64 = -500;

#[cfg(target_arch = "wasm32")]
mod component {
    use rule_kit::{Guest, Input, Output, String};

    struct BadPrice;

    impl Guest for BadPrice {
        fn apply(_: Input) -> Result<Output, String> {
            Ok(Output {
                unit_price: super::PRICE,
                reason: String::from("badprice: a negative price"),
            })
        }
    }

    rule_kit::export!(BadPrice);
}

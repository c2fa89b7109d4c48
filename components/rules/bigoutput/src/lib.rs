//! Test fixture, not a real rule: a pricing rule (world
//! `sluice:platform/pricing-rule`) whose answer has a reason of
//! [`REASON_LEN`] bytes (1 MiB), far past the host's output cap (about
//! 20 KiB). The price is left unchanged; the host must reject the answer
//! for its size.

#![cfg_attr(target_arch = "wasm32", no_std)]

/// The length of the reason it answers: 1 MiB of `x`.
pub const REASON_LEN: usize = 1 << 20;

#[cfg(target_arch = "wasm32")]
mod component {
    use rule_kit::{Guest, Input, Output, String};

    struct BigOutput;

    impl Guest for BigOutput {
        fn apply(input: Input) -> Result<Output, String> {
            Ok(Output {
                unit_price: input.unit_price,
                reason: "x".repeat(super::REASON_LEN),
            })
        }
    }

    rule_kit::export!(BigOutput);
}

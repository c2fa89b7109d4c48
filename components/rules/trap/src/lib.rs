//! Test fixture, not a real rule: a pricing rule (world
//! `sluice:platform/pricing-rule`) whose `apply` always traps (a wasm
//! `unreachable`), as a rule that panics does. The host must report it as a
//! failed rule and carry on.

#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod component {
    use rule_kit::{Guest, Input, Output, String};

    struct Trap;

    impl Guest for Trap {
        fn apply(_: Input) -> Result<Output, String> {
            core::arch::wasm32::unreachable()
        }
    }

    rule_kit::export!(Trap);
}

//! Test fixture, not a real rule: a pricing rule (world
//! `sluice:platform/pricing-rule`) whose `apply` never returns. The loop
//! counts through `core::hint::black_box`, so the optimiser can neither
//! prove it pointless nor remove it; only the host's fuel budget or
//! deadline stops it.

#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod component {
    use core::hint::black_box;
    use rule_kit::{Guest, Input, Output, String};

    struct Loop;

    impl Guest for Loop {
        fn apply(_: Input) -> Result<Output, String> {
            let mut n = 0u64;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
    }

    rule_kit::export!(Loop);
}

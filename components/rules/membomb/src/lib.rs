//! Test fixture, not a real rule: a pricing rule (world
//! `sluice:platform/pricing-rule`) that allocates far past the host's
//! memory cap (10 MiB): it keeps 1 MiB chunks, up to 1 GiB, writing every
//! byte of each (so the memory is really used, and `black_box` keeps the
//! optimiser from dropping the allocations). The host's cap must stop it:
//! a refused `memory.grow` makes the allocation fail, which traps. Were it
//! ever to get its gigabyte, it answers the price unchanged.

#![cfg_attr(target_arch = "wasm32", no_std)]

/// One allocation: 1 MiB.
pub const CHUNK: usize = 1 << 20;
/// How many chunks it tries to keep: 1 GiB in all.
pub const CHUNKS: usize = 1024;

#[cfg(target_arch = "wasm32")]
mod component {
    extern crate alloc;
    use alloc::{format, vec, vec::Vec};
    use core::hint::black_box;
    use rule_kit::{Guest, Input, Output, String};

    struct MemBomb;

    impl Guest for MemBomb {
        fn apply(input: Input) -> Result<Output, String> {
            let mut chunks = Vec::new();
            for i in 0..super::CHUNKS {
                chunks.push(black_box(vec![i as u8 | 1; super::CHUNK]));
            }
            let kept = black_box(&chunks).len();
            Ok(Output {
                unit_price: input.unit_price,
                reason: format!("membomb: kept {kept} MiB"),
            })
        }
    }

    rule_kit::export!(MemBomb);
}

//! What every tenant pricing rule (world `sluice:platform/pricing-rule`)
//! shares, so that a rule crate holds only its own logic.
//!
//! Rules import nothing — no WASI — so they are `no_std`, and a `no_std`
//! component must bring what std would: a global allocator, the canonical
//! ABI's `cabi_realloc` and a panic handler. On wasm32 this crate provides
//! all three (see `runtime`), plus the world's bindings, generated once here.
//! A rule implements [`Guest`] and invokes [`export!`] once:
//!
//! ```ignore
//! #[cfg(target_arch = "wasm32")]
//! mod component {
//!     use rule_kit::{Guest, Input, Output, String};
//!     struct MyRule;
//!     impl Guest for MyRule {
//!         fn apply(input: Input) -> Result<Output, String> { /* ... */ }
//!     }
//!     rule_kit::export!(MyRule);
//! }
//! ```
//!
//! Naming anything of this crate (as `export!` does) links it in, and with
//! it the allocator, `cabi_realloc` and the panic handler. On other targets
//! only the plain arithmetic below is compiled, for native unit tests.

#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod runtime;

/// Bindings of the `pricing-rule` world (wasm32 only). Rules use the
/// re-exports at the crate root and [`export!`].
#[cfg(target_arch = "wasm32")]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "sluice:platform/pricing-rule",
        pub_export_macro: true,
        default_bindings_module: "rule_kit::bindings",
    });
}

#[cfg(target_arch = "wasm32")]
pub use bindings::export;
#[cfg(target_arch = "wasm32")]
pub use bindings::exports::sluice::platform::rule::{Guest, Input, Output};

extern crate alloc;
pub use alloc::string::String;

/// `unit_price` (minor units) less `percent` per cent, rounded half up to
/// the minor unit: 1990 less 5% is 1890.5, so 1891. `percent` above 100 is
/// taken as 100. Exact for every `i64` (the product is taken in `i128`).
pub fn percent_off(unit_price: i64, percent: u32) -> i64 {
    let keep = 100 - i128::from(percent.min(100));
    // Half up means towards +infinity at .5, for negative prices too:
    // floor((x + 50) / 100).
    let scaled = i128::from(unit_price) * keep + 50;
    // Never out of range: the result lies between 0 and `unit_price`.
    i64::try_from(scaled.div_euclid(100)).unwrap_or(unit_price)
}

#[cfg(test)]
mod tests {
    use super::percent_off;

    #[test]
    fn rounds_half_up() {
        assert_eq!(percent_off(1990, 5), 1891); // 1890.5
        assert_eq!(percent_off(1999, 5), 1899); // 1899.05
        assert_eq!(percent_off(1995, 10), 1796); // 1795.5
        assert_eq!(percent_off(1, 10), 1); // 0.9
        assert_eq!(percent_off(5, 10), 5); // 4.5
        assert_eq!(percent_off(-5, 10), -4); // -4.5
    }

    #[test]
    fn edges() {
        assert_eq!(percent_off(1000, 0), 1000);
        assert_eq!(percent_off(1000, 100), 0);
        assert_eq!(percent_off(1000, 250), 0);
        assert_eq!(percent_off(0, 10), 0);
        assert_eq!(percent_off(i64::MAX, 0), i64::MAX);
        assert_eq!(percent_off(i64::MIN, 0), i64::MIN);
        assert_eq!(percent_off(i64::MAX, 10), 8_301_034_833_169_298_226);
    }
}

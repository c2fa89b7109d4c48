//! An example tenant pricing rule (world `sluice:platform/pricing-rule`):
//! charm pricing. A unit price of at least 1.00 is lowered to the nearest
//! price ending in .99 (12.50 -> 11.99, 12.99 stays); smaller prices are
//! left alone. Pure computation: it imports nothing — `no_std`, so no WASI
//! import (and no WASI adapter) is linked in, which is what the
//! `pricing-rule` world requires and what keeps instantiation cheap.

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
    use alloc::string::String;

    #[global_allocator]
    static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

    /// The canonical ABI's allocator hook. On wasm32-wasip2, std's libc
    /// provides it; a `no_std` component provides its own.
    #[unsafe(no_mangle)]
    unsafe extern "C" fn cabi_realloc(
        old_ptr: *mut u8,
        old_len: usize,
        align: usize,
        new_len: usize,
    ) -> *mut u8 {
        use alloc::alloc::{Layout, alloc, realloc};
        if new_len == 0 {
            return align as *mut u8;
        }
        // SAFETY: the canonical ABI passes a valid power-of-two alignment,
        // and `old_ptr`/`old_len` describe an earlier allocation of ours.
        let ptr = unsafe {
            if old_len == 0 {
                alloc(Layout::from_size_align_unchecked(new_len, align))
            } else {
                realloc(
                    old_ptr,
                    Layout::from_size_align_unchecked(old_len, align),
                    new_len,
                )
            }
        };
        if ptr.is_null() {
            core::arch::wasm32::unreachable()
        }
        ptr
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        core::arch::wasm32::unreachable()
    }

    wit_bindgen::generate!({
        path: "../../../wit",
        world: "sluice:platform/pricing-rule",
    });

    use exports::sluice::platform::rule::{Guest, Input, Output};

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

    export!(Round99);
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

//! What std would provide to a component, for `no_std` rules on wasm32:
//! the global allocator, `cabi_realloc` and the panic handler. They live in
//! this crate so that every rule gets them by depending on it; a
//! `#[no_mangle]` function of a linked dependency is exported from the
//! final cdylib like one of the rule's own.

use alloc::alloc::{Layout, alloc, realloc};

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// The canonical ABI's allocator hook. On wasm32-wasip2, std's libc
/// provides it (and wit-bindgen does not); a `no_std` component brings its
/// own. Out of memory traps, as the host's memory cap means it to.
#[unsafe(no_mangle)]
unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
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

/// A panic traps: the host reports the rule as failed. No message is
/// formatted, which keeps `core::fmt`'s panic machinery out of small rules.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

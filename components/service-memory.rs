//! The build script of the service components (each service's Cargo.toml
//! names it with `build = "../service-memory.rs"`): a service's linear
//! memory starts at [`INITIAL_MEMORY`], enough for the heap of an ordinary
//! request, instead of the linker's default (static data plus the stack).
//!
//! Every request gets a fresh instance from wasmtime's pool. An instance
//! that grows its memory leaves the pool slot larger than the next
//! instance's initial size, so the next instantiation takes the excess
//! back with an `mprotect`, and each growth gives it again with another:
//! three syscalls per request, each a TLB shoot-down on every core the
//! process runs on. An order grew its memory on every request (profiled
//! in BENCHMARKS.md, "Issue 12: services start with their request's heap").
//! Pages of the larger initial memory that a request never touches are
//! never made resident, and the pool resets only the pages a request
//! dirtied, so the larger start costs nothing for requests that need less.

/// 2 MiB: 32 wasm pages.
const INITIAL_MEMORY: u32 = 2 << 20;

fn main() {
    // Only the wasm component; the same crate's native rlib (the services'
    // unit tests) and a native cdylib link with the host's linker.
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--initial-memory={INITIAL_MEMORY}");
    }
    println!("cargo:rerun-if-changed=../service-memory.rs");
}

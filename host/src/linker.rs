//! The one linker every service component is linked with: WASI p2 and p3
//! (Rust's std imports wasi:cli/wasi:io 0.2; nothing is granted through
//! them), wasi:http p2 and p3 types, and the sluice capabilities.

use crate::state::ComponentState;
use anyhow::Result;
use wasmtime::Engine;
use wasmtime::component::Linker;

pub fn new_linker(engine: &Engine) -> Result<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    crate::capabilities::add_to_linker(&mut linker)?;
    Ok(linker)
}

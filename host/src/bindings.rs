//! Host bindings for the WIT package `sluice:platform`, generated from the
//! host's own world (`world host` in wit/world.wit). All `bindgen!` output
//! stays in this private module; the capability modules implement the
//! generated traits next to their backends.

mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "sluice:platform/host",
        imports: { default: tracing },
        exports: { default: async },
    });
}

pub use generated::exports::sluice::platform::{accounts, quote, rule, schema, stock};
pub use generated::sluice::platform::{cache, clock, config, log, rate_limit, sql, token};

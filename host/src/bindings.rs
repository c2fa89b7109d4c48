//! Host bindings for the WIT package `sluice:platform`, generated from the
//! host's own world (`world host` in wit/world.wit). All `bindgen!` output
//! stays in this private module; the capability modules implement the
//! generated traits next to their backends.

mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "sluice:platform/host",
        // No `tracing` on imports: it makes a span per host call even with
        // the log at info, a subscriber call per span (BENCHMARKS.md,
        // issue 12, the access log and per-thread gateway).
        exports: { default: async },
        // Calls between nodes carry the linked interfaces' values as JSON.
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

/// The host's view of a tenant rule (`world pricing-rule`): the one export
/// it calls. Rules run in an engine of their own, so they get bindings of
/// their own.
mod rule_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "sluice:platform/pricing-rule",
        exports: { default: async },
    });
}

pub use generated::exports::sluice::platform::{
    accounts, housekeeping, products, quote, schema, stock,
};
pub use generated::sluice::platform::{
    cache, clock, config, log, rate_limit, shards, sql, tenant_rules, token, token_issuer,
};
pub use rule_world::exports::sluice::platform::rule;

/// The imported side of the interfaces one component exports and another
/// imports (`stock`, `quote`, `products`): the host implements these by
/// calling the exporting service (see `capabilities::links`).
pub mod linked {
    pub use super::generated::sluice::platform::{products, quote, stock};
}

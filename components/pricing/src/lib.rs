//! The pricing service of sluice: quotes, flash-sale promotions and their
//! unit caps, as a `wasm32-wasip2` component exporting the WASIp3
//! `wasi:http/handler` (the REST API) and the typed `quote` interface (for
//! the order service).
//!
//! A quote is the base price, then the best active promotion ([`pricing`];
//! money rules in [`money`]), then the tenant's own rule ([`rules`]). The
//! base price and its currency are catalog's: catalog is the one source of
//! products and base prices, and pricing reads them on every quote through
//! the host-linked `products` import ([`ports::Products`]; see [`quote`]),
//! keeping no copy of its own. Promotion caps are counted when
//! orders claim units ([`claims`]), atomically in the database.
//!
//! The business logic is plain Rust over the traits in [`ports`], unit
//! tested natively on the kit's test host (pricing's own migrations on an
//! in-memory SQLite); the `component` module (wasm only) binds pricing's
//! links to its own imports (the kit binds the shared ones) and the exports
//! to [`handler`], [`migrations`], [`quote`] and [`claims`].

pub mod auth;
pub mod body;
pub mod claims;
pub mod errors;
pub mod failure;
pub mod handler;
pub mod migrations;
pub mod money;
pub mod params;
pub mod ports;
pub mod prices;
pub mod pricing;
pub mod promotion;
pub mod promotions;
pub mod quote;
pub mod reply;
pub mod routes;
pub mod rules;
pub mod store;
pub mod times;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod testing;

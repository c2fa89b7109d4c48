//! The order service of sluice: orders over sharded storage, as a
//! `wasm32-wasip2` component exporting the WASIp3 `wasi:http/handler` (the
//! REST API under `/api/orders`), `schema` (its tables, applied by the
//! host to every shard) and `housekeeping`.
//!
//! A customer's orders live on one shard ([`shard`]: jump consistent hash
//! of the account id); an order id names its shard. An order's row moves
//! through the statuses of [`status`]. Placing an order ([`place`]) writes
//! its row pending, holds stock in the catalog and quotes prices in pricing
//! at the same time, claims promotion units, confirms the hold, writes the
//! order, and gives everything back if a step fails ([`saga`]);
//! [`idempotency`] makes a retried request with the same `Idempotency-Key`
//! return the same order. Reads are in [`orders`], cancels in [`cancel`].
//! The `housekeeping` export ([`housekeeping`]) settles orders whose
//! request died half-way ([`settle`]) and finishes interrupted cancels.
//!
//! The logic is plain Rust over the traits in [`ports`], unit tested
//! natively on the kit's test host: its real SQL on in-memory SQLite
//! shards built by its own migrations, with fakes of catalog and pricing;
//! the `component` module (wasm only) binds those traits to the WIT
//! imports.

pub mod auth;
pub mod cancel;
pub mod errors;
pub mod failure;
pub mod giveback;
pub mod handler;
pub mod housekeeping;
pub mod idempotency;
pub mod items;
pub mod lifecycle;
pub mod migrations;
pub mod orders;
pub mod place;
pub mod ports;
pub mod promotions;
pub mod routes;
pub mod saga;
pub mod settings;
pub mod settle;
pub mod shard;
pub mod status;
pub mod store;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod testing;

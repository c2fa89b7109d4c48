//! The order service of sluice: orders over sharded storage, as a
//! `wasm32-wasip2` component exporting the WASIp3 `wasi:http/handler` (the
//! REST API under `/api/orders`) and `schema` (its tables, applied by the
//! host to every shard).
//!
//! A customer's orders live on one shard ([`shard`]: jump consistent hash
//! of the account id); an order id names its shard. Placing an order
//! ([`place`]) reserves stock in the catalog and quotes prices in pricing
//! at the same time, claims promotion units, writes the order, and gives
//! everything back if a step fails; [`idempotency`] makes a retried
//! request with the same `Idempotency-Key` return the same order. Reads are
//! in [`orders`].
//!
//! The logic is plain Rust over the traits in [`ports`], unit tested
//! natively against an in-memory fake host; the `component` module (wasm
//! only) binds those traits to the WIT imports.

pub mod auth;
pub mod errors;
pub mod failure;
pub mod handler;
pub mod idempotency;
pub mod items;
pub mod migrations;
pub mod orders;
pub mod place;
pub mod ports;
pub mod routes;
pub mod shard;
pub mod store;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod testing;

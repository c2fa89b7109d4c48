//! The catalog service of sluice: the product catalogue (list, get, admin
//! create and update), its seed, stock control for other services and
//! product lookups (catalog is the one source of products and base prices;
//! pricing reads them through [`lookup`]), as a `wasm32-wasip2` component
//! exporting the WASIp3 `wasi:http/handler`, `schema`, `stock`, `products`
//! and `housekeeping` (the expiry of stock holds).
//!
//! The business logic is plain Rust over the traits in [`ports`], unit
//! tested natively; the `component` module (wasm only) binds those traits
//! to the WIT imports and the exports to [`handler`], [`migrations`],
//! [`stock`], [`lookup`] and [`holds`].

pub mod auth;
pub mod body;
pub mod cached;
pub mod errors;
pub mod failure;
pub mod handler;
pub mod holds;
pub mod lookup;
pub mod migrations;
pub mod ports;
pub mod products;
pub mod reply;
pub mod reservations;
pub mod routes;
pub mod seed;
pub mod stock;
pub mod store;
pub mod validate;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod holds_tests;
#[cfg(test)]
mod stock_tests;
#[cfg(test)]
mod testing;

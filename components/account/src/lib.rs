//! The account service of sluice: register, login and `me`; tenants, their
//! members and customer attributes for admins; as a `wasm32-wasip2`
//! component exporting the WASIp3 `wasi:http/handler`.
//!
//! The business logic is plain Rust over the traits in [`ports`], unit
//! tested natively on the kit's test host (the real SQL on SQLite); the
//! `component` module (wasm only) takes the shared imports from the kit,
//! binds the service's own links (`rate-limit`, `token-issuer`) and hands
//! the exports to [`handler`], [`migrations`] and [`admin`].

pub mod admin;
pub mod attributes;
pub mod auth;
pub mod body;
pub mod create;
pub mod errors;
pub mod failure;
pub mod handler;
pub mod login;
pub mod me;
pub mod members;
pub mod migrations;
pub mod password;
pub mod ports;
pub mod register;
pub mod reply;
pub mod routes;
pub mod store;
pub mod tenant_store;
pub mod tenants;
pub mod throttle;
pub mod validate;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod admin_testing;
#[cfg(test)]
mod attribute_tests;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod login_throttle_tests;
#[cfg(test)]
mod tenant_tests;
#[cfg(test)]
mod testing;

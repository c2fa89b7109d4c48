//! The sluice host: runs service components (wasmtime), gives them their
//! capabilities, serves each on its HTTP port, and starts the gateway.

pub mod admin;
pub mod bindings;
pub mod builtin;
pub mod capabilities;
pub mod cli;
mod cli_admin;
mod cli_rule;
pub mod config;
pub mod desired;
pub mod discovery;
pub mod engine;
mod files;
pub mod frontdoor;
pub mod housekeeping;
pub mod http_server;
pub mod linker;
pub mod log_writer;
/// The manifest of the services (`sluice-wit`, read from the WIT worlds).
pub use sluice_wit as manifest;
pub mod node;
pub mod periodic;
pub mod preflight;
pub mod rules;
pub mod run;
pub mod service;
pub mod state;
pub mod swap;

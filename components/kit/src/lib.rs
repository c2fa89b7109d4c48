//! What every service component shares, in plain Rust with no bindings, so
//! each component's wasm glue stays thin and the logic is written once.

pub mod body;
pub mod http;
pub mod ids;
pub mod reply;
pub mod sql;
pub mod times;
pub mod token;

//! What every service component shares, so each component holds only its
//! own logic: the host's capabilities as plain Rust [`ports`], the types
//! they carry ([`sql`], [`token`]), request and reply helpers, and on wasm
//! the one set of bindings and the glue that implements the ports with them
//! (`guest`). With the `sqlite` feature, the one SQLite runner the host's
//! backend and the test host share; with `testing`, the test host the
//! services' unit tests run their real SQL on.

pub mod body;
pub mod errors;
pub mod failure;
pub mod http;
pub mod ids;
pub mod json;
pub mod links;
pub mod ports;
pub mod reply;
pub mod sql;
pub mod times;
pub mod token;

#[cfg(target_arch = "wasm32")]
pub mod guest;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

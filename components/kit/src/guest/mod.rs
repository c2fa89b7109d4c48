//! The wasm side every service shares (wasm32 only): the bindings of the
//! host's capabilities and of wasi:http, generated once here from world
//! `sluice:platform/guest`; [`Imports`], which implements the
//! [`ports`](crate::ports) with them; the request and response glue of
//! `wasi:http/handler`; and the macros that export a service's handler and
//! schema. A service's own `generate!` maps these interfaces to
//! [`bindings`] with `with:` and so generates only its exports and links.

mod http;
mod imports;
mod macros;

pub use http::{RequestBody, incoming, respond};
pub use imports::{
    Imports, from_claims, from_rows, from_sql, from_sql_error, to_sql, to_statement,
};

/// The generated bindings of world `sluice:platform/guest`.
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "sluice:platform/guest",
        generate_all,
    });
}

use crate::sql::Dialect;
use bindings::sluice::platform::sql;

/// The host's dialect as the kit's.
pub fn dialect(dialect: sql::Dialect) -> Dialect {
    match dialect {
        sql::Dialect::Sqlite => Dialect::Sqlite,
        sql::Dialect::Postgres => Dialect::Postgres,
        sql::Dialect::Mysql => Dialect::Mysql,
    }
}

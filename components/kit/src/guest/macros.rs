//! What every service's wasm glue has, written once: its bindings, which
//! take every shared interface from the kit, and the exports every service
//! has (these impls name the service's own generated export traits, so they
//! expand in its crate).

/// Generates the bindings of service world `$world` (e.g.
/// `"sluice:platform/catalog"`): its exports and its own links. The
/// interfaces every service world imports (wasi:http's and wasi:clocks'
/// types, `sql`, `token`, `clock`, `log`) come from the kit; `{ ... }` maps
/// the other shared ones its world imports, as wit-bindgen `with` entries
/// (wit-bindgen refuses a mapping the world does not use).
#[macro_export]
macro_rules! service_bindings {
    ($world:tt, { $($with:tt)* }) => {
        wit_bindgen::generate!({
            path: "../../wit",
            world: $world,
            with: {
                "wasi:http/types@0.3.0": sluice_kit::guest::bindings::wasi::http::types,
                "wasi:clocks/types@0.3.0": sluice_kit::guest::bindings::wasi::clocks::types,
                "sluice:platform/sql@0.1.0": sluice_kit::guest::bindings::sluice::platform::sql,
                "sluice:platform/token@0.1.0": sluice_kit::guest::bindings::sluice::platform::token,
                "sluice:platform/clock@0.1.0": sluice_kit::guest::bindings::sluice::platform::clock,
                "sluice:platform/log@0.1.0": sluice_kit::guest::bindings::sluice::platform::log,
                $($with)*
            },
        });
    };
}

/// Exports `wasi:http/handler` for `$component`: each request goes to
/// `$handle(&Imports, Request<RequestBody>) -> Reply` and the reply back.
#[macro_export]
macro_rules! export_http_handler {
    ($component:ty, $handle:path) => {
        impl exports::wasi::http::handler::Guest for $component {
            async fn handle(
                request: $crate::guest::bindings::wasi::http::types::Request,
            ) -> Result<
                $crate::guest::bindings::wasi::http::types::Response,
                $crate::guest::bindings::wasi::http::types::ErrorCode,
            > {
                let request = $crate::guest::incoming(request);
                $crate::guest::respond($handle(&$crate::guest::Imports, request).await)
            }
        }
    };
}

/// Exports `schema` for `$component` from `$migrations(Dialect) ->
/// Vec<Migration>` (the kit's types).
#[macro_export]
macro_rules! export_schema {
    ($component:ty, $migrations:path) => {
        impl exports::sluice::platform::schema::Guest for $component {
            fn migrations(
                dialect: $crate::guest::bindings::sluice::platform::sql::Dialect,
            ) -> Vec<exports::sluice::platform::schema::Migration> {
                $migrations($crate::guest::dialect(dialect))
                    .into_iter()
                    .map(|m| exports::sluice::platform::schema::Migration {
                        version: m.version,
                        name: m.name,
                        statements: m.statements,
                    })
                    .collect()
            }
        }
    };
}

//! The operator's console, served by the gateway itself: the page at
//! `/console` (files of gateway/console/, built into the binary), and the
//! two things only the gateway knows, for platform admins:
//! `GET /console/cluster` (each service's instances from discovery, with
//! their breaker state) and `GET /console/traffic` (the last minutes of
//! traffic, [`traffic`]), and `/docs`, the API's documentation (Swagger UI,
//! vendored, on `/openapi.yaml`). Everything else the page shows comes from the
//! platform's API through the gateway, with the admin's token.

mod assets;
pub(crate) mod traffic;

use crate::auth::{Authenticator, authenticate_admin};
use crate::body::{GatewayBody, full, json_response};
use crate::errors::GatewayError;
use crate::pool::Pools;
use crate::resolver::Resolver;
use http::{HeaderMap, Method, Response, StatusCode, header};
use serde_json::json;

/// Whether the console answers this path (the API's docs page too).
pub(crate) fn is_console(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/") || path == assets::DOCS
}

/// What the console's data pages read.
pub(crate) struct ConsoleData<'a> {
    pub(crate) authenticator: &'a dyn Authenticator,
    pub(crate) resolver: &'a dyn Resolver,
    pub(crate) pools: &'a Pools,
    pub(crate) services: Vec<&'a str>,
    pub(crate) traffic: &'a traffic::Traffic,
}

/// Answers a console request.
pub(crate) fn respond(
    data: ConsoleData<'_>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Response<GatewayBody>, GatewayError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(GatewayError::ReadOnly);
    }
    match path {
        "/console/cluster" => {
            authenticate_admin(data.authenticator, headers)?;
            Ok(json_response(StatusCode::OK, &cluster(&data)))
        }
        "/console/traffic" => {
            authenticate_admin(data.authenticator, headers)?;
            let body = json!({
                "interval_ms": traffic::INTERVAL.as_millis() as u64,
                "samples": data.traffic.samples(),
            });
            Ok(json_response(StatusCode::OK, &body))
        }
        _ => {
            let (bytes, content_type) = assets::find(path).ok_or(GatewayError::NotFound)?;
            let mut response = Response::new(full(bytes));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                content_type.parse().expect("a media type"),
            );
            headers.insert(header::CACHE_CONTROL, "no-cache".parse().expect("a value"));
            Ok(response)
        }
    }
}

/// Every routed service (the nodes' admin APIs aside) with the instances
/// discovery lists and the gateway's view of each.
fn cluster(data: &ConsoleData<'_>) -> serde_json::Value {
    let mut names: Vec<&str> = data
        .services
        .iter()
        .copied()
        .filter(|s| *s != "admin" && !s.starts_with("admin-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let services: Vec<serde_json::Value> = names
        .into_iter()
        .map(|name| {
            let states = data.pools.states(name);
            let mut addrs = data.resolver.instances(name);
            addrs.sort_unstable();
            let instances: Vec<serde_json::Value> = addrs
                .into_iter()
                .map(|addr| {
                    let (state, in_flight) = states.get(&addr).copied().unwrap_or(("closed", 0));
                    json!({"address": addr.to_string(), "state": state, "in_flight": in_flight})
                })
                .collect();
            json!({"name": name, "instances": instances})
        })
        .collect();
    json!({ "services": services })
}

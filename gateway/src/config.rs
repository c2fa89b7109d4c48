//! Gateway configuration: where to listen, which path prefix goes to which
//! service, and the limits applied to every request.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

/// `[gateway]` in the host configuration. Every field has a default, so an
/// empty table (or `GatewayConfig::default()`) is a working gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Path prefix to service table. The longest prefix matching on a path
    /// segment boundary wins.
    pub routes: Vec<Route>,
    /// Largest request body forwarded upstream; larger ones get 413.
    pub max_body_bytes: u64,
    /// Largest request head (request line and headers) accepted; larger
    /// ones get 431 from the HTTP layer.
    pub max_header_bytes: usize,
    /// How long an upstream may take to send its response head before the
    /// client gets 504.
    #[serde(rename = "upstream_timeout_ms", with = "millis")]
    pub upstream_timeout: Duration,
}

/// One routing rule: requests whose path is `prefix` or lies below it go to
/// an instance of `service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub prefix: String,
    pub service: String,
}

impl Route {
    pub fn new(prefix: impl Into<String>, service: impl Into<String>) -> Self {
        Route {
            prefix: prefix.into(),
            service: service.into(),
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            routes: default_routes(),
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 64 * 1024,
            upstream_timeout: Duration::from_secs(30),
        }
    }
}

/// The public API of DESIGN.md: one prefix per resource, pricing owning
/// both prices and promotions.
pub fn default_routes() -> Vec<Route> {
    [
        ("/api/accounts", "account"),
        ("/api/products", "catalog"),
        ("/api/prices", "pricing"),
        ("/api/promotions", "pricing"),
        ("/api/orders", "order"),
    ]
    .into_iter()
    .map(|(prefix, service)| Route::new(prefix, service))
    .collect()
}

/// A `Duration` written as whole milliseconds.
mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_document_is_the_default() {
        let config: GatewayConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, GatewayConfig::default());
        assert_eq!(config.routes.len(), 5);
    }

    #[test]
    fn fields_override_defaults() {
        let config: GatewayConfig = serde_json::from_str(
            r#"{"listen":"0.0.0.0:9000","upstream_timeout_ms":250,
                "routes":[{"prefix":"/x","service":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.upstream_timeout, Duration::from_millis(250));
        assert_eq!(config.routes, vec![Route::new("/x", "x")]);
        assert_eq!(config.max_body_bytes, 1024 * 1024);
    }
}

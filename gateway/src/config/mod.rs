//! Gateway configuration (`[gateway]` in the host's TOML): where to listen,
//! the route table with its per-route options, request limits, and the
//! traffic-control settings. Every field has a default, so an empty table
//! (or `GatewayConfig::default()`) is a working gateway.

mod millis;
mod rate_limit;
mod resilience;
mod route;

pub use rate_limit::{LimitClass, LimiterBackend, QuotaConfig, RateLimitConfig};
pub use resilience::{BalancerKind, BreakerConfig, RetryConfig, SheddingConfig};
pub use route::{DEFAULT_CLASS, FaultConfig, Methods, Route};

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
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
    /// Most header fields in one request; more get 431.
    pub max_headers: usize,
    /// How long an upstream may take to send its response head before the
    /// client gets 504, for routes that set no `timeout_ms`.
    #[serde(rename = "upstream_timeout_ms", with = "millis")]
    pub upstream_timeout: Duration,
    pub balancer: BalancerKind,
    pub rate_limit: RateLimitConfig,
    pub shedding: SheddingConfig,
    pub retry: RetryConfig,
    pub breaker: BreakerConfig,
    /// `/metrics` shows routes and upstream addresses: it answers loopback
    /// peers (a scraper on the machine) and requests bearing this token
    /// (`Authorization: Bearer`, for a scraper elsewhere), nobody else.
    pub metrics_token: Option<String>,
    /// Whether requests to a service instance in this process (`sluice up`,
    /// a node running the gateway beside services) are handed to it in
    /// memory rather than over loopback TCP. Off, every attempt is an HTTP
    /// exchange (for comparison; the traffic control is the same).
    pub in_process: bool,
    /// Threads serving the gateway, each with its own runtime and all
    /// accepting from the one listening socket (0: one per core).
    pub threads: usize,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            routes: default_routes(),
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            upstream_timeout: Duration::from_secs(30),
            balancer: BalancerKind::default(),
            rate_limit: RateLimitConfig::default(),
            shedding: SheddingConfig::default(),
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
            metrics_token: None,
            in_process: true,
            threads: 0,
        }
    }
}

impl GatewayConfig {
    /// How many threads serve: `threads`, or one per core for 0.
    pub fn serving_threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// The public API of DESIGN.md: one prefix per resource, pricing owning
/// both prices and promotions. Orders need a token; changing products and
/// promotions needs an admin token; the rest is left to the services.
/// Tenants, their members and account attributes are account's; they and
/// the tenant rules (on a node running pricing) need a token, and the
/// service checks the role, since a tenant's admin may manage its own.
/// The nodes' admin APIs (admin only): a service's deploys and rollbacks go
/// to a node running that service (`admin-{service}`), the rest to any node
/// (`admin`); the services are the manifest's (`sluice-wit`).
pub fn default_routes() -> Vec<Route> {
    let admin = |prefix: &str, service: &str| Route::new(prefix, service).admin(Methods::All);
    let token = |prefix: &str, service: &str| Route::new(prefix, service).protected(Methods::All);
    let mut routes = vec![
        Route::new("/api/accounts", "account"),
        Route::new("/api/products", "catalog").admin(Methods::writes()),
        Route::new("/api/prices", "pricing"),
        Route::new("/api/promotions", "pricing").admin(Methods::writes()),
        Route::new("/api/orders", "order").protected(Methods::All),
        admin("/admin", "admin"),
        token("/admin/tenants", "account"),
        token("/admin/accounts", "account"),
        token("/admin/tenants/*/pricing-rule", "admin-pricing"),
    ];
    for service in sluice_wit::services() {
        routes.push(admin(
            &format!("/admin/components/{service}"),
            &format!("admin-{service}"),
        ));
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_document_is_the_default() {
        let config: GatewayConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, GatewayConfig::default());
        assert_eq!(config.routes.len(), 13);
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

    #[test]
    fn reads_per_route_options_and_traffic_settings() {
        let config: GatewayConfig = serde_json::from_str(
            r#"{
              "routes": [
                {"prefix": "/api/orders", "service": "order", "protected": true,
                 "timeout_ms": 2000, "rate_limit": "strict", "retries": 0},
                {"prefix": "/api/products", "service": "catalog",
                 "admin": ["post", "PUT"], "faults": {"abort_status": 503, "abort_percent": 10}}
              ],
              "balancer": "least_outstanding",
              "rate_limit": {"backend": "redis", "redis_timeout_ms": 20,
                "classes": {"strict": {"per_ip": {"limit": 5, "period_ms": 1000}}}},
              "shedding": {"max_in_flight": 10},
              "breaker": {"consecutive_failures": 2, "cool_down_ms": 100}
            }"#,
        )
        .unwrap();
        let orders = &config.routes[0];
        assert_eq!(orders.protected, Methods::All);
        assert_eq!(orders.timeout, Some(Duration::from_millis(2000)));
        assert_eq!((orders.rate_limit.as_str(), orders.retries), ("strict", 0));
        let products = &config.routes[1];
        assert!(products.admin.contains(&http::Method::POST));
        assert!(!products.admin.contains(&http::Method::GET));
        assert_eq!(products.faults.as_ref().unwrap().abort_status, 503);
        assert_eq!(config.balancer, BalancerKind::LeastOutstanding);
        assert_eq!(config.rate_limit.backend, LimiterBackend::Redis);
        assert_eq!(config.rate_limit.redis_timeout, Duration::from_millis(20));
        let classes = config.rate_limit.effective_classes();
        assert_eq!(classes["strict"].per_ip.unwrap().limit, 5);
        assert!(classes.contains_key(DEFAULT_CLASS), "built-in class kept");
        assert_eq!(config.shedding.max_in_flight, 10);
        assert_eq!(config.shedding.max_in_flight_per_service, 4_096);
        assert_eq!(config.breaker.consecutive_failures, 2);
    }

    /// The full format, as documented for `[gateway]` in the host's TOML.
    #[test]
    fn reads_the_documented_toml() {
        let config: GatewayConfig = toml::from_str(
            r#"
            listen = "0.0.0.0:8080"
            max_headers = 50
            upstream_timeout_ms = 10000
            balancer = "least_outstanding"

            [[routes]]
            prefix = "/api/orders"
            service = "order"
            protected = true
            timeout_ms = 5000
            retries = 0

            [[routes]]
            prefix = "/api/products"
            service = "catalog"
            admin = ["POST", "PUT", "DELETE"]
            rate_limit = "catalog"
            faults = { delay_ms = 100, delay_percent = 10, abort_status = 503, abort_percent = 0.5 }

            [rate_limit]
            backend = "redis"
            redis_url = "redis://redis:6379"
            redis_timeout_ms = 50

            [rate_limit.classes.catalog]
            per_ip = { limit = 100, period_ms = 1000, burst = 200 }

            [shedding]
            max_in_flight = 5000

            [retry]
            budget_ratio = 0.1

            [breaker]
            consecutive_failures = 3
            cool_down_ms = 2000
            "#,
        )
        .unwrap();
        assert_eq!(config.routes.len(), 2);
        let faults = config.routes[1].faults.as_ref().unwrap();
        assert_eq!((faults.delay_percent, faults.abort_percent), (10.0, 0.5));
        assert_eq!(config.rate_limit.redis_url, "redis://redis:6379");
        assert_eq!(config.retry.budget_ratio, 0.1);
        assert_eq!(config.breaker.cool_down, Duration::from_secs(2));
        assert_eq!(config.max_headers, 50);
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(serde_json::from_str::<GatewayConfig>(r#"{"listne":"0.0.0.0:1"}"#).is_err());
        assert!(
            serde_json::from_str::<GatewayConfig>(
                r#"{"routes":[{"prefix":"/x","service":"x","protect":true}]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn round_trips_through_json() {
        let config = GatewayConfig::default();
        let text = serde_json::to_string(&config).unwrap();
        assert_eq!(
            serde_json::from_str::<GatewayConfig>(&text).unwrap(),
            config
        );
    }
}

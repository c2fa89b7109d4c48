//! The sluice HTTP API gateway.
//!
//! It routes `/api/*` requests by path prefix to a healthy instance of the
//! owning service (found through a host-supplied [`Resolver`]) over pooled
//! keep-alive connections, and controls the traffic on the way: bearer
//! tokens verified at the edge through a host-supplied [`Authenticator`]
//! (401/403 before any upstream is touched, the identity passed upstream in
//! `x-sluice-*` headers), GCRA rate limits per client IP and per user (local
//! or shared through Redis), load shedding, per-route timeouts, budgeted
//! retries of idempotent requests, a circuit breaker per instance, and fault
//! injection. It gives every request an id, answers `/health` and
//! `/metrics` itself, and turns its own failures into the JSON errors of the
//! public API.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use sluice_gateway::{Gateway, GatewayConfig, StaticResolver};
//! use std::sync::Arc;
//!
//! let resolver = StaticResolver::new().with("account", vec!["127.0.0.1:8081".parse()?]);
//! let gateway = Gateway::bind(GatewayConfig::default(), Arc::new(resolver)).await?;
//! println!("listening on {}", gateway.local_addr());
//! gateway.run(async { tokio::signal::ctrl_c().await.ok(); }).await
//! # }
//! ```

mod access_log;
mod auth;
mod balancer;
mod body;
mod breaker;
mod config;
mod console;
mod contract;
mod errors;
mod faults;
mod forward;
mod headers;
mod health;
mod limit;
mod local;
mod metrics;
mod outgoing;
mod pool;
mod proxy;
mod ratelimit;
mod request_id;
mod resolver;
mod retry;
mod routing;
mod server;
mod service;
mod shedding;
mod spread;

pub use auth::{
    ADMIN_ROLE, AuthError, Authenticator, DenyAll, Identity, X_SLUICE_ROLE, X_SLUICE_SUBJECT,
    X_SLUICE_TENANT,
};
pub use body::{BoxError, GatewayBody};
pub use config::{
    BalancerKind, BreakerConfig, DEFAULT_CLASS, FaultConfig, GatewayConfig, LimitClass,
    LimiterBackend, Methods, QuotaConfig, RateLimitConfig, RetryConfig, Route, SheddingConfig,
    default_routes,
};
pub use contract::OPENAPI_YAML;
pub use errors::GatewayError;
pub use headers::RESERVED_PREFIX;
pub use local::{LocalResponse, LocalUpstream};
pub use metrics::Prom;
pub use pool::{Lease, Pools};
pub use ratelimit::{RATELIMIT_LIMIT, RATELIMIT_REMAINING, RATELIMIT_RESET};
pub use request_id::{RequestId, X_REQUEST_ID};
pub use resolver::{Resolver, StaticResolver};
pub use server::{Gateway, GatewayBuilder};
pub use service::metrics_allowed;

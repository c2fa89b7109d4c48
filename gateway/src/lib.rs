//! The sluice HTTP API gateway.
//!
//! It routes `/api/*` requests by path prefix to an instance of the owning
//! service (found through a host-supplied [`Resolver`], chosen round robin),
//! forwards them over pooled keep-alive connections, gives every request an
//! id, answers `/health` itself, and turns its own failures into the JSON
//! errors of the public API.
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
mod balancer;
mod body;
mod config;
mod errors;
mod headers;
mod health;
mod limit;
mod proxy;
mod request_id;
mod resolver;
mod routing;
mod server;
mod service;

pub use body::{BoxError, GatewayBody};
pub use config::{GatewayConfig, Route, default_routes};
pub use errors::GatewayError;
pub use headers::RESERVED_PREFIX;
pub use request_id::{RequestId, X_REQUEST_ID};
pub use resolver::{Resolver, StaticResolver};
pub use server::Gateway;

//! Upstream instances in the gateway's own process (`sluice up`, or a node
//! running the gateway beside services): the host hands the gateway each
//! one's front door as a [`LocalUpstream`], and an attempt to that address
//! is handed over in memory instead of crossing loopback TCP and a second
//! HTTP parse. Everything else stays as for a remote instance: routing,
//! auth, rate limits, breakers, retries, the deadline and the headers sent.

use crate::body::{BoxError, GatewayBody};
use http::{Request, Response};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

/// A response on its way from a local upstream.
pub type LocalResponse =
    Pin<Box<dyn Future<Output = Result<Response<GatewayBody>, BoxError>> + Send>>;

/// A service instance served in this process.
pub trait LocalUpstream: Send + Sync {
    /// Handles `request` (origin-form target, `host` and forwarding headers
    /// set as for a remote instance) as the instance's front door would.
    fn call(&self, request: Request<GatewayBody>) -> LocalResponse;
}

/// The local upstreams by the address their front door listens on.
pub(crate) type LocalUpstreams = HashMap<SocketAddr, Arc<dyn LocalUpstream>>;

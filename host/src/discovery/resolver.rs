//! [`DiscoveryResolver`]: the gateway's synchronous `Resolver` served from
//! any [`Discovery`] backend's in-memory view (for Consul, the cache its
//! blocking queries keep fresh).

use super::Discovery;
use sluice_gateway::Resolver;
use std::net::SocketAddr;
use std::sync::Arc;

pub struct DiscoveryResolver {
    discovery: Arc<dyn Discovery>,
}

impl DiscoveryResolver {
    /// A resolver over `discovery` as it is now (no lookup first).
    pub fn over(discovery: Arc<dyn Discovery>) -> Self {
        DiscoveryResolver { discovery }
    }

    /// A resolver over `discovery`, after asking it once for each of
    /// `services` (so a Consul backend has its watches running and its
    /// cache filled before the first request). A service that cannot be
    /// found yet is logged and resolved later.
    pub async fn new<'a>(
        discovery: Arc<dyn Discovery>,
        services: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        for service in services {
            if let Err(error) = discovery.instances(service).await {
                tracing::warn!(%service, %error, "no instances known yet");
            }
        }
        DiscoveryResolver { discovery }
    }
}

impl Resolver for DiscoveryResolver {
    fn instances(&self, service: &str) -> Vec<SocketAddr> {
        self.discovery.cached(service)
    }
}

//! Service discovery as the gateway sees it: a service name in, the
//! addresses of its healthy instances out. The host implements it over its
//! discovery backends; [`StaticResolver`] serves tests and fixed set-ups.

use std::collections::HashMap;
use std::net::SocketAddr;

/// Where the instances of a service are. Called once per proxied request,
/// so implementations should answer from memory, not over the network.
pub trait Resolver: Send + Sync + 'static {
    /// The healthy instances of `service`; empty when there are none.
    fn instances(&self, service: &str) -> Vec<SocketAddr>;
}

/// A fixed service to instances table.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    services: HashMap<String, Vec<SocketAddr>>,
}

impl StaticResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the instances of `service`, replacing any it had.
    pub fn insert(&mut self, service: impl AsRef<str>, instances: Vec<SocketAddr>) -> &mut Self {
        self.services.insert(service.as_ref().to_owned(), instances);
        self
    }

    /// Builder form of [`insert`](Self::insert).
    pub fn with(mut self, service: impl AsRef<str>, instances: Vec<SocketAddr>) -> Self {
        self.insert(service, instances);
        self
    }
}

impl Resolver for StaticResolver {
    fn instances(&self, service: &str) -> Vec<SocketAddr> {
        self.services.get(service).cloned().unwrap_or_default()
    }
}

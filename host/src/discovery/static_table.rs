//! [`StaticDiscovery`]: the instances listed in the configuration. The
//! table is the truth: registrations are accepted and change nothing.

use super::{Discovery, DiscoveryError, Registration};
use futures::future::{self, BoxFuture};
use std::collections::BTreeMap;
use std::net::SocketAddr;

#[derive(Debug, Clone, Default)]
pub struct StaticDiscovery {
    services: BTreeMap<String, Vec<SocketAddr>>,
}

impl StaticDiscovery {
    pub fn new(services: BTreeMap<String, Vec<SocketAddr>>) -> Self {
        StaticDiscovery { services }
    }
}

impl Discovery for StaticDiscovery {
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        tracing::debug!(id = %registration.id(), "static discovery: registration ignored");
        Box::pin(future::ok(()))
    }

    fn deregister<'a>(
        &'a self,
        _registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        Box::pin(future::ok(()))
    }

    fn instances<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, DiscoveryError>> {
        Box::pin(future::ok(self.cached(service)))
    }

    fn cached(&self, service: &str) -> Vec<SocketAddr> {
        self.services.get(service).cloned().unwrap_or_default()
    }
}

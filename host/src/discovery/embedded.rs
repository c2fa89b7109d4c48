//! [`EmbeddedDiscovery`]: an in-process table of the instances registered
//! in this process, for one-machine set-ups (`sluice up`).

use super::{Discovery, DiscoveryError, Registration};
use futures::future::{self, BoxFuture};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::RwLock;

#[derive(Debug, Default)]
pub struct EmbeddedDiscovery {
    services: RwLock<HashMap<String, BTreeSet<SocketAddr>>>,
}

impl EmbeddedDiscovery {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Discovery for EmbeddedDiscovery {
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        services
            .entry(registration.service.clone())
            .or_default()
            .insert(registration.addr);
        Box::pin(future::ok(()))
    }

    fn deregister<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        if let Some(instances) = services.get_mut(&registration.service) {
            instances.remove(&registration.addr);
        }
        Box::pin(future::ok(()))
    }

    fn instances<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, DiscoveryError>> {
        Box::pin(future::ok(self.cached(service)))
    }

    fn cached(&self, service: &str) -> Vec<SocketAddr> {
        let services = self.services.read().unwrap_or_else(|e| e.into_inner());
        services
            .get(service)
            .map(|instances| instances.iter().copied().collect())
            .unwrap_or_default()
    }
}

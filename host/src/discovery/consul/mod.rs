//! [`ConsulDiscovery`]: discovery through a Consul agent's HTTP API.
//! Instances register with an HTTP health check on their own port and
//! deregister on shutdown; the healthy instances of each service asked for
//! are watched with blocking queries into an in-memory cache, which the
//! request path reads and which outlives a Consul outage.

mod api;
mod watch;
mod wire;

mod fake_agent;
#[cfg(test)]
mod tests;

pub use fake_agent::FakeAgent;
pub use wire::{HttpCheck, ServiceRegistration};

use self::api::ConsulApi;
use self::watch::Cache;
use super::{ConsulConfig, Discovery, DiscoveryError, Registration};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

pub struct ConsulDiscovery {
    config: ConsulConfig,
    api: Arc<ConsulApi>,
    cache: Arc<Cache>,
    watches: Mutex<HashMap<String, JoinHandle<()>>>,
}

impl ConsulDiscovery {
    pub fn new(config: ConsulConfig) -> Result<Self, DiscoveryError> {
        Ok(ConsulDiscovery {
            api: Arc::new(ConsulApi::new(&config)?),
            config,
            cache: Arc::default(),
            watches: Mutex::default(),
        })
    }

    /// What Consul is sent to register `registration`.
    pub fn registration_body(&self, registration: &Registration) -> ServiceRegistration {
        ServiceRegistration {
            id: registration.id(),
            name: registration.service.clone(),
            address: registration.addr.ip().to_string(),
            port: registration.addr.port(),
            tags: self.config.tags.clone(),
            check: Some(HttpCheck {
                http: registration.health_url(),
                method: "GET".to_owned(),
                interval: self.config.check_interval.clone(),
                timeout: self.config.check_timeout.clone(),
                deregister_critical_service_after: self.config.deregister_critical_after.clone(),
            }),
        }
    }

    /// Starts watching `service` from `index`, unless it is watched already.
    fn watch(&self, service: &str, index: u64) {
        let mut watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        if watches.contains_key(service) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(%service, "no async runtime: consul watch not started");
            return;
        };
        let task = runtime.spawn(watch::watch(
            Arc::clone(&self.api),
            Arc::clone(&self.cache),
            service.to_owned(),
            index,
            self.config.wait(),
        ));
        watches.insert(service.to_owned(), task);
    }

    fn is_watched(&self, service: &str) -> bool {
        let watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        watches.contains_key(service)
    }
}

impl Discovery for ConsulDiscovery {
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        Box::pin(async move {
            self.api
                .register(&self.registration_body(registration))
                .await?;
            tracing::info!(id = %registration.id(), check = %registration.health_url(), "registered with consul");
            Ok(())
        })
    }

    fn deregister<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        Box::pin(async move { self.api.deregister(&registration.id()).await })
    }

    fn instances<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, DiscoveryError>> {
        Box::pin(async move {
            if self.is_watched(service)
                && let Some(known) = self.cache.get(service)
            {
                return Ok(known);
            }
            match self.api.healthy(service, None).await {
                Ok(healthy) => {
                    self.cache.set(service, healthy.instances.clone());
                    self.watch(service, watch::next_index(0, healthy.index));
                    Ok(healthy.instances)
                }
                Err(error) => {
                    self.watch(service, 0);
                    self.cache.get(service).ok_or(error)
                }
            }
        })
    }

    fn cached(&self, service: &str) -> Vec<SocketAddr> {
        if !self.is_watched(service) {
            self.watch(service, 0);
        }
        self.cache.get(service).unwrap_or_default()
    }
}

impl Drop for ConsulDiscovery {
    fn drop(&mut self) {
        let watches = self.watches.get_mut().unwrap_or_else(|e| e.into_inner());
        for (_, task) in watches.drain() {
            task.abort();
        }
    }
}

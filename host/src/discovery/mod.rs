//! Service discovery: where the healthy instances of a service are. Nodes
//! register the services they run and deregister them on shutdown; the
//! gateway and the host's remote calls ask for instances.
//!
//! One trait, [`Discovery`], three backends: [`EmbeddedDiscovery`] (an
//! in-process table, what `sluice up` uses), [`StaticDiscovery`] (a table
//! from configuration), and [`ConsulDiscovery`] (Consul's HTTP API, with an
//! HTTP health check per instance and a cache kept fresh by blocking
//! queries, so a Consul outage keeps the last known instances).
//! [`DiscoveryResolver`] serves the gateway's synchronous `Resolver` from
//! any of them.

mod config;
mod consul;
mod embedded;
mod error;
mod registration;
mod resolver;
mod static_table;

#[cfg(test)]
mod tests;

pub use config::{ConsulConfig, DiscoveryBackend, DiscoveryConfig};
pub use consul::{ConsulDiscovery, FakeAgent};
pub use embedded::EmbeddedDiscovery;
pub use error::DiscoveryError;
pub use registration::Registration;
pub use resolver::DiscoveryResolver;
pub use static_table::StaticDiscovery;

use futures::future::BoxFuture;
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the instances of each service are.
pub trait Discovery: Send + Sync + 'static {
    /// Announces an instance (idempotent: registering again replaces it).
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>>;

    /// Withdraws an instance; unknown instances are not an error.
    fn deregister<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>>;

    /// The healthy instances of `service`, asking the backend if this
    /// process knows nothing yet (and, for Consul, watching it from then
    /// on). An error only when nothing is known at all.
    fn instances<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, DiscoveryError>>;

    /// What this process knows about `service` right now, without waiting:
    /// for the request path (the gateway's resolver).
    fn cached(&self, service: &str) -> Vec<SocketAddr>;
}

/// The backend `config` selects.
pub fn build(config: &DiscoveryConfig) -> Result<Arc<dyn Discovery>, DiscoveryError> {
    Ok(match config.backend {
        DiscoveryBackend::Embedded => Arc::new(EmbeddedDiscovery::new()),
        DiscoveryBackend::Static => Arc::new(StaticDiscovery::new(config.services.clone())),
        DiscoveryBackend::Consul => Arc::new(ConsulDiscovery::new(config.consul.clone())?),
    })
}

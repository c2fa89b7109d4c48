//! `[discovery]` in the host configuration.
//!
//! ```toml
//! [discovery]
//! backend = "consul"              # "embedded" (default) | "static" | "consul"
//! advertise_ip = "10.0.0.7"       # what other nodes dial (default: listen IP)
//!
//! [discovery.services]            # the static table (backend = "static")
//! catalog = ["10.0.0.2:8082", "10.0.0.3:8082"]
//!
//! [discovery.consul]
//! address = "http://127.0.0.1:8500"
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoveryConfig {
    pub backend: DiscoveryBackend,
    /// The IP other nodes reach this node's services at; default the IP a
    /// service listens on (which must then not be unspecified, 0.0.0.0).
    pub advertise_ip: Option<IpAddr>,
    /// Service name to instance addresses, for the static backend.
    pub services: BTreeMap<String, Vec<SocketAddr>>,
    pub consul: ConsulConfig,
}

impl DiscoveryConfig {
    /// The address to register for a service listening on `listen`.
    pub fn advertised(&self, listen: SocketAddr) -> SocketAddr {
        match self.advertise_ip {
            Some(ip) => SocketAddr::new(ip, listen.port()),
            None => listen,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryBackend {
    /// In this process: the services this node registers.
    #[default]
    Embedded,
    /// The `services` table; registrations change nothing.
    Static,
    /// A Consul agent's HTTP API.
    Consul,
}

/// How to reach Consul and what to register there. Durations the agent
/// reads (`check_*`, `deregister_critical_after`) are Go duration strings,
/// passed through as Consul expects them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsulConfig {
    /// The agent's HTTP address.
    pub address: String,
    /// An ACL token (`X-Consul-Token`), if the agent needs one.
    pub token: Option<String>,
    /// How long a blocking query may wait for a change (`wait`), seconds.
    pub wait_secs: u64,
    /// Deadline of every other call, milliseconds.
    pub request_timeout_ms: u64,
    /// How often the agent calls an instance's health check.
    pub check_interval: String,
    /// How long one health check may take.
    pub check_timeout: String,
    /// The agent removes an instance whose check stayed critical this long
    /// (so a crashed node does not linger forever).
    pub deregister_critical_after: String,
    /// Tags put on every registration.
    pub tags: Vec<String>,
}

impl Default for ConsulConfig {
    fn default() -> Self {
        ConsulConfig {
            address: "http://127.0.0.1:8500".to_owned(),
            token: None,
            wait_secs: 55,
            request_timeout_ms: 5_000,
            check_interval: "10s".to_owned(),
            check_timeout: "2s".to_owned(),
            deregister_critical_after: "1m".to_owned(),
            tags: vec!["sluice".to_owned()],
        }
    }
}

impl ConsulConfig {
    pub fn wait(&self) -> Duration {
        Duration::from_secs(self.wait_secs.max(1))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }
}

//! [`Registration`]: one instance of one service, as a node announces it.

use std::net::SocketAddr;

/// The health-check path services answer on their own port.
pub const DEFAULT_HEALTH_PATH: &str = "/health";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub service: String,
    /// Where the instance listens (a routable address, not 0.0.0.0).
    pub addr: SocketAddr,
    /// The path of its HTTP health check on `addr`.
    pub health_path: String,
}

impl Registration {
    pub fn new(service: impl Into<String>, addr: SocketAddr) -> Self {
        Registration {
            service: service.into(),
            addr,
            health_path: DEFAULT_HEALTH_PATH.to_owned(),
        }
    }

    /// A stable id, unique per service and address: `catalog-10.0.0.2-8082`.
    pub fn id(&self) -> String {
        format!("{}-{}-{}", self.service, self.addr.ip(), self.addr.port())
    }

    /// The URL a health checker calls.
    pub fn health_url(&self) -> String {
        format!("http://{}{}", self.addr, self.health_path)
    }
}

//! The JSON Consul's HTTP API exchanges, as documented: the agent service
//! registration (`PUT /v1/agent/service/register`) and the entries of
//! `GET /v1/health/service/{name}`. Field names are Consul's.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// The body of `PUT /v1/agent/service/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRegistration {
    #[serde(rename = "ID")]
    pub id: String,
    pub name: String,
    pub address: String,
    pub port: u16,
    #[serde(default)]
    pub tags: Vec<String>,
    pub check: Option<HttpCheck>,
}

/// An HTTP check: the agent calls `HTTP` every `Interval`; a 2xx answer
/// within `Timeout` is passing, anything else critical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpCheck {
    #[serde(rename = "HTTP")]
    pub http: String,
    pub method: String,
    pub interval: String,
    pub timeout: String,
    pub deregister_critical_service_after: String,
}

/// One entry of `GET /v1/health/service/{name}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthEntry {
    pub node: Node,
    pub service: Service,
    #[serde(default)]
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Node {
    #[serde(default)]
    pub node: String,
    pub address: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Service {
    #[serde(rename = "ID")]
    pub id: String,
    pub service: String,
    /// Empty when the service uses its node's address.
    #[serde(default)]
    pub address: String,
    pub port: u16,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Check {
    #[serde(rename = "CheckID", default)]
    pub check_id: String,
    /// `passing`, `warning` or `critical`.
    pub status: String,
}

impl HealthEntry {
    /// The instance's address, if every check passes and the address is an
    /// IP (host names are skipped: the gateway dials addresses).
    pub fn passing_addr(&self) -> Option<SocketAddr> {
        if !self.checks.iter().all(|check| check.status == "passing") {
            return None;
        }
        let host = if self.service.address.is_empty() {
            &self.node.address
        } else {
            &self.service.address
        };
        match host.parse::<IpAddr>() {
            Ok(ip) => Some(SocketAddr::new(ip, self.service.port)),
            Err(_) => {
                tracing::warn!(id = %self.service.id, %host, "consul instance without an IP address skipped");
                None
            }
        }
    }
}

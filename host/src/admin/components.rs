//! `/admin/components`: list versions, deploy, roll back.

use super::Admin;
use super::reply::{Reply, error};
use crate::service::{Service, Version};
use crate::swap::{SwapError, rfc3339};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

impl Admin {
    /// Every version of every service of this node, oldest first.
    pub(super) fn list_components(&self) -> Reply {
        let mut list = Vec::new();
        for (name, service) in &self.services {
            let active = service.current().number;
            for version in service.versions() {
                let mut entry = describe(name, &version);
                entry["active"] = json!(version.number == active);
                list.push(entry);
            }
        }
        Reply::json(StatusCode::OK, &list)
    }

    pub(super) async fn deploy(&self, name: &str, bytes: Bytes) -> Reply {
        let service = match self.service(name) {
            Ok(service) => service,
            Err(reply) => return reply,
        };
        let started = Instant::now();
        match self.deployer.deploy(service, bytes.to_vec()).await {
            Ok(version) => {
                let mut body = describe(name, &version);
                body["swap_ms"] = json!(started.elapsed().as_secs_f64() * 1e3);
                Reply::json(StatusCode::OK, &body)
            }
            Err(e) => swap_error(e),
        }
    }

    pub(super) fn rollback(&self, name: &str) -> Reply {
        let service = match self.service(name) {
            Ok(service) => service,
            Err(reply) => return reply,
        };
        match self.deployer.rollback(service) {
            Ok(version) => Reply::json(StatusCode::OK, &describe(name, &version)),
            Err(e) => swap_error(e),
        }
    }

    fn service(&self, name: &str) -> Result<&Arc<Service>, Reply> {
        self.services.get(name).ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "unknown_service",
                format!("this node runs no service named {name}"),
            )
        })
    }
}

fn describe(service: &str, version: &Version) -> Value {
    json!({
        "service": service,
        "version": version.number,
        "digest": version.digest,
        "loaded_at": rfc3339(version.loaded_at),
    })
}

fn swap_error(e: SwapError) -> Reply {
    let (status, code) = match &e {
        SwapError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_component"),
        SwapError::NoEarlier(_) => (StatusCode::CONFLICT, "no_earlier_version"),
        SwapError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
    };
    error(status, code, e.to_string())
}

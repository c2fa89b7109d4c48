//! `/admin/components`: list versions, deploy, roll back — for every node
//! running the service (see [`crate::swap`]).

use super::Admin;
use super::reply::{Reply, error};
use crate::desired::Serving;
use crate::service::Service;
use crate::swap::{Rollout, SwapError};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

impl Admin {
    /// Every version of every service of this node (or of `only`), oldest
    /// first: whether it is the desired active one, and which live nodes
    /// serve it. Through the gateway, `/admin/components/{service}` reaches
    /// a node running that service; `/admin/components` any node.
    pub(super) async fn list_components(&self, only: Option<&str>) -> Reply {
        if let Some(name) = only
            && let Err(reply) = self.service(name)
        {
            return reply;
        }
        let mut list = Vec::new();
        let services = self
            .services
            .iter()
            .filter(|(name, _)| only.is_none_or(|o| o == *name));
        for (name, service) in services {
            let (desired, nodes) = match self.deployer.status(service).await {
                Ok(status) => status,
                Err(e) => return storage(e),
            };
            let builtin = service.versions().first().map(|v| v.digest.clone());
            let versions = std::iter::once((1, builtin.unwrap_or_default(), None)).chain(
                desired
                    .versions
                    .iter()
                    .map(|v| (v.number, v.digest.clone(), Some(v.loaded_at))),
            );
            for (number, digest, loaded_at) in versions {
                let loaded_at = loaded_at
                    .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
                    .or_else(|| service.versions().first().map(|v| v.loaded_at))
                    .map(rfc3339);
                list.push(json!({
                    "service": name,
                    "version": number,
                    "digest": digest,
                    "loaded_at": loaded_at,
                    "active": number == desired.active,
                    "served_by": serving(&nodes, number),
                }));
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
            Ok(rollout) => {
                let mut body = describe(name, &rollout);
                body["swap_ms"] = json!(started.elapsed().as_secs_f64() * 1e3);
                Reply::json(StatusCode::OK, &body)
            }
            Err(e) => swap_error(e),
        }
    }

    pub(super) async fn rollback(&self, name: &str) -> Reply {
        let service = match self.service(name) {
            Ok(service) => service,
            Err(reply) => return reply,
        };
        match self.deployer.rollback(service).await {
            Ok(rollout) => Reply::json(StatusCode::OK, &describe(name, &rollout)),
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

/// The live nodes serving version `number`.
fn serving(nodes: &[Serving], number: u32) -> Vec<&str> {
    nodes
        .iter()
        .filter(|n| n.version == number)
        .map(|n| n.node.as_str())
        .collect()
}

/// A deploy's or rollback's answer: the version, every live node with the
/// version it serves, and those not on it yet (`converged` false).
fn describe(service: &str, rollout: &Rollout) -> Value {
    let version = &rollout.version;
    json!({
        "service": service,
        "version": version.number,
        "digest": version.digest,
        "loaded_at": rfc3339(version.loaded_at),
        "nodes": rollout.nodes.iter().map(|n| json!({"node": n.node, "version": n.version})).collect::<Vec<_>>(),
        "behind": rollout.behind,
        "converged": rollout.behind.is_empty(),
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

fn storage(e: anyhow::Error) -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "storage",
        format!("reading the desired state failed: {e:#}"),
    )
}

/// `at` as RFC 3339 UTC, to the second.
fn rfc3339(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    sluice_kit::times::rfc3339(secs as i64 * 1000)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_utc_times_to_the_second() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let at = UNIX_EPOCH + Duration::from_millis((1_795_996_800 + 3_723) * 1000 + 250);
        assert_eq!(rfc3339(at), "2026-11-30T01:02:03Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}

//! `/admin/tenants/{tenant}/pricing-rule`: upload, read, remove a rule.

use super::Admin;
use super::reply::{Reply, error};
use crate::rules::{Rejected, RuleRegistry};
use bytes::Bytes;
use http::StatusCode;
use serde_json::json;

impl Admin {
    pub(super) fn get_rule(&self, tenant: &str) -> Reply {
        let registry = match self.registry() {
            Ok(registry) => registry,
            Err(reply) => return reply,
        };
        match registry.digest(tenant) {
            Some(digest) => Reply::json(
                StatusCode::OK,
                &json!({"tenant": tenant, "digest": digest, "last_run": registry.last_run(tenant)}),
            ),
            None => no_rule(tenant),
        }
    }

    pub(super) async fn put_rule(&self, tenant: &str, bytes: Bytes) -> Reply {
        let registry = match self.registry() {
            Ok(registry) => registry,
            Err(reply) => return reply,
        };
        match registry.put(tenant, bytes.to_vec()).await {
            Ok(digest) => Reply::json(StatusCode::OK, &json!({"tenant": tenant, "digest": digest})),
            Err(e) => rejected(e),
        }
    }

    pub(super) async fn delete_rule(&self, tenant: &str) -> Reply {
        let registry = match self.registry() {
            Ok(registry) => registry,
            Err(reply) => return reply,
        };
        match registry.remove(tenant).await {
            Ok(true) => Reply::empty(StatusCode::NO_CONTENT),
            Ok(false) => no_rule(tenant),
            Err(e) => rejected(e),
        }
    }

    fn registry(&self) -> Result<&RuleRegistry, Reply> {
        self.rules.as_deref().ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "unknown_service",
                "pricing does not run on this node, so it keeps no rules",
            )
        })
    }
}

fn no_rule(tenant: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("tenant {tenant} has no pricing rule"),
    )
}

fn rejected(e: Rejected) -> Reply {
    let (status, code) = match &e {
        Rejected::BadTenant => (StatusCode::BAD_REQUEST, "invalid_tenant"),
        Rejected::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        Rejected::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule"),
        Rejected::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
    };
    error(status, code, e.to_string())
}

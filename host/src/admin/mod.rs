//! The admin API of a node (API.md "Operations"): component versions (hot
//! swap, rollback) and tenant pricing rules, plus the node's own `/metrics`.
//! It listens on its own address (`admin_addr`, default 127.0.0.1:8085),
//! registers with discovery as `admin` so the gateway routes `/admin` to it,
//! and checks the admin token itself as well: it is reachable without the
//! gateway.

mod components;
mod memory;
mod reply;
mod rules;

use crate::capabilities::token::TokenKeys;
use crate::http_server::{BodyError, Peer, ServerLimits};
use crate::rules::RuleRegistry;
use crate::service::Service;
use crate::swap::Deployer;
use anyhow::Result;
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use reply::{Reply, error, method_not_allowed};
use sluice_gateway::Prom;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The largest body the admin API reads (a component).
const MAX_BODY_BYTES: usize = crate::swap::MAX_COMPONENT_BYTES;

/// What the admin API acts on.
pub struct Admin {
    pub services: BTreeMap<String, Arc<Service>>,
    pub deployer: Arc<Deployer>,
    /// Present when this node runs pricing.
    pub rules: Option<Arc<RuleRegistry>>,
    pub keys: Arc<TokenKeys>,
    /// The scrapers' token for `/metrics` (`[gateway] metrics_token`).
    pub metrics_token: Option<String>,
}

/// Serves the admin API on `listener` until `shutdown` resolves.
pub async fn serve(
    admin: Arc<Admin>,
    listener: TcpListener,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    crate::http_server::serve("admin", listener, limits, shutdown, move |request| {
        let admin = admin.clone();
        async move { admin.handle(request).await.into_response() }
    })
    .await
}

impl Admin {
    async fn handle(&self, request: hyper::Request<Incoming>) -> Reply {
        let path = request.uri().path().to_string();
        let method = request.method().clone();
        match path.as_str() {
            "/health" => return Reply::json(StatusCode::OK, &serde_json::json!({"status": "ok"})),
            "/metrics" => return self.metrics_for(&request),
            _ => {}
        }
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        // A tenant's admin manages that tenant's rule; the rest is the
        // platform admin's.
        let tenant = match segments.as_slice() {
            ["admin", "tenants", tenant, "pricing-rule"] => Some(*tenant),
            _ => None,
        };
        if let Err(reply) = self.authorize(&request, tenant) {
            return reply;
        }
        let body = || read_body(request.into_body());
        match (&method, segments.as_slice()) {
            (&Method::GET, ["admin", "components"]) => self.list_components(None).await,
            (&Method::GET, ["admin", "components", service]) => {
                self.list_components(Some(service)).await
            }
            (&Method::PUT, ["admin", "components", service]) => match body().await {
                Ok(bytes) => self.deploy(service, bytes).await,
                Err(reply) => reply,
            },
            (&Method::POST, ["admin", "components", service, "rollback"]) => {
                self.rollback(service).await
            }
            (&Method::GET, ["admin", "tenants", tenant, "pricing-rule"]) => self.get_rule(tenant),
            (&Method::PUT, ["admin", "tenants", tenant, "pricing-rule"]) => match body().await {
                Ok(bytes) => self.put_rule(tenant, bytes).await,
                Err(reply) => reply,
            },
            (&Method::DELETE, ["admin", "tenants", tenant, "pricing-rule"]) => {
                self.delete_rule(tenant).await
            }
            (_, ["admin", "components"]) => method_not_allowed(&method, &path, "GET"),
            (_, ["admin", "components", _]) => method_not_allowed(&method, &path, "GET, PUT"),
            (_, ["admin", "components", _, "rollback"]) => {
                method_not_allowed(&method, &path, "POST")
            }
            (_, ["admin", "tenants", _, "pricing-rule"]) => {
                method_not_allowed(&method, &path, "GET, PUT, DELETE")
            }
            _ => error(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no admin route {path}"),
            ),
        }
    }

    /// An admin bearer token (a platform admin's, or for `tenant` that
    /// tenant's admin's), or the 401/403 reply.
    fn authorize(
        &self,
        request: &hyper::Request<Incoming>,
        tenant: Option<&str>,
    ) -> Result<(), Reply> {
        let token = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(token) = token else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an admin bearer token is required",
            ));
        };
        match self.keys.verify(token) {
            Ok(claims) if claims.role == "admin" => Ok(()),
            Ok(claims)
                if claims.role == "tenant-admin" && tenant == Some(claims.tenant.as_str()) =>
            {
                Ok(())
            }
            Ok(_) if tenant.is_some() => Err(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this needs the admin role, or the tenant-admin role of this tenant",
            )),
            Ok(_) => Err(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this needs the admin role",
            )),
            Err(e) => Err(error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("{e}"),
            )),
        }
    }

    /// `/metrics` lists tenants: shown to loopback peers, to the metrics
    /// token, and to admins; 403 for anyone else.
    fn metrics_for(&self, request: &hyper::Request<Incoming>) -> Reply {
        let peer = request.extensions().get::<Peer>().map(|p| p.0);
        let scraper = peer.is_some_and(|peer| {
            sluice_gateway::metrics_allowed(peer, request.headers(), self.metrics_token.as_deref())
        });
        if scraper || self.authorize(request, None).is_ok() {
            return Reply::text(self.metrics());
        }
        error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "metrics are shown on loopback, with the metrics token or an admin token",
        )
    }

    /// One series of `name` (a metric of `kind`) per service of this node,
    /// labelled by the service's name.
    fn per_service(
        &self,
        prom: &mut Prom,
        name: &str,
        kind: &str,
        help: &str,
        value: impl Fn(&Service) -> u64,
    ) {
        prom.header(name, kind, help);
        for (service_name, service) in &self.services {
            prom.sample(name, &[("service", service_name)], value(service));
        }
    }

    /// Rule run counters, the active version of each service, the
    /// instances made of each, and the node's memory.
    fn metrics(&self) -> String {
        let mut prom = Prom::default();
        self.per_service(
            &mut prom,
            "sluice_component_version",
            "gauge",
            "The active component version of a service.",
            |service| u64::from(service.current().number),
        );
        self.per_service(
            &mut prom,
            "sluice_instances_total",
            "counter",
            "Instances of a service made: one per request, per caller's linked-call session, per housekeeping round (and a few at start-up).",
            Service::instances_made,
        );
        if let Some(rules) = &self.rules {
            rules.metrics.render(&mut prom);
        }
        let engine = self.services.values().next().map(|s| s.engine());
        memory::render(&mut prom, engine);
        prom.finish()
    }
}

/// The whole body: 413 past [`MAX_BODY_BYTES`], 408 when it does not
/// arrive in time.
async fn read_body(body: Incoming) -> Result<Bytes, Reply> {
    crate::http_server::read_body(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(max) => error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is over {max} bytes"),
            ),
            BodyError::TimedOut => error(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the body did not arrive in time".to_string(),
            ),
            BodyError::Broken(e) => error(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("reading the body failed: {e}"),
            ),
        })
}

/// The body of every admin response: whole, in memory.
pub(crate) type Body = Full<Bytes>;

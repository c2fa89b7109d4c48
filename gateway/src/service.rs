//! The per-request pipeline, in order: request id; the gateway's own
//! `/health` and `/metrics`; routing; the declared body size; the client
//! IP's rate limit; authentication; the user's rate limit; load shedding;
//! fault injection; forwarding (instance choice, breakers, retries,
//! timeouts); then the `RateLimit-*` headers, metrics and the access log.
//! Every refusal before forwarding touches no upstream.

use crate::access_log::{AccessEntry, Upstream};
use crate::auth::{Authenticator, authenticate};
use crate::body::{BoxError, GatewayBody, guarded};
use crate::config::GatewayConfig;
use crate::errors::GatewayError;
use crate::faults;
use crate::forward::Forwarder;
use crate::health;
use crate::limit::declared_length_exceeds;
use crate::metrics::{Metrics, Prom};
use crate::outgoing::{Caller, Outgoing};
use crate::pool::Pools;
use crate::proxy::Proxy;
use crate::ratelimit::{Decision, RateLimits, apply_headers};
use crate::request_id::RequestId;
use crate::resolver::Resolver;
use crate::retry::{RetryBudget, is_idempotent};
use crate::routing::{RouteEntry, RouteTable};
use crate::shedding::Shedder;
use crate::spread::Spread;
use http::{Method, Request, Response};
use hyper::body::{Body, Bytes};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Everything needed to answer a request; shared by all connections.
pub(crate) struct GatewayService {
    routes: RouteTable,
    resolver: Arc<dyn Resolver>,
    authenticator: Arc<dyn Authenticator>,
    limits: RateLimits,
    shedder: Shedder,
    pools: Pools,
    proxy: Proxy,
    budget: RetryBudget,
    metrics: Metrics,
    /// The open connections of each serving thread.
    pub(crate) spread: Arc<Spread>,
    metrics_token: Option<String>,
    max_body_bytes: u64,
    traffic: crate::console::traffic::Traffic,
}

/// What one request went through, for the response and the logs.
#[derive(Default)]
struct Trace {
    route: Option<usize>,
    upstream: Option<Upstream>,
    limit: Option<Decision>,
}

impl GatewayService {
    /// The service of a gateway served by `threads` threads.
    pub(crate) async fn new(
        config: &GatewayConfig,
        threads: usize,
        resolver: Arc<dyn Resolver>,
        authenticator: Arc<dyn Authenticator>,
        local: crate::local::LocalUpstreams,
    ) -> anyhow::Result<Self> {
        let routes = RouteTable::new(&config.routes, config.upstream_timeout)?;
        let services: Vec<&str> = routes.iter().map(RouteEntry::service).collect();
        Ok(GatewayService {
            limits: RateLimits::new(&config.rate_limit, &routes).await?,
            shedder: Shedder::new(&config.shedding, services.iter().copied()),
            pools: Pools::new(services.iter().copied(), config.balancer, &config.breaker),
            metrics: Metrics::new(&routes),
            spread: Arc::new(Spread::new(threads)),
            routes,
            resolver,
            authenticator,
            proxy: Proxy::new(local),
            budget: RetryBudget::new(&config.retry),
            max_body_bytes: config.max_body_bytes,
            metrics_token: config.metrics_token.clone(),
            traffic: Default::default(),
        })
    }

    /// Answers one request from `peer`. Never fails: gateway errors become
    /// JSON error responses, and every response carries the request id.
    pub(crate) async fn handle<B>(
        &self,
        request: Request<B>,
        peer: SocketAddr,
    ) -> Response<GatewayBody>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let request_id = RequestId::from_headers(request.headers());
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let mut trace = Trace::default();
        let mut response = self
            .dispatch(request, peer, &request_id, &mut trace)
            .await
            .unwrap_or_else(GatewayError::into_response);
        request_id.apply(response.headers_mut());
        if let Some(decision) = &trace.limit {
            apply_headers(decision, response.headers_mut());
        }
        let elapsed = started.elapsed();
        self.metrics
            .record(trace.route, response.status().as_u16(), elapsed);
        AccessEntry {
            method: &method,
            path: &path,
            status: response.status(),
            elapsed,
            request_id: &request_id,
            upstream: trace.upstream.as_ref(),
        }
        .emit();
        response
    }

    async fn dispatch<B>(
        &self,
        request: Request<B>,
        peer: SocketAddr,
        request_id: &RequestId,
        trace: &mut Trace,
    ) -> Result<Response<GatewayBody>, GatewayError>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let (method, path) = (request.method(), request.uri().path());
        let own = path == health::PATH
            || path == crate::contract::PATH
            || path == "/metrics"
            || crate::console::is_console(path);
        if own && method != Method::GET && method != Method::HEAD {
            return Err(GatewayError::ReadOnly);
        }
        if health::is_health_check(method, path) {
            return Ok(health::response());
        }
        if crate::contract::is_contract(method, path) {
            return Ok(crate::contract::response());
        }
        if crate::console::is_console(path) {
            let data = crate::console::ConsoleData {
                authenticator: self.authenticator.as_ref(),
                resolver: self.resolver.as_ref(),
                pools: &self.pools,
                services: self.routes.iter().map(RouteEntry::service).collect(),
                traffic: &self.traffic,
            };
            return crate::console::respond(data, method, path, request.headers());
        }
        if is_metrics(method, path) {
            return match metrics_allowed(peer, request.headers(), self.metrics_token.as_deref()) {
                true => Ok(self.metrics_response()),
                false => Err(GatewayError::Forbidden),
            };
        }
        let route = self.routes.route_for(path).ok_or(GatewayError::NotFound)?;
        trace.route = Some(route.id);
        if declared_length_exceeds(request.headers(), self.max_body_bytes) {
            return Err(GatewayError::PayloadTooLarge {
                limit: self.max_body_bytes,
            });
        }
        let ip_decision = self.limits.check_ip(route, peer.ip()).await;
        admit(ip_decision, trace)?;
        let identity = authenticate(
            self.authenticator.as_ref(),
            route,
            request.method(),
            request.headers(),
        )?;
        if let Some(identity) = &identity {
            let user_decision = self.limits.check_user(route, &identity.subject).await;
            admit(user_decision, trace)?;
        }
        let admission = self.shedder.admit(route.service())?;
        if let Some(faults) = &route.config.faults {
            faults::inject(faults).await?;
        }
        self.budget.deposit();
        let retries = if is_idempotent(request.method()) {
            route.config.retries
        } else {
            0
        };
        let caller = Caller {
            ip: peer.ip(),
            request_id,
            identity: identity.as_ref(),
        };
        let outgoing = Outgoing::new(request, caller, self.max_body_bytes, retries > 0).await?;
        let forwarder = Forwarder {
            pools: &self.pools,
            resolver: self.resolver.as_ref(),
            proxy: &self.proxy,
            budget: &self.budget,
            metrics: &self.metrics,
        };
        let (response, lease) = forwarder
            .forward(route, outgoing, retries, &mut trace.upstream)
            .await?;
        let (parts, body) = response.into_parts();
        Ok(Response::from_parts(
            parts,
            guarded(body, (admission, lease)),
        ))
    }

    /// Reads the traffic counters into the console's history.
    pub(crate) fn sample_traffic(&self) {
        self.traffic
            .record(self.metrics.snapshot(), self.shedder.shed_total());
    }

    fn metrics_response(&self) -> Response<GatewayBody> {
        let mut prom = Prom::default();
        self.metrics.render(&mut prom);
        self.limits.render(&mut prom);
        self.shedder.render(&mut prom);
        self.pools.render(&mut prom);
        self.spread.render(&mut prom);
        crate::body::text_response(prom.finish(), "text/plain; version=0.0.4; charset=utf-8")
    }
}

/// Records a rate-limit decision (the stricter one wins the headers) and
/// turns a refusal into its 429.
fn admit(decision: Option<Decision>, trace: &mut Trace) -> Result<(), GatewayError> {
    let Some(decision) = decision else {
        return Ok(());
    };
    let stricter = match trace.limit {
        Some(earlier) => earlier.stricter(decision),
        None => decision,
    };
    trace.limit = Some(stricter);
    if decision.allowed {
        Ok(())
    } else {
        Err(GatewayError::RateLimited {
            retry_after: decision.retry_after,
        })
    }
}

/// Whether `/metrics` may be shown: to a loopback peer, or to a request
/// bearing the configured metrics token.
pub fn metrics_allowed(peer: SocketAddr, headers: &http::HeaderMap, token: Option<&str>) -> bool {
    if peer.ip().is_loopback() {
        return true;
    }
    let presented = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    matches!((token, presented), (Some(token), Some(presented)) if !token.is_empty()
        && constant_time_eq(token.as_bytes(), presented.as_bytes()))
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_metrics(method: &Method, path: &str) -> bool {
    path == "/metrics" && (method == Method::GET || method == Method::HEAD)
}

#[cfg(test)]
mod metrics_gate {
    use super::*;

    #[test]
    fn metrics_are_for_loopback_or_the_token() {
        let mut headers = http::HeaderMap::new();
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        assert!(metrics_allowed(local, &headers, None));
        assert!(!metrics_allowed(remote, &headers, None));
        assert!(!metrics_allowed(remote, &headers, Some("scrape-me")));
        headers.insert(
            http::header::AUTHORIZATION,
            "Bearer scrape-me".parse().unwrap(),
        );
        assert!(metrics_allowed(remote, &headers, Some("scrape-me")));
        assert!(!metrics_allowed(remote, &headers, Some("another")));
        assert!(
            !metrics_allowed(remote, &headers, Some("")),
            "an empty token opens nothing"
        );
    }
}

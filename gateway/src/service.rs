//! The per-request pipeline: request id, the gateway's own endpoints,
//! routing, body limits, instance choice, forwarding, and the access log.
//! Traffic-control stages (auth, rate limits, shedding) slot in here.

use crate::access_log::{AccessEntry, Upstream};
use crate::balancer::Balancer;
use crate::body::{BoxError, GatewayBody};
use crate::config::GatewayConfig;
use crate::errors::GatewayError;
use crate::health;
use crate::limit::declared_length_exceeds;
use crate::proxy::{Caller, Proxy};
use crate::request_id::RequestId;
use crate::resolver::Resolver;
use crate::routing::RouteTable;
use http::{Request, Response};
use hyper::body::{Body, Bytes};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Everything needed to answer a request; shared by all connections.
pub(crate) struct GatewayService {
    routes: RouteTable,
    balancer: Balancer,
    resolver: Arc<dyn Resolver>,
    proxy: Proxy,
    max_body_bytes: u64,
}

impl GatewayService {
    pub(crate) fn new(config: &GatewayConfig, resolver: Arc<dyn Resolver>) -> anyhow::Result<Self> {
        let routes = RouteTable::new(&config.routes)?;
        let balancer = Balancer::new(routes.services());
        Ok(GatewayService {
            routes,
            balancer,
            resolver,
            proxy: Proxy::new(config),
            max_body_bytes: config.max_body_bytes,
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
        let mut upstream = None;
        let mut response = self
            .dispatch(request, peer, &request_id, &mut upstream)
            .await
            .unwrap_or_else(GatewayError::into_response);
        request_id.apply(response.headers_mut());
        AccessEntry {
            method: &method,
            path: &path,
            status: response.status(),
            elapsed: started.elapsed(),
            request_id: &request_id,
            upstream: upstream.as_ref(),
        }
        .emit();
        response
    }

    /// Decides who answers and gets the answer. `upstream` is set as soon
    /// as an instance is chosen, so the access log names it even on error.
    async fn dispatch<B>(
        &self,
        request: Request<B>,
        peer: SocketAddr,
        request_id: &RequestId,
        upstream: &mut Option<Upstream>,
    ) -> Result<Response<GatewayBody>, GatewayError>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        if health::is_health_check(request.method(), request.uri().path()) {
            return Ok(health::response());
        }
        let service = self
            .routes
            .service_for(request.uri().path())
            .ok_or(GatewayError::NotFound)?;
        if declared_length_exceeds(request.headers(), self.max_body_bytes) {
            return Err(GatewayError::PayloadTooLarge {
                limit: self.max_body_bytes,
            });
        }
        let addr = self
            .balancer
            .pick(service, self.resolver.as_ref())
            .ok_or_else(|| GatewayError::NoHealthyInstance {
                service: service.to_owned(),
            })?;
        *upstream = Some(Upstream {
            service: service.to_owned(),
            addr,
        });
        let caller = Caller {
            ip: peer.ip(),
            request_id,
        };
        self.proxy.forward(request, addr, caller).await
    }
}

//! The HTTP front door of a service: hyper accepts connections and hands
//! each request to a fresh component instance (wasmtime-wasi-http's
//! `ProxyHandler`, reusing no instance), with TCP_NODELAY and graceful
//! shutdown. A trap answers 500 for that request only. Two paths the host
//! answers itself: the health check, and calls from other nodes into the
//! service's typed exports (`links::CALL_PREFIX`).

use crate::capabilities::links::{CALL_PREFIX, MAX_CALL_BYTES, answer_call};
use crate::http_server::{Peer, ServerLimits};
use crate::service::Service;
use crate::state::ComponentState;
use anyhow::Result;
use bytes::Bytes;
use http::HeaderValue;
use http_body_util::{BodyExt, Full};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use wasmtime::StoreContextMut;
use wasmtime::component::GuestTaskId;
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ShouldAccept, WorkerExpiration, WorkerState, WorkerStatus,
};

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Answered by the host itself (never the component): the health check
/// discovery backends such as Consul call on every service port.
pub const HEALTH_PATH: &str = "/health";

/// How long a component may take to produce a response head.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `service` on `listener` until `shutdown` resolves, then lets
/// open connections finish their requests.
pub async fn serve(
    service: Arc<Service>,
    listener: TcpListener,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let handler = ProxyHandler::new(ServiceHandler { service });
    let trusted: Arc<[IpAddr]> = limits.trusted_proxies.clone().into();
    crate::http_server::serve(
        "front door",
        listener,
        &limits,
        shutdown,
        move |mut request| {
            let handler = handler.clone();
            set_client(&mut request, &trusted);
            async move { handle(&handler, request).await }
        },
    )
    .await
}

/// Leaves `x-forwarded-for` to the component as a trusted proxy (the
/// gateway, which overwrites it with the client's address) sent it, and
/// replaces it with the TCP peer's address for anyone else: the client
/// address a component keys rate limits by is never the client's choice.
fn set_client<B>(request: &mut hyper::Request<B>, trusted: &[IpAddr]) {
    let Some(Peer(peer)) = request.extensions().get::<Peer>().copied() else {
        return;
    };
    let headers = request.headers_mut();
    if trusted.contains(&peer.ip()) && headers.contains_key(X_FORWARDED_FOR) {
        return;
    }
    let peer = HeaderValue::from_str(&peer.ip().to_string()).expect("an address is a header value");
    headers.insert(X_FORWARDED_FOR, peer);
}

async fn handle(
    handler: &ProxyHandler<ServiceHandler>,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<WasiBody> {
    if request.uri().path() == HEALTH_PATH {
        let service = &handler.state().service.name;
        let body = format!(r#"{{"status":"ok","service":"{service}"}}"#);
        return json_response(200, Bytes::from(body));
    }
    if let Some(function) = request.uri().path().strip_prefix(CALL_PREFIX) {
        let function = function.to_string();
        return node_call(&handler.state().service, &function, request).await;
    }
    answer(
        handler,
        request.map(|body| body.map_err(Into::into).boxed_unsync()),
    )
    .await
}

/// The component's answer to `request` (a fresh instance); a failure is 500.
pub(super) async fn answer(
    handler: &ProxyHandler<ServiceHandler>,
    request: wasmtime_wasi_http::handler::Request,
) -> hyper::Response<WasiBody> {
    let request_id = request.headers().get("x-request-id").cloned();
    match handler.handle((), request).await {
        Ok(response) => response,
        Err(e) => {
            let service = &handler.state().service.name;
            tracing::error!(%service, "request failed: {e:?}");
            let mut response = internal_error();
            if let Some(id) = request_id {
                response.headers_mut().insert("x-request-id", id);
            }
            response
        }
    }
}

/// A call from another node on the internal route (`links::answer_call`).
async fn node_call(
    service: &Arc<Service>,
    function: &str,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<WasiBody> {
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let args = match crate::http_server::read_body(body, MAX_CALL_BYTES).await {
        Ok(args) => args,
        Err(_) => {
            let body = r#"{"error":"invalid_arguments","message":"the call's body is unreadable, late or over 1 MiB"}"#;
            return json_response(400, Bytes::from_static(body.as_bytes()));
        }
    };
    let (status, body) = if parts.method == hyper::Method::POST {
        answer_call(service, function, authorization, &args).await
    } else {
        let body = r#"{"error":"method_not_allowed","message":"calls are POSTed"}"#;
        (405, body.as_bytes().to_vec())
    };
    json_response(status, Bytes::from(body))
}

fn internal_error() -> hyper::Response<WasiBody> {
    let body = r#"{"error":"internal","message":"the service failed while handling this request"}"#;
    json_response(500, Bytes::from_static(body.as_bytes()))
}

fn json_response(status: u16, body: Bytes) -> hyper::Response<WasiBody> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(
            Full::new(body)
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .expect("a JSON response with a valid status")
}

/// Creates one instance per request from the service's active version.
pub(super) struct ServiceHandler {
    pub(super) service: Arc<Service>,
}

impl HandlerState for ServiceHandler {
    type StoreData = ComponentState;
    type WorkerExpiration = Expiration;
    type WorkerState = OneRequest;

    async fn instantiate(
        &self,
    ) -> wasmtime::Result<Instance<ComponentState, Expiration, OneRequest>> {
        let version = self.service.current();
        let mut store = self.service.new_store();
        let proxy = version.proxy.instantiate_async(&mut store).await?;
        Ok(Instance {
            store,
            proxy,
            view: wasmtime_wasi_http::WasiHttpView::http,
            expiration: Expiration {
                sleep: Box::pin(tokio::time::sleep(REQUEST_TIMEOUT)),
            },
            state: OneRequest,
        })
    }
}

/// An instance serves exactly one request: no state leaks between requests.
pub(super) struct OneRequest;

impl WorkerState for OneRequest {
    type StoreData = ComponentState;
    type RequestData = ();

    fn should_accept_request(&self, _concurrent: usize, total: usize) -> ShouldAccept {
        if total == 0 {
            ShouldAccept::Yes
        } else {
            ShouldAccept::Never
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, ComponentState>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        Box::pin(tokio::time::sleep(REQUEST_TIMEOUT))
    }

    fn drop(&self, store: wasmtime::Store<ComponentState>, result: wasmtime::Result<()>) {
        if let Err(e) = result {
            tracing::warn!("instance ended with an error: {e:?}");
        }
        drop(store);
    }
}

/// Ends a worker whose request (or post-return work) outlives the timeout,
/// and an idle worker at once.
pub(super) struct Expiration {
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for Expiration {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        if status == WorkerStatus::Idle {
            return Poll::Ready(());
        }
        let deadline = tokio::time::Instant::from_std(start + REQUEST_TIMEOUT);
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

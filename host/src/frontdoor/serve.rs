//! The HTTP front door of a service: hyper accepts connections and hands
//! each request to a fresh component instance (`one_request`, reusing no
//! instance), with TCP_NODELAY and graceful shutdown. A trap answers 500
//! for that request only. Two paths the host
//! answers itself: the health check, and calls from other nodes into the
//! service's typed exports (`links::CALL_PREFIX`).

use crate::capabilities::links::{CALL_PREFIX, MAX_CALL_BYTES, answer_call};
use crate::http_server::{Peer, ServerLimits};
use crate::service::Service;
use anyhow::Result;
use bytes::Bytes;
use http::HeaderValue;
use http_body_util::{BodyExt, Full};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiBody;

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
    let trusted: Arc<[IpAddr]> = limits.trusted_proxies.clone().into();
    crate::http_server::serve(
        "front door",
        listener,
        &limits,
        shutdown,
        move |mut request| {
            let service = service.clone();
            set_client(&mut request, &trusted);
            async move { handle(&service, request).await }
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
    service: &Arc<Service>,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<WasiBody> {
    if request.uri().path() == HEALTH_PATH {
        let service = &service.name;
        let body = format!(r#"{{"status":"ok","service":"{service}"}}"#);
        return json_response(200, Bytes::from(body));
    }
    if let Some(function) = request.uri().path().strip_prefix(CALL_PREFIX) {
        let function = function.to_string();
        return node_call(service, &function, request).await;
    }
    answer(
        service,
        request.map(|body| body.map_err(Into::into).boxed_unsync()),
    )
    .await
}

/// The component's answer to `request` (a fresh instance); a failure is 500.
pub(super) async fn answer(
    service: &Arc<Service>,
    request: wasmtime_wasi_http::handler::Request,
) -> hyper::Response<WasiBody> {
    let request_id = request.headers().get("x-request-id").cloned();
    match super::one_request::answer(service, request).await {
        Ok(response) => response,
        Err(e) => {
            let service = &service.name;
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

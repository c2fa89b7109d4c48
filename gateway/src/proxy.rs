//! Forwarding one request to one upstream instance over a pooled keep-alive
//! HTTP/1.1 client, streaming bodies both ways.

use crate::body::{BoxError, GatewayBody};
use crate::config::GatewayConfig;
use crate::errors::GatewayError;
use crate::headers::{prepare_upstream_request, strip_hop_by_hop};
use crate::limit::limit_body;
use crate::request_id::RequestId;
use http::{Request, Response, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How long an idle pooled upstream connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The upstream side of the gateway.
pub(crate) struct Proxy {
    client: Client<HttpConnector, GatewayBody>,
    timeout: Duration,
    max_body_bytes: u64,
}

/// Who is asking, as the upstream should learn it.
pub(crate) struct Caller<'a> {
    pub(crate) ip: IpAddr,
    pub(crate) request_id: &'a RequestId,
}

impl Proxy {
    pub(crate) fn new(config: &GatewayConfig) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        Proxy {
            client,
            timeout: config.upstream_timeout,
            max_body_bytes: config.max_body_bytes,
        }
    }

    /// Sends `request` to `upstream` (same method, path, query, headers and
    /// body, minus what must not cross the gateway) and returns its response
    /// head with the body still streaming.
    pub(crate) async fn forward<B>(
        &self,
        request: Request<B>,
        upstream: SocketAddr,
        caller: Caller<'_>,
    ) -> Result<Response<GatewayBody>, GatewayError>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        let (body, overflow) = limit_body(body, self.max_body_bytes);
        parts.uri = upstream_uri(&parts.uri, upstream)?;
        parts.version = Version::HTTP_11;
        prepare_upstream_request(&mut parts.headers, caller.ip, upstream);
        caller.request_id.apply(&mut parts.headers);
        let request = Request::from_parts(parts, body.boxed_unsync());

        let response = match tokio::time::timeout(self.timeout, self.client.request(request)).await
        {
            Err(_elapsed) => return Err(GatewayError::UpstreamTimeout),
            Ok(Err(_)) if overflow.happened() => {
                return Err(GatewayError::PayloadTooLarge {
                    limit: self.max_body_bytes,
                });
            }
            Ok(Err(error)) => {
                tracing::warn!(%upstream, error = %error_chain(&error), "upstream request failed");
                return Err(GatewayError::BadGateway);
            }
            Ok(Ok(response)) => response,
        };
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        Ok(Response::from_parts(
            parts,
            body.map_err(BoxError::from).boxed_unsync(),
        ))
    }
}

/// `http://<upstream><path>?<query>` for the client's request target.
fn upstream_uri(original: &Uri, upstream: SocketAddr) -> Result<Uri, GatewayError> {
    let path_and_query = original
        .path_and_query()
        .map_or("/", |path_and_query| path_and_query.as_str());
    Uri::builder()
        .scheme("http")
        .authority(upstream.to_string())
        .path_and_query(path_and_query)
        .build()
        .map_err(|_| GatewayError::BadGateway)
}

/// An error and its causes on one line, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_path_and_query() {
        let upstream: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        let uri: Uri = "/api/accounts/me?x=1&y=%20".parse().unwrap();
        assert_eq!(
            upstream_uri(&uri, upstream).unwrap(),
            "http://127.0.0.1:8081/api/accounts/me?x=1&y=%20"
        );
        let absolute: Uri = "http://shop.example/api/orders".parse().unwrap();
        assert_eq!(
            upstream_uri(&absolute, upstream).unwrap(),
            "http://127.0.0.1:8081/api/orders"
        );
    }
}

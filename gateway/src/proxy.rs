//! Sending one attempt to one upstream instance over a pooled keep-alive
//! HTTP/1.1 client, streaming bodies both ways, within a deadline; or, for
//! an instance in this process, handing it over in memory
//! ([`crate::local`]).

use crate::body::{BoxError, GatewayBody};
use crate::headers::{set_host, strip_hop_by_hop};
use crate::local::LocalUpstreams;
use http::{Request, Response, Uri, Version};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

/// How long an idle pooled upstream connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The upstream side of the gateway.
pub(crate) struct Proxy {
    client: Client<HttpConnector, GatewayBody>,
    local: LocalUpstreams,
}

/// Why an attempt brought no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptError {
    /// No connection could be made: the request never left.
    Connect,
    /// The connection broke (or the request body failed) mid-exchange.
    Broken,
    /// The deadline passed before the response head arrived.
    Timeout,
}

impl Proxy {
    pub(crate) fn new(local: LocalUpstreams) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        Proxy { client, local }
    }

    /// Sends `request` (its head already prepared for upstreams) to
    /// `upstream` and returns the response head with the body still
    /// streaming, or why there is none by `deadline`.
    pub(crate) async fn send(
        &self,
        mut request: Request<GatewayBody>,
        upstream: SocketAddr,
        deadline: Instant,
    ) -> Result<Response<GatewayBody>, AttemptError> {
        *request.version_mut() = Version::HTTP_11;
        set_host(request.headers_mut(), upstream);
        if let Some(local) = self.local.get(&upstream) {
            return match tokio::time::timeout_at(deadline, local.call(request)).await {
                Err(_elapsed) => Err(AttemptError::Timeout),
                Ok(Err(error)) => {
                    tracing::warn!(%upstream, error = %error_chain(&*error), "local upstream attempt failed");
                    Err(AttemptError::Broken)
                }
                Ok(Ok(mut response)) => {
                    strip_hop_by_hop(response.headers_mut());
                    Ok(response)
                }
            };
        }
        *request.uri_mut() = upstream_uri(request.uri(), upstream).ok_or(AttemptError::Broken)?;
        let response = match tokio::time::timeout_at(deadline, self.client.request(request)).await {
            Err(_elapsed) => return Err(AttemptError::Timeout),
            Ok(Err(error)) => {
                let connect = error.is_connect();
                tracing::warn!(%upstream, error = %error_chain(&error), "upstream attempt failed");
                return Err(if connect {
                    AttemptError::Connect
                } else {
                    AttemptError::Broken
                });
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
fn upstream_uri(original: &Uri, upstream: SocketAddr) -> Option<Uri> {
    let path_and_query = original
        .path_and_query()
        .map_or("/", |path_and_query| path_and_query.as_str());
    Uri::builder()
        .scheme("http")
        .authority(upstream.to_string())
        .path_and_query(path_and_query)
        .build()
        .ok()
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

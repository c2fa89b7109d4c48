//! The host's one accept loop, shared by the service front doors and the
//! admin API: hyper HTTP/1.1 with a timer, so a client that sends half a
//! request head is disconnected after the header-read timeout (hyper's
//! default without a timer is no timeout at all); a cap on open
//! connections per listener (past it, connections wait in the kernel's
//! backlog until one closes); TCP_NODELAY; and graceful shutdown, which
//! stops accepting and lets open connections finish their requests.

use anyhow::Result;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// `[server]`: the limits of every HTTP server of a node except the
/// gateway (which has its own, under `[gateway]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerLimits {
    /// A request head must arrive whole within this, milliseconds.
    pub header_read_timeout_ms: u64,
    /// Open connections per listener (per front-door thread for services).
    pub max_connections: usize,
    /// On shutdown, how long a node keeps serving after it deregistered
    /// from Consul, so that gateways and other nodes (which watch Consul)
    /// stop sending it requests before it stops accepting, milliseconds.
    /// Not waited with embedded or static discovery, whose peers never
    /// learn of the deregistration.
    pub drain_ms: u64,
    /// Peers whose `x-forwarded-for` is believed (the gateway's addresses).
    /// For anyone else the service ports replace that header with the TCP
    /// peer's address, so a client talking to a service port directly
    /// cannot choose the address its rate limits are keyed by. Default:
    /// loopback, where `sluice up`'s gateway dials from.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The TCP peer of a connection, in every request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout_ms: 10_000,
            max_connections: 4_096,
            drain_ms: 1_000,
            trusted_proxies: vec![
                std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::Ipv6Addr::LOCALHOST.into(),
            ],
        }
    }
}

/// Serves `listener` with `handle` until `shutdown` resolves, then lets
/// open connections finish. `what` names the server in logs.
pub async fn serve<F, Fut, B>(
    what: &str,
    listener: TcpListener,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()>,
    handle: F,
) -> Result<()>
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = hyper::Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms.max(1)))
        .keep_alive(true);
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => tokio::select! {
                    accepted = listener.accept() => Some((accepted, permit)),
                    () = &mut shutdown => None,
                },
                Err(_) => None,
            },
            () = &mut shutdown => None,
        };
        let Some((accepted, permit)) = accepted else {
            break;
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(server = what, "accept failed: {e}");
                continue;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(server = what, "TCP_NODELAY: {e}");
        }
        let handle = handle.clone();
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(Peer(peer));
                let response = handle(request);
                async move { Ok::<_, Infallible>(response.await) }
            }),
        );
        let connection = graceful.watch(connection);
        let what = what.to_string();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(server = what, "connection closed: {e}");
            }
            drop(permit);
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// How long a whole request body may take to arrive where the host reads
/// one itself (admin uploads, calls from other nodes).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit (bytes).
    TooLarge(usize),
    /// Not whole within [`BODY_READ_TIMEOUT`].
    TimedOut,
    /// The connection failed mid-body.
    Broken(String),
}

/// Reads a whole request body of at most `max` bytes within
/// [`BODY_READ_TIMEOUT`].
pub async fn read_body(body: Incoming, max: usize) -> Result<bytes::Bytes, BodyError> {
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    match tokio::time::timeout(BODY_READ_TIMEOUT, Limited::new(body, max).collect()).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge(max))
        }
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}

//! The processes `scripts/bench-gateway` measures:
//!
//! - `bench_gateway upstream LISTEN`: a native hyper service answering a
//!   small JSON body (the upstream every run forwards to);
//! - `bench_gateway gateway LISTEN UPSTREAM off|local|redis [REDIS_URL]`:
//!   the sluice gateway routing `/api/prices` to it, rate limiting off, in
//!   process, or in Redis (limits high enough that nothing is refused, so
//!   the cost of checking is what is measured);
//! - `bench_gateway forwarder LISTEN UPSTREAM`: a plain hyper forwarder
//!   (server plus pooled client, nothing else), the ceiling.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sluice_gateway::{
    DEFAULT_CLASS, Gateway, GatewayConfig, LimitClass, LimiterBackend, QuotaConfig, Route,
    StaticResolver,
};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"sku":"A-1","qty":1,"currency":"EUR","unit_price":1999,"total":1999}"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> anyhow::Result<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| anyhow::anyhow!("usage: see the module docs"))
    };
    let listen: SocketAddr = arg(1)?.parse()?;
    match arg(0)? {
        "upstream" => serve(listen, |_| async { Ok(json()) }).await,
        "forwarder" => forwarder(listen, arg(2)?.parse()?).await,
        "gateway" => {
            let upstream: SocketAddr = arg(2)?.parse()?;
            let redis = args.get(4).cloned();
            gateway(listen, upstream, arg(3)?, redis).await
        }
        other => anyhow::bail!("unknown role {other}"),
    }
}

fn json() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

async fn gateway(
    listen: SocketAddr,
    upstream: SocketAddr,
    mode: &str,
    redis_url: Option<String>,
) -> anyhow::Result<()> {
    let mut config = GatewayConfig {
        listen,
        routes: vec![Route::new("/api/prices", "pricing")],
        ..GatewayConfig::default()
    };
    let limits = &mut config.rate_limit;
    limits.backend = match mode {
        "off" => LimiterBackend::Off,
        "local" => LimiterBackend::Local,
        "redis" => LimiterBackend::Redis,
        other => anyhow::bail!("unknown rate-limit mode {other}"),
    };
    if let Some(url) = redis_url {
        limits.redis_url = url;
    }
    limits.redis_key_prefix = format!("bench:{}:", std::process::id());
    let plenty = QuotaConfig::new(1_000_000, Duration::from_secs(1)).with_burst(1_000_000);
    limits.classes.insert(
        DEFAULT_CLASS.into(),
        LimitClass {
            per_ip: Some(plenty),
            per_user: Some(plenty),
        },
    );
    let resolver = StaticResolver::new().with("pricing", vec![upstream]);
    let gateway = Gateway::bind(config, Arc::new(resolver)).await?;
    gateway
        .run(async {
            tokio::signal::ctrl_c().await.ok();
        })
        .await
}

async fn forwarder(listen: SocketAddr, upstream: SocketAddr) -> anyhow::Result<()> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<_, Incoming> = Client::builder(TokioExecutor::new()).build(connector);
    serve(listen, move |mut request: Request<Incoming>| {
        let client = client.clone();
        async move {
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
            *request.uri_mut() = format!("http://{upstream}{path}").parse().unwrap();
            let response = match client.request(request).await {
                Ok(response) => response,
                Err(_) => {
                    return Ok(Response::builder()
                        .status(502)
                        .body(Full::default())
                        .unwrap());
                }
            };
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok(Response::from_parts(parts, Full::new(body)))
        }
    })
    .await
}

/// Serves `handler` with hyper (HTTP/1.1, keep-alive, TCP_NODELAY).
async fn serve<F, Fut>(listen: SocketAddr, handler: F) -> anyhow::Result<()>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
{
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let handler = handler.clone();
        tokio::spawn(
            http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(handler)),
        );
    }
}

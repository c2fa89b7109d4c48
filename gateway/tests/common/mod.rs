//! Test fixtures: in-test upstream servers that record what reaches them, a
//! gateway started on a free port, and HTTP clients (hyper, and raw TCP for
//! requests hyper would not send).

#![allow(dead_code)] // each test binary uses a different subset

pub mod redis_server;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use sluice_gateway::{
    AuthError, Authenticator, Gateway, GatewayConfig, Identity, Route, StaticResolver,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinHandle};

/// A request as an upstream received it (after its body arrived in full).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An upstream service: answers its current status (200 unless set) with a
/// JSON description of the request after `delay`, naming itself in
/// `x-upstream`. Its response also carries hop-by-hop headers the gateway
/// must drop. [`kill`](Self::kill) stops it like a crash.
#[derive(Clone)]
pub struct Upstream {
    pub name: &'static str,
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    status: Arc<AtomicU16>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Upstream {
    pub async fn start(name: &'static str) -> Upstream {
        Self::start_with_delay(name, Duration::ZERO).await
    }

    pub async fn start_with_delay(name: &'static str, delay: Duration) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = Upstream {
            name,
            addr: listener.local_addr().unwrap(),
            seen: Arc::default(),
            connections: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            tasks: Arc::default(),
        };
        let server = upstream.clone();
        let accept = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                server.connections.fetch_add(1, Ordering::SeqCst);
                let upstream = server.clone();
                let handler = service_fn(move |request| {
                    let upstream = upstream.clone();
                    async move { upstream.answer(request, delay).await }
                });
                let connection = tokio::spawn(
                    http1::Builder::new().serve_connection(TokioIo::new(stream), handler),
                );
                server.tasks.lock().unwrap().push(connection.abort_handle());
            }
        });
        upstream.tasks.lock().unwrap().push(accept.abort_handle());
        upstream
    }

    /// An upstream answering `status` until told otherwise.
    pub async fn start_with_status(name: &'static str, status: u16) -> Upstream {
        let upstream = Self::start(name).await;
        upstream.set_status(status);
        upstream
    }

    /// The status of every following answer.
    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Stops listening and drops every open connection, like a crash.
    pub fn kill(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn answer(
        &self,
        request: Request<Incoming>,
        delay: Duration,
    ) -> Result<Response<Full<Bytes>>, hyper::Error> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let seen = Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body,
        };
        self.seen.lock().unwrap().push(seen.clone());
        tokio::time::sleep(delay).await;
        let description = json!({
            "upstream": self.name,
            "method": seen.method,
            "uri": seen.uri,
            "body": String::from_utf8_lossy(&seen.body),
        });
        Ok(Response::builder()
            .status(self.status.load(Ordering::SeqCst))
            .header("content-type", "application/json")
            .header("x-upstream", self.name)
            .header("connection", "x-hop")
            .header("x-hop", "upstream-private")
            .header("keep-alive", "timeout=5")
            .body(Full::new(Bytes::from(description.to_string())))
            .unwrap())
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The one request received so far.
    pub fn only_request(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "{} saw {seen:?}", self.name);
        seen.into_iter().next().unwrap()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A free local address nothing listens on.
pub async fn dead_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A gateway config on a free port with these routes.
pub fn config(routes: &[(&str, &str)]) -> GatewayConfig {
    GatewayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        routes: routes
            .iter()
            .map(|(prefix, service)| Route::new(*prefix, *service))
            .collect(),
        ..GatewayConfig::default()
    }
}

/// A resolver for these upstreams, grouped by service name.
pub fn resolver(services: &[(&str, &[&Upstream])]) -> StaticResolver {
    let mut resolver = StaticResolver::new();
    for (service, upstreams) in services {
        resolver.insert(service, upstreams.iter().map(|u| u.addr).collect());
    }
    resolver
}

/// A gateway serving on its own task until [`stop`](Self::stop).
pub struct TestGateway {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<anyhow::Result<()>>,
}

impl TestGateway {
    pub async fn start(config: GatewayConfig, resolver: StaticResolver) -> TestGateway {
        Self::start_with(config, resolver, None).await
    }

    /// A gateway that verifies tokens with [`FakeTokens`].
    pub async fn start_authenticated(
        config: GatewayConfig,
        resolver: StaticResolver,
    ) -> TestGateway {
        Self::start_with(config, resolver, Some(Arc::new(FakeTokens))).await
    }

    pub async fn start_with(
        config: GatewayConfig,
        resolver: StaticResolver,
        authenticator: Option<Arc<dyn Authenticator>>,
    ) -> TestGateway {
        let mut builder = Gateway::builder(config, Arc::new(resolver));
        if let Some(authenticator) = authenticator {
            builder = builder.authenticator(authenticator);
        }
        let gateway = builder.bind().await.unwrap();
        let addr = gateway.local_addr();
        assert_ne!(addr.port(), 0);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(gateway.run(async {
            let _ = stopped.await;
        }));
        TestGateway {
            addr,
            shutdown: Some(shutdown),
            task,
        }
    }

    /// Signals shutdown without waiting for the gateway to finish.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// The value of the sample `line_start` (name and labels exactly as
    /// rendered) in `/metrics`.
    pub async fn metric(&self, line_start: &str) -> Option<f64> {
        let answer = get(&self.url("/metrics")).await;
        assert_eq!(answer.status, 200);
        let text = String::from_utf8(answer.body.to_vec()).unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(line_start)?.strip_prefix(' '))
            .map(|value| value.parse().unwrap())
    }
}

/// Test tokens: `role:subject:tenant` is valid, `expired` has expired,
/// anything else is invalid.
pub struct FakeTokens;

impl Authenticator for FakeTokens {
    fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if token == "expired" {
            return Err(AuthError::Expired);
        }
        let mut parts = token.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(role), Some(subject), Some(tenant), None) => Ok(Identity {
                subject: subject.into(),
                role: role.into(),
                tenant: tenant.into(),
            }),
            _ => Err(AuthError::Invalid),
        }
    }
}

/// A GET sent from the local address `ip` (any of 127.0.0.0/8 works on
/// loopback), so tests can be several clients.
pub async fn get_from(ip: &str, url: &str) -> Answer {
    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(ip.parse().unwrap()));
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let request = Request::get(url).body(Full::default()).unwrap();
    read(client.request(request).await.unwrap()).await
}

/// A GET with these headers.
pub async fn get_with(url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(request.body(Full::default()).unwrap()).await
}

/// A response read to the end.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    pub fn request_id(&self) -> &str {
        self.header("x-request-id")
            .expect("every response has x-request-id")
    }

    /// Asserts a gateway JSON error with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["error"], code, "{body}");
        let message = body["message"].as_str().expect("a message");
        assert!(!message.is_empty());
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
        assert!(!self.request_id().is_empty());
    }
}

/// A plain HTTP/1.1 client with connection pooling.
pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn send(request: Request<Full<Bytes>>) -> Answer {
    let response = client().request(request).await.unwrap();
    read(response).await
}

pub async fn get(url: &str) -> Answer {
    send(Request::get(url).body(Full::default()).unwrap()).await
}

pub async fn read(response: Response<Incoming>) -> Answer {
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// Writes `request` verbatim on a new connection and reads the response
/// until the server closes the connection.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .expect("the server closes the connection")
        .unwrap();
    parse_response(&bytes)
}

fn parse_response(bytes: &[u8]) -> Answer {
    let text = std::str::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    let mut lines = head.lines();
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (
                name.trim().parse::<http::HeaderName>().unwrap(),
                value.trim().parse().unwrap(),
            )
        })
        .collect();
    Answer {
        status: StatusCode::from_u16(status).unwrap(),
        headers,
        body: Bytes::copy_from_slice(body.as_bytes()),
    }
}

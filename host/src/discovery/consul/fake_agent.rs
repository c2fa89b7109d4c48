//! A stand-in Consul agent for tests (no Consul binary can be installed
//! here), implementing the documented behaviour of the endpoints discovery
//! uses: service registration with an HTTP check that the agent really
//! runs (critical until the first 2xx), deregistration (404 for an unknown
//! id), and `GET /v1/health/service/{name}` with the `passing` and `tag` filters and
//! blocking queries (`index`, `wait`, `X-Consul-Index`). Public so that the
//! multi-process tests (tests/cluster.rs) run their nodes against it too;
//! nothing in the host starts one.

use super::wire::{Check, HealthEntry, Node, Service, ServiceRegistration};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::AbortHandle;

const NODE: &str = "fake-node";

pub struct FakeAgent {
    pub addr: SocketAddr,
    state: Arc<State>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

struct State {
    services: Mutex<BTreeMap<String, Registered>>,
    /// The Raft index: bumped on every change.
    index: watch::Sender<u64>,
    health_queries: AtomicUsize,
}

struct Registered {
    registration: ServiceRegistration,
    status: &'static str,
    checker: Option<AbortHandle>,
}

impl FakeAgent {
    /// An agent on a free port.
    pub async fn start() -> FakeAgent {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// An agent on `addr` with an empty catalog (a restarted agent).
    pub async fn start_on(addr: SocketAddr) -> FakeAgent {
        let listener = TcpListener::bind(addr).await.unwrap();
        let state = Arc::new(State {
            services: Mutex::default(),
            index: watch::channel(1).0,
            health_queries: AtomicUsize::new(0),
        });
        let agent = FakeAgent {
            addr: listener.local_addr().unwrap(),
            state: Arc::clone(&state),
            tasks: Arc::default(),
        };
        let tasks = Arc::clone(&agent.tasks);
        let accept = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let state = Arc::clone(&state);
                let handler = service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, hyper::Error>(state.handle(request).await) }
                });
                let connection = tokio::spawn(
                    http1::Builder::new().serve_connection(TokioIo::new(stream), handler),
                );
                tasks.lock().unwrap().push(connection.abort_handle());
            }
        });
        agent.tasks.lock().unwrap().push(accept.abort_handle());
        agent
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops answering, dropping every connection (an outage).
    pub fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        for registered in self.state.services.lock().unwrap().values_mut() {
            if let Some(checker) = registered.checker.take() {
                checker.abort();
            }
        }
    }

    /// The registration stored under `id`.
    pub fn registration(&self, id: &str) -> Option<ServiceRegistration> {
        let services = self.state.services.lock().unwrap();
        services.get(id).map(|r| r.registration.clone())
    }

    pub fn index(&self) -> u64 {
        *self.state.index.borrow()
    }

    /// Health queries answered so far.
    pub fn health_queries(&self) -> usize {
        self.state.health_queries.load(Ordering::SeqCst)
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.stop();
    }
}

impl State {
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or("").to_owned();
        let method = request.method().clone();
        let body = request.into_body().collect().await.unwrap().to_bytes();
        if let Some(name) = path.strip_prefix("/v1/health/service/") {
            if method != Method::GET {
                return reply(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            }
            return self.health(name, &query).await;
        }
        if method != Method::PUT {
            return reply(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        if path == "/v1/agent/service/register" {
            return self.register(&body);
        }
        if let Some(id) = path.strip_prefix("/v1/agent/service/deregister/") {
            return self.deregister(id);
        }
        reply(StatusCode::NOT_FOUND, "no such endpoint")
    }

    fn register(self: &Arc<Self>, body: &[u8]) -> Response<Full<Bytes>> {
        let registration: ServiceRegistration = match serde_json::from_slice(body) {
            Ok(registration) => registration,
            Err(e) => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    &format!("Request decode failed: {e}"),
                );
            }
        };
        if registration.name.is_empty() {
            return reply(StatusCode::BAD_REQUEST, "Missing service name");
        }
        let id = registration.id.clone();
        let checker = registration.check.as_ref().map(|check| {
            let state = Arc::clone(self);
            let (id, url) = (id.clone(), check.http.clone());
            let interval = go_duration(&check.interval);
            let timeout = go_duration(&check.timeout);
            tokio::spawn(async move { state.run_check(id, url, interval, timeout).await })
                .abort_handle()
        });
        let previous = self.services.lock().unwrap().insert(
            id,
            Registered {
                registration,
                // Consul's checks start critical until they pass.
                status: "critical",
                checker,
            },
        );
        if let Some(checker) = previous.and_then(|p| p.checker) {
            checker.abort();
        }
        self.bump();
        reply(StatusCode::OK, "")
    }

    fn deregister(&self, id: &str) -> Response<Full<Bytes>> {
        let removed = self.services.lock().unwrap().remove(id);
        match removed {
            Some(registered) => {
                if let Some(checker) = registered.checker {
                    checker.abort();
                }
                self.bump();
                reply(StatusCode::OK, "")
            }
            None => reply(StatusCode::NOT_FOUND, &format!("Unknown service ID {id:?}")),
        }
    }

    async fn health(&self, name: &str, query: &str) -> Response<Full<Bytes>> {
        self.health_queries.fetch_add(1, Ordering::SeqCst);
        let params: BTreeMap<&str, &str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .collect();
        if let Some(index) = params.get("index").and_then(|i| i.parse::<u64>().ok()) {
            let wait = params
                .get("wait")
                .map_or(Duration::from_secs(300), |w| go_duration(w));
            let mut changes = self.index.subscribe();
            let _ = tokio::time::timeout(wait, changes.wait_for(|now| *now > index)).await;
        }
        let passing_only = params.contains_key("passing");
        let services = self.services.lock().unwrap();
        let entries: Vec<HealthEntry> = services
            .values()
            .filter(|r| r.registration.name == name)
            .filter(|r| !passing_only || r.status == "passing")
            .filter(|r| {
                params
                    .get("tag")
                    .is_none_or(|t| r.registration.tags.iter().any(|x| x == t))
            })
            .map(|r| entry(&r.registration, r.status))
            .collect();
        let mut response = reply(StatusCode::OK, &serde_json::to_string(&entries).unwrap());
        let index = *self.index.borrow();
        response
            .headers_mut()
            .insert("x-consul-index", index.to_string().parse().unwrap());
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        response
    }

    async fn run_check(&self, id: String, url: String, interval: Duration, timeout: Duration) {
        let client = reqwest::Client::new();
        loop {
            let passing = matches!(
                client.get(&url).timeout(timeout).send().await,
                Ok(response) if response.status().is_success()
            );
            let status = if passing { "passing" } else { "critical" };
            let changed = {
                let mut services = self.services.lock().unwrap();
                match services.get_mut(&id) {
                    Some(registered) if registered.status != status => {
                        registered.status = status;
                        true
                    }
                    Some(_) => false,
                    None => return,
                }
            };
            if changed {
                self.bump();
            }
            tokio::time::sleep(interval).await;
        }
    }

    fn bump(&self) {
        self.index.send_modify(|index| *index += 1);
    }
}

fn entry(registration: &ServiceRegistration, status: &str) -> HealthEntry {
    HealthEntry {
        node: Node {
            node: NODE.to_owned(),
            address: "127.0.0.1".to_owned(),
        },
        service: Service {
            id: registration.id.clone(),
            service: registration.name.clone(),
            address: registration.address.clone(),
            port: registration.port,
        },
        checks: vec![
            Check {
                check_id: "serfHealth".to_owned(),
                status: "passing".to_owned(),
            },
            Check {
                check_id: format!("service:{}", registration.id),
                status: status.to_owned(),
            },
        ],
    }
}

fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}

/// A Go duration as Consul reads it: `150ms`, `10s`, `1m`.
fn go_duration(text: &str) -> Duration {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().unwrap_or(0);
    match unit {
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number * 60),
        "h" => Duration::from_secs(number * 3600),
        _ => Duration::from_secs(number),
    }
}

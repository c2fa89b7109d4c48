//! The Consul backend against [`FakeAgent`]: registration with a working
//! HTTP check, the passing filter, blocking queries that pick up changes at
//! once without polling, deregistration, and the cache through an outage
//! and an agent restart.

use super::super::{ConsulConfig, Discovery, Registration};
use super::ConsulDiscovery;
use super::fake_agent::FakeAgent;
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A service instance whose `/health` answers a settable status.
struct Instance {
    addr: SocketAddr,
    status: Arc<AtomicU16>,
}

impl Instance {
    async fn start(status: u16) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let status = Arc::new(AtomicU16::new(status));
        let shared = Arc::clone(&status);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let status = Arc::clone(&shared);
                let handler = service_fn(move |request: hyper::Request<_>| {
                    let code = if request.uri().path() == "/health" {
                        status.load(Ordering::SeqCst)
                    } else {
                        404
                    };
                    let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
                    *response.status_mut() = StatusCode::from_u16(code).unwrap();
                    async move { Ok::<_, hyper::Error>(response) }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), handler));
            }
        });
        Instance { addr, status }
    }

    fn registration(&self) -> Registration {
        Registration::new("catalog", self.addr)
    }
}

fn config(agent: &FakeAgent) -> ConsulConfig {
    ConsulConfig {
        address: agent.url(),
        wait_secs: 30,
        check_interval: "50ms".into(),
        check_timeout: "1s".into(),
        ..ConsulConfig::default()
    }
}

/// Waits until `discovery.cached("catalog")` equals `expected`.
async fn eventually(discovery: &ConsulDiscovery, mut expected: Vec<SocketAddr>) {
    expected.sort();
    let started = Instant::now();
    loop {
        if discovery.cached("catalog") == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still {:?}, want {expected:?}",
            discovery.cached("catalog")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn registers_with_an_http_check_and_resolves_only_passing_instances() {
    let agent = FakeAgent::start().await;
    let discovery = ConsulDiscovery::new(config(&agent)).unwrap();
    let healthy = Instance::start(200).await;
    let sick = Instance::start(500).await;
    discovery.register(&healthy.registration()).await.unwrap();
    discovery.register(&sick.registration()).await.unwrap();

    let stored = agent.registration(&healthy.registration().id()).unwrap();
    assert_eq!(stored.name, "catalog");
    assert_eq!(
        (stored.address.as_str(), stored.port),
        ("127.0.0.1", healthy.addr.port())
    );
    let check = stored.check.unwrap();
    assert_eq!(check.http, format!("http://{}/health", healthy.addr));
    assert_eq!(
        (check.interval.as_str(), check.timeout.as_str()),
        ("50ms", "1s")
    );
    assert_eq!(check.deregister_critical_service_after, "1m");
    assert_eq!(stored.tags, ["sluice"]);

    discovery.instances("catalog").await.unwrap();
    eventually(&discovery, vec![healthy.addr]).await;
    sick.status.store(200, Ordering::SeqCst);
    eventually(&discovery, vec![healthy.addr, sick.addr]).await;
    healthy.status.store(503, Ordering::SeqCst);
    eventually(&discovery, vec![sick.addr]).await;
    assert!(discovery.cached("account").is_empty());
}

#[tokio::test]
async fn an_instance_without_the_clusters_tag_is_not_resolved() {
    let agent = FakeAgent::start().await;
    let ours = ConsulDiscovery::new(config(&agent)).unwrap();
    // Someone with access to the agent registers a "catalog" of their own,
    // healthy, under another tag.
    let intruder = ConsulDiscovery::new(ConsulConfig {
        tags: vec!["not-sluice".into()],
        ..config(&agent)
    })
    .unwrap();
    let real = Instance::start(200).await;
    let fake = Instance::start(200).await;
    ours.register(&real.registration()).await.unwrap();
    intruder.register(&fake.registration()).await.unwrap();
    ours.instances("catalog").await.unwrap();
    eventually(&ours, vec![real.addr]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        ours.cached("catalog"),
        vec![real.addr],
        "the intruder stays out"
    );
}

#[tokio::test]
async fn blocking_queries_see_changes_at_once_without_polling() {
    let agent = FakeAgent::start().await;
    let discovery = ConsulDiscovery::new(config(&agent)).unwrap();
    let first = Instance::start(200).await;
    discovery.register(&first.registration()).await.unwrap();
    eventually(&discovery, vec![first.addr]).await;

    // Quiet: with a 30 s wait the watch holds one query open.
    let queries = agent.health_queries();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(agent.health_queries() - queries <= 1, "the watch polls");

    let second = Instance::start(200).await;
    let started = Instant::now();
    discovery.register(&second.registration()).await.unwrap();
    eventually(&discovery, vec![first.addr, second.addr]).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a change ends the blocking query"
    );

    discovery.deregister(&first.registration()).await.unwrap();
    eventually(&discovery, vec![second.addr]).await;
    assert!(agent.registration(&first.registration().id()).is_none());
    discovery
        .deregister(&first.registration())
        .await
        .expect("deregistering twice is fine");
}

#[tokio::test]
async fn an_outage_keeps_the_last_known_instances_and_a_restart_is_followed() {
    let agent = FakeAgent::start().await;
    let discovery = ConsulDiscovery::new(config(&agent)).unwrap();
    let one = Instance::start(200).await;
    discovery.register(&one.registration()).await.unwrap();
    eventually(&discovery, vec![one.addr]).await;
    let index_before = agent.index();

    let addr = agent.addr;
    agent.stop();
    drop(agent);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        discovery.cached("catalog"),
        vec![one.addr],
        "kept through the outage"
    );
    assert_eq!(
        discovery.instances("catalog").await.unwrap(),
        vec![one.addr]
    );
    assert!(
        discovery.register(&one.registration()).await.is_err(),
        "registering needs Consul"
    );

    // A restarted agent has lost its catalog and its index went backwards.
    let agent = FakeAgent::start_on(addr).await;
    assert!(agent.index() < index_before);
    let two = Instance::start(200).await;
    discovery.register(&two.registration()).await.unwrap();
    eventually(&discovery, vec![two.addr]).await;
}

#[tokio::test]
async fn nothing_known_and_consul_down_is_an_error() {
    let agent = FakeAgent::start().await;
    let config = config(&agent);
    drop(agent);
    let discovery = ConsulDiscovery::new(config).unwrap();
    let error = discovery.instances("catalog").await.unwrap_err();
    assert!(error.to_string().contains("unreachable"), "{error}");
    assert!(discovery.cached("catalog").is_empty());
}

#[test]
fn the_registration_body_is_consul_json() {
    let discovery = ConsulDiscovery::new(ConsulConfig::default()).unwrap();
    let registration = Registration::new("pricing", "10.0.0.5:8084".parse().unwrap());
    let body = serde_json::to_value(discovery.registration_body(&registration)).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "ID": "pricing-10.0.0.5-8084",
            "Name": "pricing",
            "Address": "10.0.0.5",
            "Port": 8084,
            "Tags": ["sluice"],
            "Check": {
                "HTTP": "http://10.0.0.5:8084/health",
                "Method": "GET",
                "Interval": "10s",
                "Timeout": "2s",
                "DeregisterCriticalServiceAfter": "1m"
            }
        })
    );
}

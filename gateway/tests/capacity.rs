//! Limits that protect the gateway: in-flight caps (503 `overloaded`),
//! per-route timeouts (504), body and header size limits (413, 431), and
//! injected faults.

mod common;

use common::{TestGateway, Upstream, config, get, raw, resolver};
use sluice_gateway::{FaultConfig, GatewayConfig, Route, SheddingConfig};
use std::time::{Duration, Instant};

fn shedding(max_in_flight: usize, per_service: usize) -> GatewayConfig {
    GatewayConfig {
        routes: vec![
            Route::new("/api/prices", "pricing"),
            Route::new("/api/products", "catalog"),
        ],
        shedding: SheddingConfig {
            max_in_flight,
            max_in_flight_per_service: per_service,
            retry_after_secs: 1,
        },
        ..config(&[])
    }
}

/// Starts `count` GETs of `url` in the background and waits until
/// `upstream` holds them all.
async fn occupy(url: &str, upstream: &Upstream, count: usize) -> Vec<tokio::task::JoinHandle<u16>> {
    let already = upstream.seen().len();
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move { get(&url).await.status.as_u16() })
        })
        .collect();
    while upstream.seen().len() < already + count {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tasks
}

#[tokio::test]
async fn over_the_per_service_cap_requests_are_shed_with_503() {
    let slow = Upstream::start_with_delay("pricing", Duration::from_millis(700)).await;
    let catalog = Upstream::start("catalog").await;
    let upstreams = resolver(&[("pricing", &[&slow]), ("catalog", &[&catalog])]);
    let gateway = TestGateway::start(shedding(100, 2), upstreams).await;
    let url = gateway.url("/api/prices/A-1");

    let held = occupy(&url, &slow, 2).await;
    for _ in 0..3 {
        let shed = get(&url).await;
        shed.assert_error(503, "overloaded");
        assert_eq!(shed.header("retry-after"), Some("1"));
    }
    assert_eq!(
        get(&gateway.url("/api/products")).await.status,
        200,
        "other services unaffected"
    );
    for task in held {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(
        slow.seen().len(),
        2,
        "shed requests never reached the upstream"
    );
    assert_eq!(get(&url).await.status, 200, "slots are freed");
    let shed = r#"sluice_gateway_shed_total{scope="service",service="pricing"}"#;
    assert_eq!(gateway.metric(shed).await, Some(3.0));
    assert_eq!(gateway.metric("sluice_gateway_in_flight").await, Some(0.0));
}

#[tokio::test]
async fn over_the_global_cap_every_service_is_shed() {
    let slow = Upstream::start_with_delay("pricing", Duration::from_millis(700)).await;
    let catalog = Upstream::start("catalog").await;
    let upstreams = resolver(&[("pricing", &[&slow]), ("catalog", &[&catalog])]);
    let gateway = TestGateway::start(shedding(1, 10), upstreams).await;
    let held = occupy(&gateway.url("/api/prices/A-1"), &slow, 1).await;
    get(&gateway.url("/api/products"))
        .await
        .assert_error(503, "overloaded");
    assert!(catalog.seen().is_empty());
    assert_eq!(held.into_iter().next().unwrap().await.unwrap(), 200);
    assert_eq!(get(&gateway.url("/api/products")).await.status, 200);
}

#[tokio::test]
async fn a_route_timeout_is_504_and_not_retried() {
    let slow = Upstream::start_with_delay("pricing", Duration::from_secs(3)).await;
    let config = GatewayConfig {
        routes: vec![
            Route::new("/api/prices", "pricing").timeout(Duration::from_millis(200)),
            Route::new("/api/promotions", "pricing"),
        ],
        ..config(&[])
    };
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&slow])])).await;
    let started = Instant::now();
    get(&gateway.url("/api/prices/A-1"))
        .await
        .assert_error(504, "upstream_timeout");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(slow.seen().len(), 1, "a timed-out GET is not retried");
    let other = get(&gateway.url("/api/promotions")).await;
    assert_eq!(
        other.status, 200,
        "the other route keeps the default timeout"
    );
}

#[tokio::test]
async fn a_retryable_body_over_the_limit_is_413() {
    let pricing = Upstream::start("pricing").await;
    let mut config = config(&[("/api/prices", "pricing")]);
    config.max_body_bytes = 1000;
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&pricing])])).await;
    // PUT is idempotent, so its body is read before forwarding.
    let put = |chunks: usize| {
        let mut request = b"PUT /api/prices/A HTTP/1.1\r\nhost: x\r\n\
            transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .to_vec();
        for _ in 0..chunks {
            request.extend_from_slice(b"190\r\n");
            request.extend_from_slice(&[b'z'; 400]);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        request
    };
    raw(gateway.addr, &put(3))
        .await
        .assert_error(413, "payload_too_large");
    assert!(pricing.seen().is_empty());
    let under = raw(gateway.addr, &put(2)).await;
    assert_eq!(under.status, 200, "{under:?}");
    assert_eq!(pricing.only_request().body.len(), 800);
}

#[tokio::test]
async fn too_many_header_fields_are_431() {
    let pricing = Upstream::start("pricing").await;
    let mut config = config(&[("/api/prices", "pricing")]);
    config.max_headers = 20;
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&pricing])])).await;
    let mut request = b"GET /api/prices/A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n".to_vec();
    for i in 0..30 {
        request.extend_from_slice(format!("x-extra-{i}: 1\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let mut stream = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, &request)
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer)
        .await
        .unwrap();
    let head = String::from_utf8_lossy(&answer);
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    assert!(pricing.seen().is_empty());
}

#[tokio::test]
async fn injected_faults_abort_or_delay_only_their_route() {
    let pricing = Upstream::start("pricing").await;
    let abort = FaultConfig {
        abort_status: 503,
        abort_percent: 100.0,
        ..FaultConfig::default()
    };
    let delay = FaultConfig {
        delay: Duration::from_millis(300),
        delay_percent: 100.0,
        ..FaultConfig::default()
    };
    let config = GatewayConfig {
        routes: vec![
            Route::new("/api/prices", "pricing").faults(abort),
            Route::new("/api/promotions", "pricing").faults(delay),
            Route::new("/api/products", "pricing"),
        ],
        ..config(&[])
    };
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&pricing])])).await;
    get(&gateway.url("/api/prices/A"))
        .await
        .assert_error(503, "fault_injected");
    assert!(pricing.seen().is_empty());
    let started = Instant::now();
    assert_eq!(get(&gateway.url("/api/promotions")).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(get(&gateway.url("/api/products")).await.status, 200);
    assert_eq!(pricing.seen().len(), 2);
}

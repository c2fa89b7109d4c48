//! Requests the gateway answers with a JSON error: no route, no instance,
//! unreachable or slow upstream, body too large.

mod common;

use bytes::Bytes;
use common::{TestGateway, Upstream, config, dead_addr, get, raw, resolver, send};
use http::Request;
use http_body_util::Full;
use sluice_gateway::StaticResolver;
use std::time::{Duration, Instant};

const ROUTES: &[(&str, &str)] = &[("/api/accounts", "account"), ("/api/orders", "order")];

#[tokio::test]
async fn unknown_paths_are_404_with_a_request_id() {
    let account = Upstream::start("account").await;
    let gateway = TestGateway::start(config(ROUTES), resolver(&[("account", &[&account])])).await;

    for path in ["/", "/api", "/api/accountsx", "/nowhere/api/accounts"] {
        get(&gateway.url(path)).await.assert_error(404, "not_found");
    }
    let echoed = send(
        Request::get(gateway.url("/missing"))
            .header("x-request-id", "trace-me")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    echoed.assert_error(404, "not_found");
    assert_eq!(echoed.request_id(), "trace-me");
    assert!(account.seen().is_empty());
}

#[tokio::test]
async fn a_service_without_instances_is_503() {
    let resolver = StaticResolver::new().with("account", vec![]);
    let gateway = TestGateway::start(config(ROUTES), resolver).await;
    let answer = get(&gateway.url("/api/accounts/me")).await;
    answer.assert_error(503, "no_healthy_instance");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("account")
    );
    get(&gateway.url("/api/orders"))
        .await
        .assert_error(503, "no_healthy_instance");
}

#[tokio::test]
async fn an_unreachable_upstream_is_502() {
    let resolver = StaticResolver::new().with("account", vec![dead_addr().await]);
    let gateway = TestGateway::start(config(ROUTES), resolver).await;
    get(&gateway.url("/api/accounts/me"))
        .await
        .assert_error(502, "bad_gateway");
}

#[tokio::test]
async fn a_slow_upstream_is_504_after_the_timeout() {
    let slow = Upstream::start_with_delay("account", Duration::from_secs(5)).await;
    let mut config = config(ROUTES);
    config.upstream_timeout = Duration::from_millis(300);
    let gateway = TestGateway::start(config, resolver(&[("account", &[&slow])])).await;

    let started = Instant::now();
    let answer = get(&gateway.url("/api/accounts/me")).await;
    let elapsed = started.elapsed();
    answer.assert_error(504, "upstream_timeout");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(slow.seen().len(), 1);
}

#[tokio::test]
async fn a_declared_oversized_body_is_413_without_reading_it() {
    let account = Upstream::start("account").await;
    let mut config = config(ROUTES);
    config.max_body_bytes = 1024;
    let gateway = TestGateway::start(config, resolver(&[("account", &[&account])])).await;

    // The head alone: the gateway must answer without waiting for the body.
    let answer = raw(
        gateway.addr,
        b"POST /api/accounts/register HTTP/1.1\r\nhost: x\r\nx-request-id: big-1\r\n\
          content-length: 10000000\r\n\r\n",
    )
    .await;
    answer.assert_error(413, "payload_too_large");
    assert_eq!(answer.request_id(), "big-1");

    // At the limit is fine.
    let request = Request::post(gateway.url("/api/accounts/register"))
        .body(Full::new(Bytes::from(vec![b'a'; 1024])))
        .unwrap();
    assert_eq!(send(request).await.status, 200);
    assert_eq!(account.only_request().body.len(), 1024);
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_413() {
    let account = Upstream::start("account").await;
    let mut config = config(ROUTES);
    config.max_body_bytes = 1000;
    let gateway = TestGateway::start(config, resolver(&[("account", &[&account])])).await;

    let chunked = |chunks: usize| {
        let mut request = b"POST /api/accounts/register HTTP/1.1\r\nhost: x\r\n\
            transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .to_vec();
        for _ in 0..chunks {
            request.extend_from_slice(b"190\r\n"); // 400 bytes
            request.extend_from_slice(&[b'z'; 400]);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        request
    };

    let over = raw(gateway.addr, &chunked(3)).await;
    over.assert_error(413, "payload_too_large");

    let under = raw(gateway.addr, &chunked(2)).await;
    assert_eq!(under.status, 200, "{under:?}");
    assert_eq!(account.only_request().body.len(), 800);
}

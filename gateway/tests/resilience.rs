//! Failing upstreams: a killed instance is ejected by its breaker while its
//! traffic moves to the healthy one (no 5xx storm), idempotent requests are
//! retried elsewhere and others are not, ejected instances are probed again
//! after the cool-down, and a service with every instance ejected is 503.

mod common;

use bytes::Bytes;
use common::{TestGateway, Upstream, config, dead_addr, get, resolver, send};
use http::Request;
use http_body_util::Full;
use sluice_gateway::{BreakerConfig, GatewayConfig, Route, StaticResolver};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn with_breaker(failures: u32, cool_down: Duration, retries: u32) -> GatewayConfig {
    GatewayConfig {
        routes: vec![Route::new("/api/prices", "pricing").retries(retries)],
        breaker: BreakerConfig {
            consecutive_failures: failures,
            cool_down,
            max_cool_down: cool_down,
        },
        ..config(&[])
    }
}

fn breaker_state(upstream: &Upstream) -> String {
    format!(
        r#"sluice_gateway_breaker_state{{service="pricing",instance="{}"}}"#,
        upstream.addr
    )
}

#[tokio::test]
async fn an_upstream_killed_mid_load_is_ejected_and_its_traffic_moves() {
    let doomed = Upstream::start("doomed").await;
    let healthy = Upstream::start("healthy").await;
    let config = with_breaker(3, Duration::from_secs(60), 1);
    let gateway =
        Arc::new(TestGateway::start(config, resolver(&[("pricing", &[&doomed, &healthy])])).await);

    let statuses = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (gateway, statuses, stop) = (gateway.clone(), statuses.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let client = common::client();
            while !stop.load(Ordering::SeqCst) {
                let request = Request::get(gateway.url("/api/prices/A-1"))
                    .body(Full::default())
                    .unwrap();
                let answer = common::read(client.request(request).await.unwrap()).await;
                statuses.lock().unwrap().push(answer.status.as_u16());
            }
        }));
    }
    let wait_for = |upstream: &Upstream, count: usize| {
        let upstream = upstream.clone();
        async move {
            while upstream.seen().len() < count {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    wait_for(&doomed, 20).await;
    doomed.kill();
    let healthy_at_kill = healthy.seen().len();
    wait_for(&healthy, healthy_at_kill + 200).await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }

    let statuses = statuses.lock().unwrap().clone();
    let failed: Vec<_> = statuses.iter().filter(|status| **status != 200).collect();
    assert!(
        failed.is_empty(),
        "clients saw {failed:?} of {}",
        statuses.len()
    );
    assert_eq!(gateway.metric(&breaker_state(&doomed)).await, Some(1.0));
    assert_eq!(gateway.metric(&breaker_state(&healthy)).await, Some(0.0));
    let ejections = format!(
        r#"sluice_gateway_ejections_total{{service="pricing",instance="{}"}}"#,
        doomed.addr
    );
    assert_eq!(gateway.metric(&ejections).await, Some(1.0));
    // Ejected: the next requests do not even try the dead instance.
    let retries_before = gateway
        .metric("sluice_gateway_retries_total")
        .await
        .unwrap();
    for _ in 0..10 {
        assert_eq!(get(&gateway.url("/api/prices/A-1")).await.status, 200);
    }
    let retries_after = gateway
        .metric("sluice_gateway_retries_total")
        .await
        .unwrap();
    assert_eq!(retries_before, retries_after);
}

#[tokio::test]
async fn idempotent_requests_are_retried_on_another_instance_and_posts_are_not() {
    let failing = Upstream::start_with_status("failing", 503).await;
    let working = Upstream::start("working").await;
    let config = with_breaker(1000, Duration::from_secs(60), 1);
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&failing, &working])])).await;
    let url = gateway.url("/api/prices/A-1");

    for _ in 0..4 {
        let answer = get(&url).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("x-upstream"), Some("working"));
    }
    let gets_failed = failing.seen().len();
    assert!(
        gets_failed >= 1,
        "round robin sent some GETs to the failing one"
    );
    assert_eq!(working.seen().len(), 4);
    assert_eq!(
        gateway.metric("sluice_gateway_retries_total").await,
        Some(gets_failed as f64)
    );

    let mut post_statuses = Vec::new();
    for _ in 0..4 {
        let request = Request::post(&url)
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        post_statuses.push(send(request).await.status.as_u16());
    }
    let posts = |upstream: &Upstream| {
        upstream
            .seen()
            .iter()
            .filter(|seen| seen.method == "POST")
            .count()
    };
    assert_eq!(posts(&failing) + posts(&working), 4, "each POST sent once");
    let refused = post_statuses
        .iter()
        .filter(|status| **status == 503)
        .count();
    assert_eq!(
        refused,
        posts(&failing),
        "the upstream's 503 passed through"
    );
    assert!(refused >= 1);
}

#[tokio::test]
async fn retries_stop_at_the_route_setting() {
    let failing = Upstream::start_with_status("failing", 503).await;
    let also_failing = Upstream::start_with_status("also", 502).await;
    let config = with_breaker(1000, Duration::from_secs(60), 0);
    let gateway =
        TestGateway::start(config, resolver(&[("pricing", &[&failing, &also_failing])])).await;
    let answer = get(&gateway.url("/api/prices/A-1")).await;
    assert!(matches!(answer.status.as_u16(), 502 | 503));
    assert_eq!(failing.seen().len() + also_failing.seen().len(), 1);
}

#[tokio::test]
async fn an_ejected_instance_gets_a_probe_after_the_cool_down() {
    let flaky = Upstream::start_with_status("flaky", 503).await;
    let steady = Upstream::start("steady").await;
    let config = with_breaker(2, Duration::from_millis(300), 0);
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&flaky, &steady])])).await;
    let url = gateway.url("/api/prices/A-1");

    while flaky.seen().len() < 2 {
        get(&url).await;
    }
    assert_eq!(gateway.metric(&breaker_state(&flaky)).await, Some(1.0));
    for _ in 0..10 {
        assert_eq!(get(&url).await.header("x-upstream"), Some("steady"));
    }
    assert_eq!(flaky.seen().len(), 2, "ejected: no traffic");

    flaky.set_status(200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut upstreams = Vec::new();
    for _ in 0..6 {
        let answer = get(&url).await;
        assert_eq!(answer.status, 200);
        upstreams.push(answer.header("x-upstream").unwrap().to_owned());
    }
    assert!(
        upstreams.iter().filter(|name| *name == "flaky").count() >= 2,
        "{upstreams:?}"
    );
    assert_eq!(gateway.metric(&breaker_state(&flaky)).await, Some(0.0));
}

#[tokio::test]
async fn every_instance_ejected_is_503_no_healthy_instance() {
    let broken = Upstream::start_with_status("broken", 503).await;
    let config = with_breaker(2, Duration::from_secs(60), 0);
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&broken])])).await;
    let url = gateway.url("/api/prices/A-1");
    for _ in 0..2 {
        let answer = get(&url).await;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.header("x-upstream"), Some("broken"));
    }
    let answer = get(&url).await;
    answer.assert_error(503, "no_healthy_instance");
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(broken.seen().len(), 2);
}

#[tokio::test]
async fn an_unreachable_instance_is_502_then_ejected() {
    let resolver = StaticResolver::new().with("pricing", vec![dead_addr().await]);
    let gateway = TestGateway::start(with_breaker(2, Duration::from_secs(60), 1), resolver).await;
    let url = gateway.url("/api/prices/A-1");
    get(&url).await.assert_error(502, "bad_gateway");
    get(&url).await.assert_error(503, "no_healthy_instance");
}

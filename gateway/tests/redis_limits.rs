//! Rate limits shared through Redis: two gateways admit no more than the
//! shared budget, and with Redis gone a gateway limits locally, keeps
//! serving, says so in `/metrics`, and shares again once Redis is back.

mod common;

use common::redis_server::RedisServer;
use common::{TestGateway, Upstream, config, get, resolver};
use sluice_gateway::{DEFAULT_CLASS, GatewayConfig, LimitClass, LimiterBackend, QuotaConfig};
use std::time::{Duration, Instant};

const DEGRADED: &str = "sluice_gateway_rate_limit_redis_degraded";

/// A Redis-backed gateway config, `limit` per minute per IP, under a key
/// prefix of its own.
fn shared(redis: &RedisServer, limit: u32) -> GatewayConfig {
    let mut config = config(&[("/api/prices", "pricing")]);
    let limits = &mut config.rate_limit;
    limits.backend = LimiterBackend::Redis;
    limits.redis_url = redis.url();
    limits.redis_timeout = Duration::from_millis(200);
    limits.redis_probe_interval = Duration::from_millis(100);
    limits.redis_key_prefix = format!("test:{}:", uuid::Uuid::new_v4());
    limits.classes.insert(
        DEFAULT_CLASS.into(),
        LimitClass {
            per_ip: Some(QuotaConfig::new(limit, Duration::from_secs(60))),
            per_user: None,
        },
    );
    config
}

#[tokio::test]
async fn two_gateways_admit_no_more_than_the_shared_budget() {
    let redis = RedisServer::start();
    let pricing = Upstream::start("pricing").await;
    let upstreams = resolver(&[("pricing", &[&pricing])]);
    let mut config = shared(&redis, 10);
    // Redis is up throughout: a call slower than the short timeout the
    // outage test needs (a busy 2-core machine) must not send a gateway
    // to its local limits here.
    config.rate_limit.redis_timeout = Duration::from_secs(5);
    let first = TestGateway::start(config.clone(), upstreams.clone()).await;
    let second = TestGateway::start(config, upstreams).await;

    let mut admitted = 0;
    let mut refused = Vec::new();
    for _ in 0..15 {
        for gateway in [&first, &second] {
            let answer = get(&gateway.url("/api/prices/A-1")).await;
            match answer.status.as_u16() {
                200 => admitted += 1,
                429 => refused.push(answer),
                other => panic!("unexpected {other}: {answer:?}"),
            }
        }
    }
    assert_eq!(admitted, 10, "one budget of 10 for both gateways");
    assert_eq!(pricing.seen().len(), 10);
    assert_eq!(refused.len(), 20);
    for answer in &refused {
        answer.assert_error(429, "rate_limited");
        assert_eq!(answer.header("ratelimit-limit"), Some("10"));
        assert_eq!(answer.header("ratelimit-remaining"), Some("0"));
        assert!(answer.header("retry-after").is_some());
    }
    assert_eq!(first.metric(DEGRADED).await, Some(0.0));
    assert_eq!(second.metric(DEGRADED).await, Some(0.0));
}

#[tokio::test]
async fn with_redis_stopped_limits_are_local_and_return_to_redis_after() {
    let mut redis = RedisServer::start();
    let pricing = Upstream::start("pricing").await;
    let gateway =
        TestGateway::start(shared(&redis, 4), resolver(&[("pricing", &[&pricing])])).await;
    let url = gateway.url("/api/prices/A-1");

    for remaining in ["3", "2"] {
        let answer = get(&url).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("ratelimit-remaining"), Some(remaining));
    }
    assert_eq!(gateway.metric(DEGRADED).await, Some(0.0));

    redis.stop();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&url).await.status.as_u16());
    }
    // The local bucket starts full: four more, then limited. Never a 5xx.
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    assert_eq!(gateway.metric(DEGRADED).await, Some(1.0));
    let errors = "sluice_gateway_rate_limit_redis_errors_total";
    assert!(gateway.metric(errors).await.unwrap() >= 1.0);

    redis.restart();
    let started = Instant::now();
    let recovered = loop {
        let answer = get(&url).await;
        assert!(matches!(answer.status.as_u16(), 200 | 429), "{answer:?}");
        if gateway.metric(DEGRADED).await == Some(0.0) {
            break answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never recovered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The restarted Redis is empty, so its bucket admits what the local
    // one refused: limits are shared again.
    assert_eq!(recovered.status, 200, "{recovered:?}");
    assert_eq!(get(&url).await.status, 200);
}

#[tokio::test]
async fn an_unreachable_redis_at_start_up_means_local_limits_not_failure() {
    let mut redis = RedisServer::start();
    let config = shared(&redis, 2);
    redis.stop();
    let pricing = Upstream::start("pricing").await;
    let gateway = TestGateway::start(config, resolver(&[("pricing", &[&pricing])])).await;
    assert_eq!(gateway.metric(DEGRADED).await, Some(1.0));
    let url = gateway.url("/api/prices/A-1");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(&url).await.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
}

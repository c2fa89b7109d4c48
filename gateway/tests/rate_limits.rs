//! Local rate limiting: bursts refused 429 with `Retry-After` and the
//! `RateLimit-*` headers, recovery after the wait, separate buckets per
//! client IP and per user, and no limits when switched off.

mod common;

use common::{TestGateway, Upstream, config, get, get_from, get_with, resolver};
use sluice_gateway::{
    DEFAULT_CLASS, GatewayConfig, LimitClass, LimiterBackend, QuotaConfig, Route,
};
use std::time::Duration;

/// One class for every route, with these quotas.
fn limited(per_ip: Option<QuotaConfig>, per_user: Option<QuotaConfig>) -> GatewayConfig {
    let mut config = config(&[("/api/prices", "pricing")]);
    config
        .rate_limit
        .classes
        .insert(DEFAULT_CLASS.into(), LimitClass { per_ip, per_user });
    config
}

fn header(answer: &common::Answer, name: &str) -> u64 {
    answer
        .header(name)
        .unwrap_or_else(|| panic!("{name} missing: {answer:?}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_burst_gets_429_with_headers_and_recovers_after_retry_after() {
    let pricing = Upstream::start("pricing").await;
    // Three at once, then one every two seconds.
    let quota = QuotaConfig::new(3, Duration::from_secs(6)).with_burst(3);
    let gateway = TestGateway::start(
        limited(Some(quota), None),
        resolver(&[("pricing", &[&pricing])]),
    )
    .await;
    let url = gateway.url("/api/prices/A-1");

    for remaining in [2, 1, 0] {
        let answer = get(&url).await;
        assert_eq!(answer.status, 200);
        assert_eq!(header(&answer, "ratelimit-limit"), 3);
        assert_eq!(header(&answer, "ratelimit-remaining"), remaining);
        let reset = header(&answer, "ratelimit-reset");
        assert!((1..=6).contains(&reset), "{reset}");
    }
    let refused = get(&url).await;
    refused.assert_error(429, "rate_limited");
    let retry_after = header(&refused, "retry-after");
    assert_eq!(retry_after, 2);
    assert_eq!(header(&refused, "ratelimit-limit"), 3);
    assert_eq!(header(&refused, "ratelimit-remaining"), 0);
    assert!(header(&refused, "ratelimit-reset") >= retry_after);
    assert_eq!(
        pricing.seen().len(),
        3,
        "the refused request never went upstream"
    );

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = get(&url).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(header(&again, "ratelimit-remaining"), 0);
    assert_eq!(pricing.seen().len(), 4);
    let rejected = r#"sluice_gateway_rate_limited_total{class="default",scope="ip"}"#;
    assert_eq!(gateway.metric(rejected).await, Some(1.0));
}

#[tokio::test]
async fn each_client_ip_has_its_own_bucket() {
    let pricing = Upstream::start("pricing").await;
    let quota = QuotaConfig::new(2, Duration::from_secs(60));
    let gateway = TestGateway::start(
        limited(Some(quota), None),
        resolver(&[("pricing", &[&pricing])]),
    )
    .await;
    let url = gateway.url("/api/prices/A-1");
    let statuses = |answers: Vec<common::Answer>| -> Vec<u16> {
        answers
            .iter()
            .map(|answer| answer.status.as_u16())
            .collect()
    };
    let mut first = Vec::new();
    let mut second = Vec::new();
    for _ in 0..3 {
        first.push(get_from("127.0.0.1", &url).await);
        second.push(get_from("127.0.0.2", &url).await);
    }
    assert_eq!(statuses(first), [200, 200, 429]);
    assert_eq!(statuses(second), [200, 200, 429]);
    assert_eq!(pricing.seen().len(), 4);
}

#[tokio::test]
async fn each_user_has_their_own_bucket_across_ips() {
    let pricing = Upstream::start("pricing").await;
    let quota = QuotaConfig::new(2, Duration::from_secs(60));
    let gateway = TestGateway::start_authenticated(
        limited(None, Some(quota)),
        resolver(&[("pricing", &[&pricing])]),
    )
    .await;
    let url = gateway.url("/api/prices/A-1");
    let as_user = |subject: &str| format!("Bearer customer:{subject}:acme");
    let (alice, bob) = (as_user("alice"), as_user("bob"));

    for _ in 0..2 {
        assert_eq!(
            get_with(&url, &[("authorization", &alice)]).await.status,
            200
        );
    }
    get_with(&url, &[("authorization", &alice)])
        .await
        .assert_error(429, "rate_limited");
    assert_eq!(get_with(&url, &[("authorization", &bob)]).await.status, 200);
    for _ in 0..3 {
        let anonymous = get(&url).await;
        assert_eq!(anonymous.status, 200, "no per-user limit without a user");
        assert_eq!(anonymous.header("ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn the_stricter_of_ip_and_user_limits_is_reported() {
    let pricing = Upstream::start("pricing").await;
    let loose = QuotaConfig::new(100, Duration::from_secs(60));
    let tight = QuotaConfig::new(5, Duration::from_secs(60));
    let gateway = TestGateway::start_authenticated(
        limited(Some(loose), Some(tight)),
        resolver(&[("pricing", &[&pricing])]),
    )
    .await;
    let token = "Bearer customer:carol:acme";
    let answer = get_with(&gateway.url("/api/prices/A-1"), &[("authorization", token)]).await;
    assert_eq!(header(&answer, "ratelimit-limit"), 5);
    assert_eq!(header(&answer, "ratelimit-remaining"), 4);
}

#[tokio::test]
async fn routes_may_use_other_classes_or_none_and_the_limiter_can_be_off() {
    let pricing = Upstream::start("pricing").await;
    let mut config = limited(Some(QuotaConfig::new(1, Duration::from_secs(60))), None);
    config.routes = vec![
        Route::new("/api/prices", "pricing"),
        Route::new("/api/promotions", "pricing").rate_limit("unlimited"),
    ];
    config
        .rate_limit
        .classes
        .insert("unlimited".into(), LimitClass::default());
    let both = resolver(&[("pricing", &[&pricing])]);
    let gateway = TestGateway::start(config.clone(), both.clone()).await;
    for _ in 0..5 {
        let answer = get(&gateway.url("/api/promotions")).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("ratelimit-limit"), None);
    }
    assert_eq!(get(&gateway.url("/api/prices/A")).await.status, 200);
    assert_eq!(get(&gateway.url("/api/prices/A")).await.status, 429);

    config.rate_limit.backend = LimiterBackend::Off;
    let off = TestGateway::start(config, both).await;
    for _ in 0..5 {
        let answer = get(&off.url("/api/prices/A")).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn an_unknown_class_is_a_configuration_error() {
    let mut config = config(&[]);
    config.routes = vec![Route::new("/x", "x").rate_limit("nope")];
    let error = sluice_gateway::Gateway::bind(config, std::sync::Arc::new(resolver(&[])))
        .await
        .err()
        .expect("binding fails");
    assert!(error.to_string().contains("nope"), "{error}");
}

//! `GET /metrics`: Prometheus text with requests by route and status, the
//! latency histogram, rate limiting, breakers and in-flight requests.

mod common;

use common::{TestGateway, Upstream, config, get, resolver};

#[tokio::test]
async fn exposes_request_counts_latency_and_traffic_state() {
    let pricing = Upstream::start("pricing").await;
    let gateway = TestGateway::start(
        config(&[("/api/prices", "pricing")]),
        resolver(&[("pricing", &[&pricing])]),
    )
    .await;
    for _ in 0..3 {
        get(&gateway.url("/api/prices/A")).await;
    }
    get(&gateway.url("/nowhere")).await;

    let answer = get(&gateway.url("/metrics")).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    for family in [
        "sluice_gateway_requests_total counter",
        "sluice_gateway_request_duration_seconds histogram",
        "sluice_gateway_rate_limited_total counter",
        "sluice_gateway_in_flight gauge",
        "sluice_gateway_shed_total counter",
        "sluice_gateway_breaker_state gauge",
        "sluice_gateway_retries_total counter",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}")),
            "no {family} in\n{text}"
        );
    }
    let value = |line: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(line)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {line} in\n{text}"))
            .to_owned()
    };
    assert_eq!(
        value(r#"sluice_gateway_requests_total{route="/api/prices",status="200"}"#),
        "3"
    );
    assert_eq!(
        value(r#"sluice_gateway_requests_total{route="none",status="404"}"#),
        "1"
    );
    assert_eq!(
        value(r#"sluice_gateway_request_duration_seconds_count{route="/api/prices"}"#),
        "3"
    );
    assert_eq!(
        value(r#"sluice_gateway_request_duration_seconds_bucket{route="/api/prices",le="+Inf"}"#),
        "3"
    );
    let instance = format!(
        r#"sluice_gateway_breaker_state{{service="pricing",instance="{}"}}"#,
        pricing.addr
    );
    assert_eq!(value(&instance), "0");
    assert_eq!(value(r#"sluice_gateway_in_flight{service="pricing"}"#), "0");
    assert!(
        !text.contains("sluice_gateway_rate_limit_redis_degraded"),
        "no Redis configured"
    );
}

//! Requests that reach a service: routing, load balancing, header handling,
//! request ids, keep-alive, and the gateway's own `/health`.

mod common;

use bytes::Bytes;
use common::{TestGateway, Upstream, config, get, resolver, send};
use http::Request;
use http_body_util::Full;

const ROUTES: &[(&str, &str)] = &[
    ("/api/accounts", "account"),
    ("/api/products", "catalog"),
    ("/api/prices", "pricing"),
    ("/api/promotions", "pricing"),
];

#[tokio::test]
async fn routes_by_prefix_keeping_method_path_query_and_body() {
    let account = Upstream::start("account").await;
    let catalog = Upstream::start("catalog").await;
    let pricing = Upstream::start("pricing").await;
    let resolver = resolver(&[
        ("account", &[&account]),
        ("catalog", &[&catalog]),
        ("pricing", &[&pricing]),
    ]);
    let gateway = TestGateway::start(config(ROUTES), resolver).await;

    let answer = get(&gateway.url("/api/accounts/me?verbose=1&q=a%20b")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-upstream"), Some("account"));
    assert_eq!(answer.json()["uri"], "/api/accounts/me?verbose=1&q=a%20b");
    let seen = account.only_request();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.uri, "/api/accounts/me?verbose=1&q=a%20b");

    let request = Request::post(gateway.url("/api/products"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"sku":"A-1"}"#)))
        .unwrap();
    let answer = send(request).await;
    assert_eq!(answer.header("x-upstream"), Some("catalog"));
    let seen = catalog.only_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, "/api/products");
    assert_eq!(&seen.body[..], br#"{"sku":"A-1"}"#);
    assert_eq!(seen.headers["content-type"], "application/json");

    get(&gateway.url("/api/promotions")).await;
    get(&gateway.url("/api/prices/A-1?qty=2")).await;
    let uris: Vec<_> = pricing.seen().into_iter().map(|seen| seen.uri).collect();
    assert_eq!(uris, ["/api/promotions", "/api/prices/A-1?qty=2"]);
    assert_eq!(account.seen().len(), 1);
    assert_eq!(catalog.seen().len(), 1);
}

#[tokio::test]
async fn balances_round_robin_across_instances() {
    let first = Upstream::start("first").await;
    let second = Upstream::start("second").await;
    let resolver = resolver(&[("pricing", &[&first, &second])]);
    let gateway = TestGateway::start(config(ROUTES), resolver).await;

    let mut order = Vec::new();
    for _ in 0..6 {
        let answer = get(&gateway.url("/api/prices/A-1")).await;
        order.push(answer.header("x-upstream").unwrap().to_owned());
    }
    assert_eq!(
        order,
        ["first", "second", "first", "second", "first", "second"]
    );
    assert_eq!(first.seen().len(), 3);
    assert_eq!(second.seen().len(), 3);
}

#[tokio::test]
async fn echoes_or_generates_request_ids_and_passes_them_upstream() {
    let account = Upstream::start("account").await;
    let gateway = TestGateway::start(config(ROUTES), resolver(&[("account", &[&account])])).await;

    let echoed = send(
        Request::get(gateway.url("/api/accounts/me"))
            .header("x-request-id", "client-id-42")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(echoed.request_id(), "client-id-42");

    let generated = get(&gateway.url("/api/accounts/me")).await;
    let id = generated.request_id().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);

    let too_long = "x".repeat(129);
    let replaced = send(
        Request::get(gateway.url("/api/accounts/me"))
            .header("x-request-id", &too_long)
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert!(uuid::Uuid::parse_str(replaced.request_id()).is_ok());

    let upstream_ids: Vec<_> = account
        .seen()
        .iter()
        .map(|seen| seen.headers["x-request-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        upstream_ids,
        ["client-id-42", id.as_str(), replaced.request_id()]
    );
}

#[tokio::test]
async fn replaces_forwarded_for_and_strips_reserved_and_hop_by_hop_headers() {
    let account = Upstream::start("account").await;
    let gateway = TestGateway::start(config(ROUTES), resolver(&[("account", &[&account])])).await;

    let answer = send(
        Request::get(gateway.url("/api/accounts/me"))
            .header("x-forwarded-for", "203.0.113.9, 10.0.0.1")
            .header("x-sluice-user", "admin")
            .header("X-Sluice-Role", "admin")
            .header("x-sluicey", "not reserved")
            .header("connection", "x-client-hop")
            .header("x-client-hop", "1")
            .header("proxy-authorization", "Basic Zm9vOmJhcg==")
            .header("authorization", "Bearer token")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200);

    let seen = account.only_request();
    let forwarded: Vec<_> = seen.headers.get_all("x-forwarded-for").iter().collect();
    assert_eq!(forwarded, ["127.0.0.1"]);
    assert!(!seen.headers.contains_key("x-sluice-user"));
    assert!(!seen.headers.contains_key("x-sluice-role"));
    assert_eq!(seen.headers["x-sluicey"], "not reserved");
    assert!(!seen.headers.contains_key("x-client-hop"));
    assert!(!seen.headers.contains_key("proxy-authorization"));
    assert_eq!(seen.headers["authorization"], "Bearer token");
    assert_eq!(seen.headers["host"], account.addr.to_string().as_str());
    assert_eq!(
        seen.headers["x-forwarded-host"],
        gateway.addr.to_string().as_str()
    );

    // The upstream's own hop-by-hop headers stay on its side too.
    assert_eq!(answer.header("x-upstream"), Some("account"));
    assert_eq!(answer.header("x-hop"), None);
    assert_eq!(answer.header("keep-alive"), None);
}

#[tokio::test]
async fn reuses_upstream_connections() {
    let account = Upstream::start("account").await;
    let gateway = TestGateway::start(config(ROUTES), resolver(&[("account", &[&account])])).await;
    for _ in 0..5 {
        assert_eq!(get(&gateway.url("/api/accounts/me")).await.status, 200);
    }
    assert_eq!(account.seen().len(), 5);
    assert_eq!(account.connections(), 1);
}

#[tokio::test]
async fn answers_health_itself() {
    let gateway = TestGateway::start(config(&[("/", "everything")]), resolver(&[])).await;
    let answer = get(&gateway.url("/health")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        answer.json(),
        serde_json::json!({"status": "ok", "service": "gateway"})
    );
    assert!(!answer.request_id().is_empty());
}

//! Authentication at the edge: 401/403 before any upstream is touched, the
//! verified identity passed upstream, forged identity headers ignored.

mod common;

use common::{TestGateway, Upstream, config, get, get_with, resolver, send};
use http::Request;
use http_body_util::Full;
use sluice_gateway::{GatewayConfig, Methods, Route, StaticResolver};

fn routes() -> Vec<Route> {
    vec![
        Route::new("/api/orders", "order").protected(Methods::All),
        Route::new("/api/products", "catalog").admin(Methods::writes()),
        Route::new("/api/accounts", "account"),
    ]
}

fn gateway_config() -> GatewayConfig {
    GatewayConfig {
        routes: routes(),
        ..config(&[])
    }
}

async fn upstreams() -> (Upstream, Upstream, Upstream, StaticResolver) {
    let order = Upstream::start("order").await;
    let catalog = Upstream::start("catalog").await;
    let account = Upstream::start("account").await;
    let resolver = resolver(&[
        ("order", &[&order]),
        ("catalog", &[&catalog]),
        ("account", &[&account]),
    ]);
    (order, catalog, account, resolver)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn protected_routes_refuse_missing_bad_and_expired_tokens_before_the_upstream() {
    let (order, _catalog, _account, resolver) = upstreams().await;
    let gateway = TestGateway::start_authenticated(gateway_config(), resolver).await;
    let url = gateway.url("/api/orders");

    get(&url).await.assert_error(401, "unauthorized");
    let basic = [("authorization", "Basic dXNlcjpwYXNz")];
    get_with(&url, &basic)
        .await
        .assert_error(401, "unauthorized");
    let garbage = bearer("garbage");
    get_with(&url, &[("authorization", &garbage)])
        .await
        .assert_error(401, "invalid_token");
    let expired = bearer("expired");
    get_with(&url, &[("authorization", &expired)])
        .await
        .assert_error(401, "token_expired");
    let post = send(
        Request::post(&url)
            .body(Full::new(bytes::Bytes::from_static(b"{}")))
            .unwrap(),
    )
    .await;
    post.assert_error(401, "unauthorized");
    assert!(
        order.seen().is_empty(),
        "no refused request reached the order service"
    );

    let valid = bearer("customer:u-1:acme");
    let answer = get_with(&url, &[("authorization", &valid)]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(order.seen().len(), 1);
}

#[tokio::test]
async fn admin_methods_need_the_admin_role_and_reads_stay_public() {
    let (_order, catalog, _account, resolver) = upstreams().await;
    let gateway = TestGateway::start_authenticated(gateway_config(), resolver).await;
    let url = gateway.url("/api/products/A-1");
    let write = |method: &str, token: Option<&str>| {
        let mut request = Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            request = request.header("authorization", bearer(token));
        }
        send(request.body(Full::default()).unwrap())
    };

    assert_eq!(get(&url).await.status, 200, "GET needs no token");
    write("PUT", None).await.assert_error(401, "unauthorized");
    write("POST", Some("customer:u-1:acme"))
        .await
        .assert_error(403, "forbidden");
    write("DELETE", Some("customer:u-1:acme"))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(catalog.seen().len(), 1, "only the GET got through so far");

    assert_eq!(write("PUT", Some("admin:root:acme")).await.status, 200);
    let seen = catalog.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "PUT");
    assert_eq!(seen[1].headers["x-sluice-role"], "admin");
}

#[tokio::test]
async fn the_verified_identity_goes_upstream_and_forged_headers_do_not() {
    let (order, _catalog, account, resolver) = upstreams().await;
    let gateway = TestGateway::start_authenticated(gateway_config(), resolver).await;
    let forged = [
        ("x-sluice-subject", "root"),
        ("X-Sluice-Role", "admin"),
        ("x-sluice-tenant", "other"),
    ];

    let token = bearer("customer:u-7:acme");
    let mut headers = forged.to_vec();
    headers.push(("authorization", &token));
    assert_eq!(
        get_with(&gateway.url("/api/orders/1"), &headers)
            .await
            .status,
        200
    );
    let seen = order.only_request();
    assert_eq!(seen.headers["x-sluice-subject"], "u-7");
    assert_eq!(seen.headers["x-sluice-role"], "customer");
    assert_eq!(seen.headers["x-sluice-tenant"], "acme");
    assert_eq!(seen.headers.get_all("x-sluice-role").iter().count(), 1);
    assert_eq!(
        seen.headers["authorization"],
        token.as_str(),
        "kept for the service"
    );

    // Anonymous on a public route: forged headers are dropped, none added.
    assert_eq!(
        get_with(&gateway.url("/api/accounts/me"), &forged)
            .await
            .status,
        200
    );
    let seen = account.only_request();
    assert!(
        seen.headers
            .keys()
            .all(|name| !name.as_str().starts_with("x-sluice-"))
    );

    // A bad token on a public route: anonymous, left for the service.
    let bad = bearer("garbage");
    let mut headers = forged.to_vec();
    headers.push(("authorization", &bad));
    assert_eq!(
        get_with(&gateway.url("/api/accounts/me"), &headers)
            .await
            .status,
        200
    );
    let seen = account.seen().pop().unwrap();
    assert!(!seen.headers.contains_key("x-sluice-subject"));
    assert_eq!(seen.headers["authorization"], bad.as_str());
}

#[tokio::test]
async fn without_an_authenticator_protected_routes_fail_closed() {
    let (order, _catalog, _account, resolver) = upstreams().await;
    let gateway = TestGateway::start(gateway_config(), resolver).await;
    let token = bearer("admin:root:acme");
    get_with(&gateway.url("/api/orders"), &[("authorization", &token)])
        .await
        .assert_error(401, "invalid_token");
    assert!(order.seen().is_empty());
}

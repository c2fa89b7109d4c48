//! `GET /openapi.yaml`: the gateway serves the platform's contract, the
//! repository's openapi.yaml byte for byte, before any route is looked at.

mod common;

use common::{TestGateway, config, get, resolver};

#[tokio::test]
async fn serves_the_contract_it_was_built_with() {
    let gateway = TestGateway::start(config(&[]), resolver(&[])).await;
    let answer = get(&gateway.url("/openapi.yaml")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/yaml; charset=utf-8")
    );
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    assert_eq!(
        answer.body.as_ref(),
        file.as_slice(),
        "the repository's file"
    );
    assert!(answer.body.starts_with(b"openapi: 3."));
    assert!(
        String::from_utf8_lossy(&answer.body).contains("/api/orders/{id}/cancel:"),
        "the current contract"
    );
}

/// The gateway's own pages are read-only: another method is a 405 that
/// says which methods they take, not a 404.
#[tokio::test]
async fn its_own_pages_answer_other_methods_with_405_and_allow() {
    let gateway = TestGateway::start(config(&[]), resolver(&[])).await;
    for path in ["/openapi.yaml", "/health", "/metrics", "/console", "/docs"] {
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            let request = http::Request::builder()
                .method(method)
                .uri(gateway.url(path))
                .body(http_body_util::Full::default())
                .unwrap();
            let answer = common::send(request).await;
            assert_eq!(answer.status, 405, "{method} {path}");
            assert_eq!(answer.header("allow"), Some("GET, HEAD"), "{method} {path}");
            assert_eq!(answer.json()["error"], "method_not_allowed");
        }
    }
}

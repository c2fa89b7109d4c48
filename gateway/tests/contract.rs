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

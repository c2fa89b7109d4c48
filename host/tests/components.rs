//! Components through the host, without the gateway: the built components
//! instantiated by the real engine and linker, served by the front door.

use sluice::capabilities::ServiceCapabilities;
use sluice::engine::{CompileCache, new_engine};
use sluice::service::{Service, Version};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serves `bytes` with bare capabilities on a free port; returns its base URL
/// and a sender that stops it.
async fn serve(bytes: &[u8]) -> (String, tokio::sync::oneshot::Sender<()>) {
    let engine = new_engine(100).unwrap();
    let linker = sluice::linker::new_linker(&engine).unwrap();
    let cache = CompileCache::new(&engine, None).unwrap();
    let version = Version::prepare(&linker, &cache, bytes, 1).unwrap();
    let caps = ServiceCapabilities::bare("test").unwrap();
    let service = Arc::new(Service::new(&engine, caps, version));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sluice::frontdoor::serve(
        service,
        listener,
        &Default::default(),
        async {
            let _ = stopped.await;
        },
    ));
    (url, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_fails_one_request_and_the_host_keeps_serving() {
    let (url, _stop) = serve(sluice::components::HELLO).await;
    let client = reqwest::Client::new();
    let ok = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "hello\n");

    // The health check is the host's, whatever the component does.
    let health = client.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "service": "test"})
    );

    let trapped = client
        .get(format!("{url}/trap"))
        .header("x-request-id", "r-1")
        .send()
        .await
        .unwrap();
    assert_eq!(trapped.status(), 500);
    assert_eq!(trapped.headers()["x-request-id"], "r-1");
    let body: serde_json::Value = trapped.json().await.unwrap();
    assert_eq!(body["error"], "internal");

    // Many requests at once after the trap: every one is answered.
    let replies =
        futures::future::join_all((0..50).map(|_| client.get(format!("{url}/")).send())).await;
    for reply in replies {
        assert_eq!(reply.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn a_component_without_an_http_handler_is_rejected_with_a_reason() {
    let engine = new_engine(10).unwrap();
    let linker = sluice::linker::new_linker(&engine).unwrap();
    let cache = CompileCache::new(&engine, None).unwrap();
    let Err(e) = Version::prepare(&linker, &cache, sluice::components::RULE_ROUND99, 1) else {
        panic!("a pricing rule is not an HTTP service");
    };
    assert!(format!("{e:#}").contains("wasi:http handler"), "{e:#}");
    let Err(e) = Version::prepare(&linker, &cache, b"not wasm at all", 1) else {
        panic!("garbage is not a component");
    };
    assert!(format!("{e:#}").contains("compiling"), "{e:#}");
}

#[tokio::test]
async fn compiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let engine = new_engine(10).unwrap();
    let cache = CompileCache::new(&engine, Some(dir.path())).unwrap();
    cache.load(&engine, sluice::components::HELLO).unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "one compiled artifact");
    let name = files[0]
        .as_ref()
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    assert!(
        name.starts_with(&sluice::engine::digest(sluice::components::HELLO)),
        "{name}"
    );
    // Loading again uses the artifact (and still works).
    cache.load(&engine, sluice::components::HELLO).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p2_and_p3_components_are_both_served() {
    let client = reqwest::Client::new();
    let (p3, _stop3) = serve(sluice::components::HELLO).await;
    let (p2, _stop2) = serve(sluice::components::HELLO_P2).await;
    let body = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(body(format!("{p3}/")).await, "hello\n");
    assert_eq!(body(format!("{p2}/")).await, "hello from p2\n");
}

//! Components through the host, without the gateway: the built components
//! instantiated by the real engine and linker, served by the front door.

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
    let caps = sluice::run::standalone("test").unwrap();
    let service = Arc::new(Service::new(&engine, caps, version));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sluice::frontdoor::serve(
        service,
        listener,
        Default::default(),
        async {
            let _ = stopped.await;
        },
    ));
    (url, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_fails_one_request_and_the_host_keeps_serving() {
    let (url, _stop) = serve(sluice::builtin::HELLO).await;
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
    let Err(e) = Version::prepare(&linker, &cache, sluice::builtin::RULE_ROUND99, 1) else {
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
    cache.load(&engine, sluice::builtin::HELLO).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        2,
        "one compiled artifact and its digest: {names:?}"
    );
    let digest = sluice::engine::digest(sluice::builtin::HELLO);
    assert!(
        names[0].starts_with(&digest) && names[0].ends_with(".cwasm"),
        "{names:?}"
    );
    assert_eq!(names[1], format!("{}.sha256", names[0]));
    // Loading again uses the artifact (and still works).
    cache.load(&engine, sluice::builtin::HELLO).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// The wasi:http export a compiled component has (p3 `handler` or p2
/// `incoming-handler`).
fn http_export(engine: &wasmtime::Engine, component: &wasmtime::component::Component) -> String {
    component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .find(|name| name.starts_with("wasi:http/"))
        .unwrap()
}

#[tokio::test]
async fn a_swapped_or_corrupted_artifact_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let engine = new_engine(10).unwrap();
    let cache = CompileCache::new(&engine, Some(dir.path())).unwrap();
    let hello = cache.load(&engine, sluice::builtin::HELLO).unwrap();
    let p2 = cache.load(&engine, sluice::builtin::HELLO_P2).unwrap();
    assert_ne!(http_export(&engine, &hello), http_export(&engine, &p2));
    let artifact = |bytes: &[u8]| {
        let digest = sluice::engine::digest(bytes);
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|f| f.unwrap().path())
            .find(|p| {
                p.extension().is_some_and(|e| e == "cwasm")
                    && p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(&digest)
            })
            .unwrap()
    };
    // Someone puts p2's native code where hello's was: loading hello
    // recompiles hello instead of running p2's code.
    std::fs::copy(
        artifact(sluice::builtin::HELLO_P2),
        artifact(sluice::builtin::HELLO),
    )
    .unwrap();
    let loaded = cache.load(&engine, sluice::builtin::HELLO).unwrap();
    assert_eq!(http_export(&engine, &loaded), http_export(&engine, &hello));
    // A torn artifact is recompiled too, and the cache repaired.
    let path = artifact(sluice::builtin::HELLO);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let loaded = cache.load(&engine, sluice::builtin::HELLO).unwrap();
    assert_eq!(http_export(&engine, &loaded), http_export(&engine, &hello));
    let check = std::fs::read_to_string(path.with_extension("cwasm.sha256")).unwrap();
    let rewritten = std::fs::read(&path).unwrap();
    assert_eq!(sluice::engine::digest(&rewritten), check, "rewritten whole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p2_and_p3_components_are_both_served() {
    let client = reqwest::Client::new();
    let (p3, _stop3) = serve(sluice::builtin::HELLO).await;
    let (p2, _stop2) = serve(sluice::builtin::HELLO_P2).await;
    let body = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(body(format!("{p3}/")).await, "hello\n");
    assert_eq!(body(format!("{p2}/")).await, "hello from p2\n");
}

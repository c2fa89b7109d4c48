//! Instances in the gateway's own process: an attempt to a local upstream's
//! address is handed over in memory (nothing listens there) with the same
//! request head a remote instance gets, and fails and times out the same
//! way.

mod common;

use bytes::Bytes;
use common::{config, dead_addr, get, send};
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use sluice_gateway::{
    BoxError, Gateway, GatewayBody, LocalResponse, LocalUpstream, StaticResolver,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Each request a [`Recorder`] got: method, target, headers, body.
type Seen = Arc<Mutex<Vec<(String, String, HeaderMap, Bytes)>>>;

/// What the local upstream does with a request.
#[derive(Clone, Copy)]
enum Behaviour {
    Answer,
    Fail,
    Stall,
}

/// A local upstream that records each request (head and body) and answers
/// as told.
struct Recorder {
    behaviour: Behaviour,
    seen: Seen,
}

impl LocalUpstream for Recorder {
    fn call(&self, request: Request<GatewayBody>) -> LocalResponse {
        let (behaviour, seen) = (self.behaviour, self.seen.clone());
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            seen.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.to_string(),
                parts.headers,
                body,
            ));
            match behaviour {
                Behaviour::Answer => {}
                Behaviour::Fail => return Err(BoxError::from("the instance trapped")),
                Behaviour::Stall => tokio::time::sleep(Duration::from_secs(30)).await,
            }
            let response = Response::builder()
                .status(201)
                .header("content-type", "application/json")
                .header("x-upstream", "local")
                .header("keep-alive", "timeout=5")
                .body(
                    Full::new(Bytes::from_static(b"{\"ok\":true}"))
                        .map_err(|never| match never {})
                        .boxed_unsync(),
                )
                .unwrap();
            Ok(response)
        })
    }
}

/// A gateway routing `/api/products` to `addr`, handed to a [`Recorder`]
/// behaving as `behaviour`; its URL and what the recorder saw.
async fn start(
    behaviour: Behaviour,
    timeout_ms: u64,
) -> (
    String,
    SocketAddr,
    Arc<Mutex<Vec<(String, String, HeaderMap, Bytes)>>>,
) {
    // Nothing listens here: an attempt over TCP would be 502.
    let addr = dead_addr().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        behaviour,
        seen: seen.clone(),
    };
    let mut config = config(&[("/api/products", "catalog")]);
    config.upstream_timeout = Duration::from_millis(timeout_ms);
    let resolver = StaticResolver::new().with("catalog", vec![addr]);
    let gateway = Gateway::builder(config, Arc::new(resolver))
        .local_upstream(addr, Arc::new(recorder))
        .bind()
        .await
        .unwrap();
    let url = format!("http://{}", gateway.local_addr());
    tokio::spawn(gateway.run(std::future::pending()));
    (url, addr, seen)
}

#[tokio::test]
async fn a_local_instance_gets_the_request_a_remote_one_would_in_memory() {
    let (url, addr, seen) = start(Behaviour::Answer, 2000).await;
    let request = Request::post(format!("{url}/api/products?dry=1"))
        .header("content-type", "application/json")
        .header("x-request-id", "req-7")
        .body(Full::new(Bytes::from_static(br#"{"sku":"A-1"}"#)))
        .unwrap();
    let answer = send(request).await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.headers["x-upstream"], "local");
    assert!(
        !answer.headers.contains_key("keep-alive"),
        "hop-by-hop headers are dropped"
    );
    assert_eq!(answer.headers["x-request-id"], "req-7");
    let seen = seen.lock().unwrap();
    let (method, uri, headers, body) = &seen[0];
    assert_eq!(
        (method.as_str(), uri.as_str()),
        ("POST", "/api/products?dry=1")
    );
    assert_eq!(&body[..], br#"{"sku":"A-1"}"#);
    assert_eq!(headers["host"], addr.to_string().as_str());
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(headers["x-request-id"], "req-7");
    assert_eq!(headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_failing_local_instance_is_502_and_a_stalled_one_504() {
    let (url, _, seen) = start(Behaviour::Fail, 2000).await;
    let answer = get(&format!("{url}/api/products/A-1")).await;
    assert_eq!(answer.status, 502, "{:?}", answer.body);
    assert_eq!(answer.json()["error"], "bad_gateway");
    assert!(!seen.lock().unwrap().is_empty());

    let (url, _, _) = start(Behaviour::Stall, 200).await;
    let started = std::time::Instant::now();
    let answer = get(&format!("{url}/api/products/A-1")).await;
    assert_eq!(answer.status, 504);
    assert!(started.elapsed() < Duration::from_secs(10));
}

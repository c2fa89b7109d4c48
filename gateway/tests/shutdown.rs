//! Graceful shutdown: stop accepting, finish what is in flight, then return.

mod common;

use common::{TestGateway, Upstream, config, get, resolver};
use std::time::Duration;
use tokio::net::TcpStream;

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_starts() {
    let slow = Upstream::start_with_delay("account", Duration::from_millis(800)).await;
    let mut gateway = TestGateway::start(
        config(&[("/api/accounts", "account")]),
        resolver(&[("account", &[&slow])]),
    )
    .await;

    let url = gateway.url("/api/accounts/me");
    let in_flight = tokio::spawn(async move { get(&url).await });
    while slow.seen().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    gateway.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !gateway.task.is_finished(),
        "the gateway returned with a request in flight"
    );
    assert!(
        TcpStream::connect(gateway.addr).await.is_err(),
        "the gateway still accepts connections after shutdown"
    );

    let answer = in_flight.await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-upstream"), Some("account"));
    assert!(!answer.request_id().is_empty());

    tokio::time::timeout(Duration::from_secs(5), &mut gateway.task)
        .await
        .expect("the gateway returns once drained")
        .unwrap()
        .unwrap();
}

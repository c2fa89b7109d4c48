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

#[tokio::test]
async fn a_second_gateway_on_a_port_in_use_fails_to_bind() {
    let upstream = Upstream::start("account").await;
    let resolver_for = || resolver(&[("account", &[&upstream])]);
    let first = TestGateway::start(config(&[("/api/accounts", "account")]), resolver_for()).await;

    // Every serving thread shares the first gateway's one socket; nobody
    // else may bind beside it and take half of its connections.
    let mut taken = config(&[("/api/accounts", "account")]);
    taken.listen = first.addr;
    let error =
        match sluice_gateway::Gateway::bind(taken, std::sync::Arc::new(resolver_for())).await {
            Ok(_) => panic!(
                "a second gateway bound {}, which the first serves",
                first.addr
            ),
            Err(error) => format!("{error:#}"),
        };
    assert!(
        error.contains(&format!("binding the gateway to {}", first.addr)),
        "{error}"
    );
    assert_eq!(get(&first.url("/api/accounts/me")).await.status, 200);
}

#[tokio::test]
async fn a_gateway_whose_task_is_dropped_stops_serving() {
    let upstream = Upstream::start("account").await;
    let gateway = TestGateway::start(
        config(&[("/api/accounts", "account")]),
        resolver(&[("account", &[&upstream])]),
    )
    .await;
    assert_eq!(get(&gateway.url("/api/accounts/me")).await.status, 200);

    // The serving threads outlive no owner: aborting the task that runs
    // the gateway closes its port.
    gateway.task.abort();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(gateway.addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway still accepts connections 5 s after its task was dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

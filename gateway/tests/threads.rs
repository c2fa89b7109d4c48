//! The gateway's serving threads share its connections evenly, whichever
//! thread the kernel wakes to accept them.

mod common;

use common::{TestGateway, config, get, resolver};
use sluice_gateway::GatewayConfig;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a keep-alive connection and has one request answered on it, so
/// the gateway has placed it on a thread.
async fn open_connection(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: gateway\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")?
                .trim()
                .parse()
                .ok()
        })
        .expect("a content-length");
    stream.read_exact(&mut vec![0; length]).await.unwrap();
    stream
}

/// Each thread's open connections, from one `/metrics` (whose own
/// connection counts too).
async fn per_thread(gateway: &TestGateway, threads: usize) -> Vec<f64> {
    let answer = get(&gateway.url("/metrics")).await;
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    (0..threads)
        .map(|thread| {
            let line = format!(r#"sluice_gateway_connections{{thread="{thread}"}} "#);
            text.lines()
                .find_map(|l| l.strip_prefix(&line)?.parse().ok())
                .unwrap_or_else(|| panic!("no count for thread {thread} in\n{text}"))
        })
        .collect()
}

#[tokio::test]
async fn connections_are_spread_evenly_over_the_serving_threads() {
    let threads = 4;
    let gateway = TestGateway::start(
        GatewayConfig {
            threads,
            ..config(&[])
        },
        resolver(&[]),
    )
    .await;
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(open_connection(gateway.addr).await);
    }
    // The 16, and the connection that asks for the metrics.
    let mut counts = per_thread(&gateway, threads).await;
    counts.sort_by(f64::total_cmp);
    assert_eq!(counts, [4.0, 4.0, 4.0, 5.0]);

    drop(open);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let counts = per_thread(&gateway, threads).await;
        if counts.iter().sum::<f64>() <= 1.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "closed connections still counted: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

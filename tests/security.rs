//! What an attacker or a bad day tries, each answered (issue 14's suite;
//! more lines join it as they are fixed). Here: slow clients against the
//! node's own servers (service ports and the admin API).

mod support;

use std::time::{Duration, Instant};
use support::{Options, Platform};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_READ_TIMEOUT_MS: u64 = 400;

/// A platform whose servers take `header_ms` for a request head and two
/// connections per listener (one front-door thread).
fn platform(header_ms: u64) -> Platform {
    Platform::start(Options {
        config: format!(
            "front_door_threads = 1\n[server]\nheader_read_timeout_ms = {header_ms}\nmax_connections = 2\n"
        ),
        ..Options::default()
    })
}

fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Sends half a request head and returns how long until the server hangs
/// up (or `None` if it still holds the connection after 10 s).
async fn half_a_head(addr: &str) -> Option<Duration> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            // A 408 before closing is fine too; keep reading to the close.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_request_head_is_cut_off_on_service_and_admin_ports() {
    let p = platform(HEADER_READ_TIMEOUT_MS);
    for name in ["catalog", "admin"] {
        let closed = half_a_head(&addr(&p.services[name])).await;
        let closed = closed.unwrap_or_else(|| panic!("{name} held a half-sent head for 10 s"));
        assert!(
            closed >= Duration::from_millis(HEADER_READ_TIMEOUT_MS - 50),
            "{name} waited for the head: {closed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_until_one_closes() {
    // Heads may take long here: the held connections must outlive the check.
    let p = platform(10_000);
    let catalog = addr(&p.services["catalog"]);
    // Two connections hold the cap (each a request head in progress).
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(&catalog).await.unwrap();
        stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut third = TcpStream::connect(&catalog).await.unwrap();
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let early =
        tokio::time::timeout(Duration::from_millis(200), third.read_to_end(&mut answer)).await;
    assert!(
        early.is_err(),
        "served past the cap: {:?}",
        String::from_utf8_lossy(&answer)
    );
    drop(held.pop());
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut answer))
        .await
        .expect("served once a connection closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Three login attempts a minute per client, and who may say who the
/// client is.
fn login_platform(trusted: &str) -> Platform {
    Platform::start(Options {
        config: format!(
            "[server]\ntrusted_proxies = {trusted}\n\
             [services.account.rate_limits.login-client]\nlimit = 3\nperiod_ms = 60000\n"
        ),
        ..Options::default()
    })
}

/// Four wrong logins sent straight to the account port, each claiming
/// another client in `x-forwarded-for`: the statuses.
async fn spoofed_logins(p: &Platform) -> Vec<u16> {
    let url = format!("{}/api/accounts/login", p.services["account"]);
    let mut statuses = Vec::new();
    for n in 0..4 {
        let reply = p
            .client
            .post(&url)
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .json(&serde_json::json!({"email": "nobody@example.com", "password": "guess"}))
            .send()
            .await
            .unwrap();
        statuses.push(reply.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn a_client_cannot_choose_the_address_its_login_limit_is_keyed_by() {
    // Nobody is a trusted proxy: the account port keys clients by the TCP
    // peer, whatever x-forwarded-for says, so the fourth attempt is 429.
    let strict = login_platform("[]");
    assert_eq!(spoofed_logins(&strict).await, [401, 401, 401, 429]);
    // By default loopback (where `sluice up`'s gateway dials from) is
    // trusted, so there the forwarded address counts.
    let local = login_platform("[\"127.0.0.1\", \"::1\"]");
    assert_eq!(spoofed_logins(&local).await, [401, 401, 401, 401]);
}

#[test]
fn a_cluster_node_refuses_a_missing_or_short_secret() {
    use support::cluster::{Node, free_port, serve_args};
    let args = serve_args(&[("catalog", free_port())]);
    let short = [("SLUICE_JWT_SECRET".to_string(), "too-short".to_string())];
    let (code, stderr) = Node::refused(&args, "", &short);
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("is 9 bytes; it must be at least 32"),
        "{stderr}"
    );
}

//! A node owns its ports and its data dir: a second node started on the
//! same addresses (`sluice up`, `sluice serve`, `sluice gateway`) or the
//! same data dir exits at once with one line naming the address or dir and
//! what holds it, and the first keeps serving its own data.

mod support;

use std::time::{Duration, Instant};
use support::cluster::{Node, free_port};
use support::{Platform, unique};

/// Runs `args` expecting a refusal: asserts a non-zero exit soon, one line
/// without a backtrace, containing every one of `expected`.
fn assert_refused(refusal: (i32, String), started: Instant, expected: &[&str]) {
    let (code, stderr) = refusal;
    assert_ne!(code, 0, "{stderr}");
    // Generous for a loaded machine; the check runs before anything else.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let line = stderr.trim();
    assert_eq!(line.lines().count(), 1, "one line, no backtrace: {stderr}");
    for text in expected {
        assert!(line.contains(text), "{text:?} in {line:?}");
    }
}

fn up_args(ports: &[u16; 6]) -> Vec<String> {
    let mut args: Vec<String> = ["up", "--gateway-addr"].map(String::from).to_vec();
    args.push(format!("127.0.0.1:{}", ports[0]));
    args.push("--admin-addr".into());
    args.push(format!("127.0.0.1:{}", ports[1]));
    for (service, port) in ["account", "catalog", "order", "pricing"]
        .iter()
        .zip(&ports[2..])
    {
        args.push("--service-addr".into());
        args.push(format!("{service}=127.0.0.1:{port}"));
    }
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_up_on_the_same_ports_is_refused_and_the_first_keeps_serving() {
    let ports = [(); 6].map(|_| free_port());
    let first = Node::start(&up_args(&ports), "", &[]);
    let api = Platform::client(first.listening["gateway"].clone());
    let email = format!("first-{}@example.com", unique());
    let token = api.register_and_login(&email, "correct horse").await;

    let started = Instant::now();
    let refusal = Node::refused(&up_args(&ports), "", &[]);
    let pid = format!("pid {}", first.pid());
    // The first address it would take: the account service's.
    assert_refused(
        refusal,
        started,
        &[&format!("127.0.0.1:{}", ports[2]), "account", &pid],
    );

    // Every request reaches the first node, whose data has the account.
    for _ in 0..8 {
        let me = api.get("/api/accounts/me", Some(&token)).await;
        me.assert_status(200);
        assert_eq!(me.body["email"], email.as_str());
    }
    assert!(!api.login(&email, "correct horse").await.is_empty());
}

#[test]
fn a_second_serve_or_gateway_on_the_same_ports_is_refused() {
    let catalog = free_port();
    let serve: Vec<String> = vec![
        "serve".into(),
        "--services".into(),
        "catalog".into(),
        "--admin-addr".into(),
        "127.0.0.1:0".into(),
        "--service-addr".into(),
        format!("catalog=127.0.0.1:{catalog}"),
    ];
    let first = Node::start(&serve, "", &[]);
    let started = Instant::now();
    let holder = format!("pid {}", first.pid());
    let wanted = format!("127.0.0.1:{catalog}");
    assert_refused(
        Node::refused(&serve, "", &[]),
        started,
        &[&wanted, "catalog", &holder],
    );

    let gateway: Vec<String> = vec![
        "gateway".into(),
        "--gateway-addr".into(),
        format!("127.0.0.1:{}", free_port()),
    ];
    let first = Node::start(&gateway, "", &[]);
    let started = Instant::now();
    let holder = format!("pid {}", first.pid());
    assert_refused(
        Node::refused(&gateway, "", &[]),
        started,
        &[&gateway[2], "gateway", &holder],
    );
}

#[test]
fn two_nodes_on_one_data_dir_are_refused() {
    let gateway = |port: u16| -> Vec<String> {
        vec![
            "gateway".into(),
            "--gateway-addr".into(),
            format!("127.0.0.1:{port}"),
        ]
    };
    let first = Node::start(&gateway(free_port()), "", &[]);
    let started = Instant::now();
    let refusal = Node::refused_on_data_dir_of(&first, &gateway(free_port()));
    let holder = format!("in use by another node (pid {})", first.pid());
    assert_refused(refusal, started, &["data dir", &holder]);
}

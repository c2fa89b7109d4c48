//! A cluster of real `sluice` processes on loopback: nodes started with
//! `sluice serve --services …` and `sluice gateway`, each with a data dir
//! of its own, finding each other through static discovery (every address
//! is chosen before any node starts). Every process is stopped when its
//! [`Node`] is dropped (SIGTERM), or killed on purpose ([`Node::kill`]).

use super::{Platform, TEST_SECRET, spawn_until_ready, unsafe_sigterm};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A free loopback port below the kernel's ephemeral range, so that no
/// outbound connection or port-0 bind of another node can take it between
/// now and the node binding it (ports picked from the ephemeral range did
/// collide). Each call in a test binary tries the next port from a
/// per-process starting point.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let low = 10_000u32;
    let high = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768u32);
    let start = std::process::id().wrapping_mul(7_919) % (high - low);
    loop {
        let port = low + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % (high - low);
        let port = u16::try_from(port).expect("a port");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One running node.
pub struct Node {
    child: Option<Child>,
    /// What it listens on, by name (`gateway`, `admin`, each service).
    pub listening: BTreeMap<String, String>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// `sluice ARGS --config <config> --data-dir <fresh>`, ready.
    pub fn start(args: &[String], config: &str, env: &[(String, String)]) -> Node {
        let (command, dir) = command(args, config, env);
        let (child, listening) = spawn_until_ready(command);
        Node {
            child: Some(child),
            listening,
            _dir: dir,
        }
    }

    /// Runs a node that must refuse to start: its exit status and stderr.
    pub fn refused(args: &[String], config: &str, env: &[(String, String)]) -> (i32, String) {
        let (command, _dir) = command(args, config, env);
        exit_and_stderr(command)
    }

    /// As [`refused`](Self::refused), with the data dir of `other`.
    pub fn refused_on_data_dir_of(other: &Node, args: &[String]) -> (i32, String) {
        exit_and_stderr(sluice(args, other._dir.path()))
    }

    /// The node's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGTERM, then waits for the node to exit: it drains first.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe_sigterm(child.id());
            let _ = child.wait();
        }
    }

    /// SIGKILL: the node dies at once, mid-request.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe_sigterm(child.id());
            let _ = child.wait();
        }
    }
}

fn command(
    args: &[String],
    config: &str,
    env: &[(String, String)],
) -> (Command, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("node.toml");
    std::fs::write(&config_path, config).unwrap();
    let mut command = sluice(args, dir.path());
    command
        .arg("--config")
        .arg(&config_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        command.env(k, v);
    }
    (command, dir)
}

/// `sluice ARGS --data-dir <dir>` with the tests' JWT secret, logging warnings.
fn sluice(args: &[String], dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("SLUICE_JWT_SECRET", TEST_SECRET)
        .env("SLUICE_LOG", "warn");
    command
}

/// Runs `command` to its end (a minute at most): exit code and stderr.
fn exit_and_stderr(mut command: Command) -> (i32, String) {
    // As an operator runs it: backtraces only on demand.
    command
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let output = wait_with_deadline(command.spawn().unwrap(), Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr)
}

/// Waits for `child` to exit, killing it after `deadline`.
fn wait_with_deadline(mut child: Child, deadline: Duration) -> std::process::Output {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// `sluice serve --services <services>` on the given ports, admin API on a
/// free port.
pub fn serve_args(services: &[(&str, u16)]) -> Vec<String> {
    let names: Vec<&str> = services.iter().map(|(s, _)| *s).collect();
    let mut args = vec![
        "serve".to_string(),
        "--services".into(),
        names.join(","),
        "--admin-addr".into(),
        "127.0.0.1:0".into(),
    ];
    for (service, port) in services {
        args.push("--service-addr".into());
        args.push(format!("{service}=127.0.0.1:{port}"));
    }
    args
}

/// `sluice gateway` on a free port.
pub fn gateway_args() -> Vec<String> {
    ["gateway", "--gateway-addr", "127.0.0.1:0"]
        .map(String::from)
        .to_vec()
}

/// The static discovery table of a cluster: service -> ports on loopback.
pub fn static_discovery(services: &BTreeMap<&str, Vec<u16>>) -> String {
    let mut toml = String::from("[discovery]\nbackend = \"static\"\n[discovery.services]\n");
    for (service, ports) in services {
        let addrs: Vec<String> = ports.iter().map(|p| format!("\"127.0.0.1:{p}\"")).collect();
        toml.push_str(&format!("{service} = [{}]\n", addrs.join(", ")));
    }
    toml
}

/// A client of a cluster's gateway, with the helpers of [`Platform`].
pub fn client_of(gateway: &Node) -> Platform {
    Platform::client(gateway.listening["gateway"].clone())
}

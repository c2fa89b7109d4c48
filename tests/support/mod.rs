//! Shared by the end-to-end tests: start the real `sluice` binary on free
//! ports with a fresh data dir, wait until it is ready, and talk to it.

#![allow(dead_code)]

pub mod cluster;
pub mod db;
pub mod shop;

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `sluice up`. Stopped with SIGTERM when dropped.
pub struct Platform {
    child: Option<Child>,
    /// e.g. "http://127.0.0.1:40123"
    pub gateway: String,
    /// Service name -> base URL of its own port.
    pub services: BTreeMap<String, String>,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    pub client: reqwest::Client,
}

/// How to start a platform.
#[derive(Default, Clone)]
pub struct Options {
    /// TOML configuration written to a file and passed with --config.
    pub config: String,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Reuse this data dir (to test restarts) instead of a fresh one.
    pub data_dir: Option<PathBuf>,
}

/// A JWT secret the tests know, so they can forge expired or tampered tokens.
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

impl Platform {
    pub fn start(options: Options) -> Platform {
        let (temp, data_dir) = match &options.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = tempfile::tempdir().unwrap();
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let config_path = data_dir.join("test-config.toml");
        std::fs::create_dir_all(&data_dir).unwrap();
        std::fs::write(&config_path, &options.config).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .arg("up")
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--gateway-addr", "127.0.0.1:0"])
            .args(["--admin-addr", "127.0.0.1:0"])
            .args(
                sluice::manifest::services()
                    .iter()
                    .flat_map(|s| ["--service-addr".to_string(), format!("{s}=127.0.0.1:0")]),
            )
            .env("SLUICE_JWT_SECRET", TEST_SECRET)
            .env("SLUICE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in &options.env {
            command.env(k, v);
        }
        let (child, mut services) = spawn_until_ready(command);
        let gateway = services.remove("gateway");
        Platform {
            child: Some(child),
            gateway: gateway.expect("the gateway address"),
            services,
            data_dir,
            _temp: temp,
            client: reqwest::Client::new(),
        }
    }

    /// A client of a gateway this value does not own (a cluster's).
    pub fn client(gateway: String) -> Platform {
        Platform {
            child: None,
            gateway,
            services: BTreeMap::new(),
            data_dir: PathBuf::new(),
            _temp: None,
            client: reqwest::Client::new(),
        }
    }

    /// Another client of the same gateway (for concurrent tasks).
    pub fn clone_client(&self) -> Platform {
        Platform::client(self.gateway.clone())
    }

    /// Stops the platform with SIGTERM and returns its exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        unsafe_sigterm(child.id());
        child.wait().unwrap()
    }

    /// Keeps the data dir alive past this platform (for a restart).
    pub fn keep_data_dir(&mut self) -> Option<tempfile::TempDir> {
        self._temp.take()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway)
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        Reply::from(
            self.client
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Reply::from(request.send().await.unwrap()).await
    }

    /// A request with an optional bearer token, JSON body and headers.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::from(request.send().await.unwrap()).await
    }

    /// PUTs raw bytes (a component) with a bearer token.
    pub async fn upload(&self, path: &str, token: &str, bytes: &[u8]) -> Reply {
        // A refused upload (403, 413) is answered before its body is read,
        // and the server then closes the connection: never pool it, or the
        // next request could be written into a closed socket.
        let request = self
            .client
            .put(self.url(path))
            .bearer_auth(token)
            .header("connection", "close")
            .body(bytes.to_vec());
        Reply::from(request.send().await.unwrap()).await
    }

    /// The text of a GET on the node's admin port (e.g. `/metrics`).
    pub async fn admin_get(&self, path: &str) -> String {
        let url = format!("{}{path}", self.services["admin"]);
        let response = self.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// Creates a product through the catalog API as an admin (a minted
    /// token), priced `price` EUR minor units with `stock` units.
    pub async fn create_product(&self, sku: &str, price: i64, stock: i64) {
        let product = serde_json::json!({
            "sku": sku, "name": "Made through the API", "description": "",
            "base_price": price, "currency": "EUR", "stock": stock,
        });
        let admin = token_for("ops", "admin", "default");
        let reply = self
            .send(
                reqwest::Method::POST,
                "/api/products",
                Some(&admin),
                Some(&product),
                &[],
            )
            .await;
        reply.assert_status(201);
    }

    /// Registers and logs in; returns the access token.
    pub async fn register_and_login(&self, email: &str, password: &str) -> String {
        let reply = self
            .post(
                "/api/accounts/register",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        self.login(email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .post(
                "/api/accounts/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["access_token"].as_str().unwrap().to_string()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe_sigterm(child.id());
            let _ = child.wait();
        }
    }
}

/// Starts `command` (a `sluice` node, stdout piped) and waits until it
/// prints `sluice: ready`: the child, and what it listens on by name
/// (`gateway`, `admin`, each service) as base URLs.
pub fn spawn_until_ready(mut command: Command) -> (Child, BTreeMap<String, String>) {
    let mut child = command.spawn().expect("starting sluice");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut listening = BTreeMap::new();
    loop {
        let line = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("sluice did not become ready: {:?}", child.wait());
            }
        };
        if line == "sluice: ready" {
            return (child, listening);
        }
        if let Some(rest) = line.strip_prefix("sluice: ")
            && let Some((name, url)) = rest.split_once(" listening on ")
        {
            listening.insert(name.to_string(), url.to_string());
        }
    }
}

pub fn unsafe_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // A body cut off mid-way (its node was killed) is no answer at
        // all: status 0, which no assertion of a real status accepts.
        let (status, text) = match response.text().await {
            Ok(text) => (status, text),
            Err(_) => (0, String::new()),
        };
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts the status, showing the whole reply if it differs.
    pub fn assert_status(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
    }

    /// Asserts an API error: this status, this machine code, a message, JSON.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["error"], code, "{self:?}");
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{self:?}"
        );
        assert!(
            self.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{self:?}"
        );
        assert!(self.headers.contains_key("x-request-id"), "{self:?}");
    }
}

/// The server's own timing of one phase of a reply, from `Server-Timing`.
pub fn timing(reply: &Reply, phase: &str) -> f64 {
    let header = reply.headers["server-timing"].to_str().unwrap();
    header
        .split(',')
        .find_map(|entry| {
            let (name, dur) = entry.trim().split_once(";dur=")?;
            (name == phase).then(|| dur.parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no {phase} in Server-Timing: {header}"))
}

/// A token the platform accepts (signed with [`TEST_SECRET`], valid for an
/// hour) for a customer or admin that need not exist as an account: for
/// tests that need many customers without registering each one.
pub fn token_for(subject: &str, role: &str, tenant: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "sub": subject, "role": role, "tenant": tenant,
        "iss": "sluice", "iat": now, "exp": now + 3600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap()
}

/// A unique suffix for names in one test run.
pub fn unique() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}{:x}", std::process::id(), nanos & 0xffff_ffff)
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}

//! The whole shop as a cluster of real processes: catalog and pricing on
//! two nodes each, account and order on a third, the gateway on a fourth,
//! sharing PostgreSQL, MariaDB and Redis. Nodes can be killed and started
//! again on the same ports (their state is all in the shared databases).
//!
//! Needs the local PostgreSQL, MariaDB and Redis.

use super::cluster::{Node, client_of, free_port, gateway_args, serve_args, static_discovery};
use super::db::TestDb;
use super::{Platform, Reply, token_for, unique};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;

/// How the cluster's nodes find each other.
pub enum Found {
    /// A static table in every node's configuration.
    Static,
    /// Registered with a Consul agent (the HTTP API double), at this URL.
    Consul(String),
}

/// What to start.
pub struct Shop {
    pub found: Found,
    /// TOML for every node (e.g. `[housekeeping]`, service settings).
    pub common: String,
    /// TOML for the account+order node only (e.g. faults of its calls).
    pub order_extra: String,
    /// Catalog nodes (at least one).
    pub catalogs: usize,
}

impl Default for Shop {
    fn default() -> Self {
        Shop {
            found: Found::Static,
            common: String::new(),
            order_extra: String::new(),
            catalogs: 2,
        }
    }
}

/// A running cluster and the databases it shares.
pub struct Cluster {
    pub catalog: Vec<Node>,
    /// Two pricing nodes.
    pub pricing: Vec<Node>,
    /// Account and order.
    pub front: Node,
    pub gateway: Node,
    pub api: Platform,
    /// Every node's configuration, and the ports of each service.
    config: String,
    order_extra: String,
    pub ports: BTreeMap<&'static str, Vec<u16>>,
    _dbs: Vec<TestDb>,
}

impl Shop {
    pub async fn start(self) -> Cluster {
        let (catalog_db, account_db, shard0) = (
            TestDb::postgres().await,
            TestDb::postgres().await,
            TestDb::postgres().await,
        );
        let (pricing_db, shard1) = (TestDb::mysql().await, TestDb::mysql().await);
        let ports = |n: usize| (0..n).map(|_| free_port()).collect::<Vec<u16>>();
        let table = BTreeMap::from([
            ("catalog", ports(self.catalogs)),
            ("pricing", ports(2)),
            ("account", ports(1)),
            ("order", ports(1)),
        ]);
        let config = format!(
            r#"{discovery}
[cache]
kind = "redis"
url = "redis://127.0.0.1:6379"
prefix = "sluice-test-{prefix}:"
[gateway.rate_limit]
backend = "off"
[services.catalog]
database = "{catalog}"
[services.pricing]
database = "{pricing}"
[services.account]
database = "{account}"
[services.order]
shards = ["{shard0}", "{shard1}"]
{common}
"#,
            discovery = match &self.found {
                Found::Static => static_discovery(&table),
                Found::Consul(url) => format!(
                    "[discovery]\nbackend = \"consul\"\n[discovery.consul]\naddress = \"{url}\"\ncheck_interval = \"1s\"\n"
                ),
            },
            prefix = unique(),
            catalog = catalog_db.url,
            pricing = pricing_db.url,
            account = account_db.url,
            shard0 = shard0.url,
            shard1 = shard1.url,
            common = self.common,
        );
        let start = |services: &[(&str, u16)], extra: &str| {
            Node::start(&serve_args(services), &format!("{config}{extra}"), &[])
        };
        // Catalog first: the load of a test should find every replica up.
        let catalog = table["catalog"]
            .iter()
            .map(|p| start(&[("catalog", *p)], ""))
            .collect();
        let pricing = table["pricing"]
            .iter()
            .map(|p| start(&[("pricing", *p)], ""))
            .collect();
        let front = start(
            &[
                ("account", table["account"][0]),
                ("order", table["order"][0]),
            ],
            &self.order_extra,
        );
        let gateway = Node::start(&gateway_args(), &config, &[]);
        let api = client_of(&gateway);
        Cluster {
            catalog,
            pricing,
            front,
            gateway,
            api,
            config,
            order_extra: self.order_extra,
            ports: table,
            _dbs: vec![catalog_db, account_db, shard0, pricing_db, shard1],
        }
    }
}

impl Cluster {
    /// Starts catalog node `n` again, on its port (after a kill or a stop).
    pub fn restart_catalog(&mut self, n: usize) {
        let port = self.ports["catalog"][n];
        self.catalog[n] = Node::start(&serve_args(&[("catalog", port)]), &self.config, &[]);
    }

    /// Starts the account+order node again, on its ports (after a kill).
    pub fn restart_front(&mut self) {
        let services = [
            ("account", self.ports["account"][0]),
            ("order", self.ports["order"][0]),
        ];
        let config = format!("{}{}", self.config, self.order_extra);
        self.front = Node::start(&serve_args(&services), &config, &[]);
    }
}

/// An admin's token.
pub fn admin() -> String {
    token_for("ops", "admin", "default")
}

/// Orders `qty` of `sku` with a fresh idempotency key.
pub async fn order(api: &Platform, token: &str, sku: &str, qty: u32) -> Reply {
    order_with_key(api, token, sku, qty, &format!("k-{}", unique())).await
}

/// Orders `qty` of `sku` under idempotency key `key`.
pub async fn order_with_key(api: &Platform, token: &str, sku: &str, qty: u32, key: &str) -> Reply {
    let body = json!({ "items": [{ "sku": sku, "qty": qty }] });
    api.send(
        Method::POST,
        "/api/orders",
        Some(token),
        Some(&body),
        &[("idempotency-key", key)],
    )
    .await
}

/// Units in stock of `sku`, as the API shows them.
pub async fn stock(api: &Platform, sku: &str) -> i64 {
    let reply = api.get(&format!("/api/products/{sku}"), None).await;
    reply.assert_status(200);
    reply.body["stock"].as_i64().unwrap()
}

/// A steady load through the gateway: `workers` customers, each reading
/// `sku` and ordering one unit of it, over and over until stopped.
pub struct SteadyLoad {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<(usize, Vec<String>)>>,
}

impl SteadyLoad {
    pub fn start(api: &Platform, sku: &str, workers: usize) -> SteadyLoad {
        use std::sync::atomic::Ordering;
        let api = std::sync::Arc::new(api.clone_client());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let workers = (0..workers)
            .map(|n| {
                let (api, stop, sku) = (api.clone(), stop.clone(), sku.to_string());
                tokio::spawn(async move {
                    let customer =
                        token_for(&format!("load{n}-{}", unique()), "customer", "default");
                    let (mut done, mut failed) = (0, Vec::new());
                    while !stop.load(Ordering::SeqCst) {
                        let read = api.get(&format!("/api/products/{sku}"), None).await;
                        let placed = order(&api, &customer, &sku, 1).await;
                        for reply in [read, placed] {
                            if reply.status >= 300 {
                                failed.push(format!("{} {}", reply.status, reply.body));
                            }
                        }
                        done += 1;
                    }
                    (done, failed)
                })
            })
            .collect();
        SteadyLoad { stop, workers }
    }

    /// Stops the load: how many rounds ran, and every failed answer.
    pub async fn stop(self) -> (usize, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let (mut done, mut failed) = (0, Vec::new());
        for worker in self.workers {
            let (n, f) = worker.await.unwrap();
            done += n;
            failed.extend(f);
        }
        (done, failed)
    }
}

//! End to end across processes: a deploy, a rollback and a tenant rule
//! reach every node that runs the service, under a steady load that sees
//! no failure, and a node started again comes up on the active version.
//! The nodes register with a Consul agent (the HTTP API double), which
//! also tells the gateway where each node's admin API is.
//!
//! Needs the local PostgreSQL, MariaDB and Redis.

mod support;

use reqwest::Method;
use serde_json::Value;
use sluice::builtin as built;
use std::time::{Duration, Instant};
use support::shop::{Cluster, Found, Shop, SteadyLoad, admin};
use support::{Platform, Reply, unique};

/// Nodes look for a new desired state every 200 ms here.
const FAST_POLL: &str = "[deploy]\npoll_ms = 200\nwait_ms = 10000\n";

/// The shop on Consul (the agent must outlive it), nodes polling fast.
async fn shop(agent: &sluice::discovery::FakeAgent, catalogs: usize) -> Cluster {
    Shop {
        found: Found::Consul(agent.url()),
        common: FAST_POLL.into(),
        catalogs,
        ..Shop::default()
    }
    .start()
    .await
}

/// Which catalog build catalog node `n` serves, asked on its own port:
/// `Some("b")` for the variant, `None` for the built-in one.
async fn build_of(c: &Cluster, n: usize) -> Option<String> {
    let url = format!(
        "{}/api/products/COF-ESP-001",
        c.catalog[n].listening["catalog"]
    );
    let reply = reqwest::get(url).await.unwrap();
    assert_eq!(reply.status(), 200);
    reply
        .headers()
        .get("sluice-build")
        .map(|v| v.to_str().unwrap().to_string())
}

async fn builds(c: &Cluster) -> Vec<Option<String>> {
    let mut all = Vec::new();
    for n in 0..c.catalog.len() {
        all.push(build_of(c, n).await);
    }
    all
}

/// Checks a deploy's or rollback's answer: every live catalog node on
/// `version`.
fn reached_every_node(reply: &Reply, version: u64) {
    reply.assert_status(200);
    assert_eq!(reply.body["version"], version, "{reply:?}");
    assert_eq!(reply.body["converged"], true, "{reply:?}");
    let nodes = reply.body["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2, "{reply:?}");
    assert!(nodes.iter().all(|n| n["version"] == version), "{reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deploys_and_rollbacks_reach_every_node_without_a_failed_request() {
    let agent = sluice::discovery::FakeAgent::start().await;
    let mut c = shop(&agent, 2).await;
    let sku = format!("ROLL-{}", unique()).to_uppercase();
    c.api.create_product(&sku, 100, 1_000_000).await;

    // A steady load of reads and orders through the gateway.
    let load = SteadyLoad::start(&c.api, &sku, 4);

    // Deploy through the gateway: both nodes serve b when it answers.
    let deployed = c
        .api
        .upload("/admin/components/catalog", &admin(), built::CATALOG_B)
        .await;
    reached_every_node(&deployed, 2);
    assert_eq!(builds(&c).await, [Some("b".into()), Some("b".into())]);

    // The list shows, per version, which nodes serve it.
    let list = c.api.get("/admin/components/catalog", Some(&admin())).await;
    let active: Vec<&Value> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["service"] == "catalog" && v["active"] == true)
        .collect();
    assert_eq!(active.len(), 1, "{list:?}");
    assert_eq!(active[0]["version"], 2);
    assert_eq!(
        active[0]["served_by"].as_array().unwrap().len(),
        2,
        "{list:?}"
    );

    // Roll back: both nodes on the built-in version.
    let back = c
        .api
        .send(
            Method::POST,
            "/admin/components/catalog/rollback",
            Some(&admin()),
            None,
            &[],
        )
        .await;
    reached_every_node(&back, 1);
    assert_eq!(builds(&c).await, [None, None]);

    // Deploy again, then restart one node (SIGTERM: it drains): it comes
    // up on the active version, never the one built into its binary.
    let again = c
        .api
        .upload("/admin/components/catalog", &admin(), built::CATALOG_B)
        .await;
    reached_every_node(&again, 3);
    c.catalog[1].stop();
    c.restart_catalog(1);
    assert_eq!(builds(&c).await, [Some("b".into()), Some("b".into())]);

    let (done, failed) = load.stop().await;
    assert!(done > 10, "the load ran: {done}");
    assert_eq!(failed, Vec::<String>::new(), "no request failed");
}

/// A node that was down during a deploy converges when it comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_down_during_a_deploy_comes_back_on_the_new_version() {
    let agent = sluice::discovery::FakeAgent::start().await;
    let mut c = shop(&agent, 2).await;
    let down = c.catalog[1].listening["catalog"]
        .trim_start_matches("http://")
        .to_string();
    c.catalog[1].kill();
    // The agent's health check finds it dead: it is no longer live.
    let start = Instant::now();
    while agent_lists(&agent, &down).await {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{down} still passing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deployed = c
        .api
        .upload("/admin/components/catalog", &admin(), built::CATALOG_B)
        .await;
    deployed.assert_status(200);
    assert_eq!(deployed.body["version"], 2);
    assert_eq!(deployed.body["converged"], true, "{deployed:?}");
    let nodes = deployed.body["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "only the live node: {deployed:?}");
    c.restart_catalog(1);
    assert_eq!(build_of(&c, 1).await.as_deref(), Some("b"));
}

/// A tenant rule uploaded through the gateway reaches both pricing nodes;
/// a delete too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenant_rule_applies_on_every_pricing_node() {
    let agent = sluice::discovery::FakeAgent::start().await;
    let c = shop(&agent, 1).await;
    let tenant = format!("charm{}", unique());
    let path = format!("/admin/tenants/{tenant}/pricing-rule");
    c.api
        .upload(&path, &admin(), built::RULE_ROUND99)
        .await
        .assert_status(200);
    for node in &c.pricing {
        let api = Platform::client(node.listening["pricing"].clone());
        until(|| ruled(&api, &tenant), true).await;
    }
    c.api
        .send(Method::DELETE, &path, Some(&admin()), None, &[])
        .await
        .assert_status(204);
    for node in &c.pricing {
        let api = Platform::client(node.listening["pricing"].clone());
        until(|| ruled(&api, &tenant), false).await;
    }
}

/// Whether the agent lists `addr` as a passing catalog instance.
async fn agent_lists(agent: &sluice::discovery::FakeAgent, addr: &str) -> bool {
    let url = format!("{}/v1/health/service/catalog?passing", agent.url());
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    body.as_array().unwrap().iter().any(|entry| {
        let service = &entry["Service"];
        format!(
            "{}:{}",
            service["Address"].as_str().unwrap_or(""),
            service["Port"]
        ) == addr
    })
}

/// Whether `tenant`'s quote on `api` went through its rule.
async fn ruled(api: &Platform, tenant: &str) -> bool {
    let customer = support::token_for("c", "customer", tenant);
    let quote = api.get("/api/prices/COF-ESP-001", Some(&customer)).await;
    quote.assert_status(200);
    quote.body["applied"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["kind"] == "tenant_rule")
}

/// Waits (10 s at most) until `check` gives `expected`.
async fn until<F: Future<Output = bool>>(check: impl Fn() -> F, expected: bool) {
    let start = Instant::now();
    while check().await != expected {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! End to end across processes: every service on nodes of its own, found
//! through discovery, sharing PostgreSQL, MariaDB and Redis. Catalog and
//! pricing run on two nodes each, account and order on a third, the
//! gateway on a fourth; order's `stock` and `quote` calls and pricing's
//! `products` lookups cross nodes over HTTP.
//!
//! Needs the local PostgreSQL, MariaDB and Redis.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};
use support::cluster::{Node, free_port, serve_args, static_discovery};
use support::shop::{Cluster, Found, Shop, admin, order, stock};
use support::{TEST_SECRET, timing, token_for, unique};

async fn cluster(order_extra: &str) -> Cluster {
    Shop {
        order_extra: order_extra.into(),
        ..Shop::default()
    }
    .start()
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_reserve_and_quote_across_nodes_at_the_catalog_price() {
    // Only the reservation and the quote are slowed (not the confirm that
    // follows them), so that their overlap shows.
    let faults = "[services.catalog.faults]\ndelay_ms = 200\nfunctions = [\"stock.reserve\"]\n\
                  [services.pricing.faults]\ndelay_ms = 200\nfunctions = [\"quote.quote\"]\n";
    let c = cluster(faults).await;
    let customer = token_for(&format!("ada-{}", unique()), "customer", "default");

    // A seeded product: stock taken on the catalog nodes, price from pricing's.
    let before = stock(&c.api, "COF-ESP-001").await;
    let quote = c.api.get("/api/prices/COF-ESP-001?qty=2", None).await;
    quote.assert_status(200);
    let placed = order(&c.api, &customer, "COF-ESP-001", 2).await;
    placed.assert_status(201);
    assert_eq!(placed.body["total"], quote.body["total"], "{placed:?}");
    assert_eq!(stock(&c.api, "COF-ESP-001").await, before - 2);
    // The two remote calls still overlap: one delay, not two.
    let (reserve, price, total) = (
        timing(&placed, "reserve"),
        timing(&placed, "quote"),
        timing(&placed, "order"),
    );
    assert!(reserve >= 200.0 && price >= 200.0, "{reserve} {price}");
    assert!(
        total < 390.0,
        "stock and price ran at once across nodes: {total} ms"
    );
    let listed = c.api.get("/api/orders", Some(&customer)).await;
    assert_eq!(listed.body[0]["id"], placed.body["id"], "{listed:?}");

    // A product created through the API is quoted and ordered at its price,
    // on every pricing node (the gateway and order spread over both).
    let sku = format!("NEW-{}", unique()).to_uppercase();
    c.api.create_product(&sku, 1234, 50).await;
    for _ in 0..4 {
        let quote = c.api.get(&format!("/api/prices/{sku}?qty=2"), None).await;
        quote.assert_status(200);
        assert_eq!(quote.body["total"], 2468, "{quote:?}");
    }
    let placed = order(&c.api, &customer, &sku, 2).await;
    placed.assert_status(201);
    assert_eq!(placed.body["total"], 2468, "{placed:?}");

    // Repriced through the API: the next quote and order use the new price.
    let reply = c
        .api
        .send(
            Method::PUT,
            &format!("/api/products/{sku}"),
            Some(&admin()),
            Some(&json!({"base_price": 2000})),
            &[],
        )
        .await;
    reply.assert_status(200);
    for _ in 0..4 {
        let quote = c.api.get(&format!("/api/prices/{sku}?qty=1"), None).await;
        assert_eq!(quote.body["total"], 2000, "{quote:?}");
    }
    let placed = order(&c.api, &customer, &sku, 1).await;
    assert_eq!(placed.body["total"], 2000, "{placed:?}");
    assert_eq!(stock(&c.api, &sku).await, 47);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_found_through_consul_order_across_nodes() {
    let agent = sluice::discovery::FakeAgent::start().await;
    let c = Shop {
        found: Found::Consul(agent.url()),
        ..Shop::default()
    }
    .start()
    .await;
    let customer = token_for(&format!("grace-{}", unique()), "customer", "default");
    let sku = format!("CONSUL-{}", unique()).to_uppercase();
    c.api.create_product(&sku, 700, 10).await;
    let placed = order(&c.api, &customer, &sku, 3).await;
    placed.assert_status(201);
    assert_eq!(placed.body["total"], 2100, "{placed:?}");
    assert_eq!(stock(&c.api, &sku).await, 7);
    // Both catalog nodes registered, each with its own address.
    let catalogs: Vec<_> = c
        .catalog
        .iter()
        .map(|n| n.listening["catalog"].clone())
        .collect();
    assert_ne!(catalogs[0], catalogs[1]);
    for url in &catalogs {
        let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
        let id = format!("catalog-{}-{}", addr.ip(), addr.port());
        assert!(agent.registration(&id).is_some(), "{id} registered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_a_catalog_node_under_load_loses_and_oversells_nothing() {
    let mut c = cluster("").await;
    let sku = format!("LOAD-{}", unique()).to_uppercase();
    let initial = 300;
    c.api.create_product(&sku, 500, initial).await;
    let api = Arc::new(c.api.clone_client());
    let killed = Arc::new(AtomicBool::new(false));
    let sold = Arc::new(AtomicI64::new(0));

    // Eight customers order one unit at a time until the stock runs out.
    let workers: Vec<_> = (0..8)
        .map(|n| {
            let (api, killed, sold, sku) = (api.clone(), killed.clone(), sold.clone(), sku.clone());
            tokio::spawn(async move {
                let customer = token_for(&format!("load{n}-{}", unique()), "customer", "default");
                let (mut confirmed, mut after_kill, mut failures) = (0, 0, Vec::new());
                let deadline = Instant::now() + Duration::from_secs(60);
                while Instant::now() < deadline {
                    let reply = order(&api, &customer, &sku, 1).await;
                    match reply.status {
                        201 => {
                            confirmed += 1;
                            sold.fetch_add(1, Ordering::SeqCst);
                            if killed.load(Ordering::SeqCst) {
                                after_kill += 1;
                            }
                        }
                        409 if reply.body["error"] == "insufficient_stock" => break,
                        409 | 503 => failures.push(reply.body.clone()),
                        _ => panic!("only 201, 409 or 503 may answer: {reply:?}"),
                    }
                }
                let listed = api.get("/api/orders", Some(&customer)).await;
                let listed = listed.body.as_array().map_or(0, Vec::len);
                (confirmed, after_kill, failures, listed)
            })
        })
        .collect();

    // Kill one catalog node mid-load, with most of the stock left.
    while sold.load(Ordering::SeqCst) < 40 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    c.catalog[0].kill();
    killed.store(true, Ordering::SeqCst);

    let (mut confirmed, mut after_kill, mut failures) = (0i64, 0, Vec::<Value>::new());
    for worker in workers {
        let (ok, after, failed, listed) = worker.await.unwrap();
        assert_eq!(listed, ok as usize, "every confirmed order is listed, once");
        confirmed += ok;
        after_kill += after;
        failures.extend(failed);
    }
    assert_eq!(
        confirmed, initial,
        "the stock sold out exactly: {failures:?}"
    );
    assert_eq!(stock(&c.api, &sku).await, 0, "nothing oversold or held");
    assert!(after_kill > 0, "the surviving catalog node took the load");
    // Only requests in flight at the kill may fail.
    assert!(failures.len() <= 8, "{failures:?}");
    drop(c.front);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_internal_call_route_takes_node_tokens_only() {
    let c = cluster("").await;
    let catalog = &c.catalog[0].listening["catalog"];
    let client = reqwest::Client::new();
    let call = |function: &str, token: Option<String>| {
        let mut request = client
            .post(format!("{catalog}/_sluice/call/{function}"))
            .body(r#"["COF-ESP-001"]"#);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let node_token = forge("sluice/node");
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(call("stock.check", None).await.unwrap()), 401);
    assert_eq!(
        status(call("stock.check", Some(admin())).await.unwrap()),
        401,
        "a user's token, even an admin's"
    );
    assert_eq!(
        status(call("stock.check", Some(forge("sluice"))).await.unwrap()),
        401
    );
    let answered = call("stock.check", Some(node_token.clone())).await.unwrap();
    assert_eq!(answered.status(), 200);
    let answer: Value = answered.json().await.unwrap();
    assert!(answer["Ok"].as_u64().is_some(), "{answer}");
    assert_eq!(
        status(call("quote.quote", Some(node_token.clone())).await.unwrap()),
        404,
        "catalog does not serve quote"
    );
    assert_eq!(
        status(call("stock.nope", Some(node_token)).await.unwrap()),
        404
    );
    // The gateway routes nothing there.
    let through = c
        .api
        .send(
            Method::POST,
            "/_sluice/call/stock.check",
            None,
            Some(&json!(["COF-ESP-001"])),
            &[],
        )
        .await;
    assert_eq!(through.status, 404, "{through:?}");
}

/// A token signed with the cluster secret with issuer `issuer`.
fn forge(issuer: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"sub": "node", "role": "node", "tenant": "", "iss": issuer, "iat": now, "exp": now + 60});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap()
}

#[test]
fn a_replica_on_local_sqlite_is_refused() {
    let (mine, other) = (free_port(), free_port());
    let table = BTreeMap::from([("catalog", vec![mine, other])]);
    let (code, stderr) = Node::refused(
        &serve_args(&[("catalog", mine)]),
        &static_discovery(&table),
        &[],
    );
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("local SQLite") && stderr.contains(&format!("127.0.0.1:{other}")),
        "{stderr}"
    );
}

//! End to end: orders through the real gateway and binary. The order
//! component calls catalog's `stock` and pricing's `quote` through
//! host-linked async imports and writes to its shards; here the shards are
//! one PostgreSQL and one MariaDB database at once.
//!
//! Needs the local PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306).

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;
use std::collections::{BTreeMap, BTreeSet};
use support::db::TestDb;
use support::{Options, Platform, Reply, timing, token_for};

const ADMIN_PASSWORD: &str = "admin password";

/// A platform whose order shards are a fresh PostgreSQL (shard 0) and a
/// fresh MariaDB (shard 1) database, with `extra` TOML appended.
async fn platform(extra: &str) -> (Platform, TestDb, TestDb) {
    let (pg, my) = (TestDb::postgres().await, TestDb::mysql().await);
    let config = format!(
        "[services.order]\nshards = [{:?}, {:?}]\n{extra}",
        pg.url, my.url
    );
    let admin = format!("admin-{}@example.com", support::unique());
    let p = Platform::start(Options {
        config,
        env: vec![
            ("SLUICE_ADMIN_EMAIL".into(), admin),
            ("SLUICE_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ],
        ..Options::default()
    });
    (p, pg, my)
}

fn customer(name: &str) -> String {
    token_for(
        &format!("{name}-{}", support::unique()),
        "customer",
        "default",
    )
}

fn admin() -> String {
    token_for("ops", "admin", "default")
}

async fn order(p: &Platform, token: &str, items: Value, key: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    let body = json!({ "items": items });
    p.send(
        Method::POST,
        "/api/orders",
        Some(token),
        Some(&body),
        &headers,
    )
    .await
}

async fn stock(p: &Platform, sku: &str) -> i64 {
    let reply = p.get(&format!("/api/products/{sku}"), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["stock"].as_i64().unwrap()
}

async fn set_stock(p: &Platform, sku: &str, units: i64) {
    let path = format!("/api/products/{sku}");
    let body = json!({ "stock": units });
    let reply = p
        .send(Method::PUT, &path, Some(&admin()), Some(&body), &[])
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// Confirmed orders and their item rows in one shard database.
async fn rows_in(url: &str) -> (i64, i64) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let count = async |conn: &mut sqlx::AnyConnection, sql: &str| -> i64 {
        let row: (i64,) = sqlx::query_as(sql).fetch_one(conn).await.unwrap();
        row.0
    };
    let orders = count(
        &mut conn,
        "SELECT COUNT(*) FROM orders WHERE status = 'confirmed'",
    )
    .await;
    let items = count(&mut conn, "SELECT COUNT(*) FROM order_items").await;
    (orders, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_is_priced_reserved_written_and_read_back() {
    let (p, _pg, _my) = platform("").await;
    let token = p
        .register_and_login(
            &format!("shopper-{}@example.com", support::unique()),
            "a good password",
        )
        .await;
    let before = stock(&p, "COF-ESP-001").await;
    let price = p.get("/api/prices/COF-ESP-001?qty=2", None).await.body["total"]
        .as_i64()
        .unwrap();

    let placed = order(
        &p,
        &token,
        json!([{"sku": "COF-ESP-001", "qty": 1}, {"sku": "COF-ESP-001", "qty": 1}]),
        None,
    )
    .await;
    assert_eq!(placed.status, 201, "{placed:?}");
    let o = &placed.body;
    assert_eq!(o["status"], "confirmed");
    assert_eq!(
        o["items"].as_array().unwrap().len(),
        1,
        "duplicate skus merge"
    );
    assert_eq!(o["items"][0]["qty"], 2);
    assert_eq!(o["total"], price);
    assert_eq!(o["currency"], "USD");
    assert!(o["shard"] == 0 || o["shard"] == 1, "{o}");
    assert_eq!(stock(&p, "COF-ESP-001").await, before - 2);

    let id = o["id"].as_str().unwrap();
    let read = p.get(&format!("/api/orders/{id}"), Some(&token)).await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(read.body, *o);
    let mine = p.get("/api/orders", Some(&token)).await;
    assert_eq!(mine.body, json!([o]));

    // Someone else's order does not exist for you; an admin sees it.
    let other = customer("other");
    p.get(&format!("/api/orders/{id}"), Some(&other))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        p.get(&format!("/api/orders/{id}"), Some(&admin()))
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_orders_are_refused_with_json_errors_and_change_nothing() {
    let (p, _pg, _my) = platform("").await;
    let token = customer("bad");
    let before = stock(&p, "COF-FIL-002").await;
    for (items, status, code) in [
        (json!([]), 400, "invalid_items"),
        (
            json!([{"sku": "COF-FIL-002", "qty": 0}]),
            400,
            "invalid_items",
        ),
        (
            json!([{"sku": "COF-FIL-002", "qty": 1001}]),
            400,
            "invalid_items",
        ),
        (
            json!([{"sku": "COF-FIL-002", "qty": 600}, {"sku": "COF-FIL-002", "qty": 600}]),
            400,
            "invalid_items",
        ),
        (json!([{"sku": "NOPE-404", "qty": 1}]), 404, "unknown_sku"),
        (
            json!([{"sku": "COF-FIL-002", "qty": 1000}]),
            409,
            "insufficient_stock",
        ),
    ] {
        let reply = order(&p, &token, items.clone(), None).await;
        reply.assert_error(status, code);
        if status == 404 || status == 409 {
            assert!(reply.body["sku"].is_string(), "names the sku: {reply:?}");
        }
    }
    let body = json!({"items": "nope"});
    p.send(Method::POST, "/api/orders", Some(&token), Some(&body), &[])
        .await
        .assert_error(400, "invalid_json");
    let body = json!({"items": [{"sku": "COF-FIL-002", "qty": 1}]});
    p.send(Method::POST, "/api/orders", None, Some(&body), &[])
        .await
        .assert_error(401, "unauthorized");
    let status = p
        .send(
            Method::POST,
            "/api/orders",
            Some("not.a.token"),
            Some(&body),
            &[],
        )
        .await
        .status;
    assert_eq!(status, 401);
    p.get(
        "/api/orders/0-ffffffffffffffffffffffffffffffff",
        Some(&token),
    )
    .await
    .assert_error(404, "not_found");
    p.get("/api/orders/99-nope", Some(&token))
        .await
        .assert_error(404, "not_found");

    assert_eq!(stock(&p, "COF-FIL-002").await, before, "nothing reserved");
    assert_eq!(p.get("/api/orders", Some(&token)).await.body, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_land_on_both_shards_and_admins_list_across_them() {
    let (p, pg, my) = platform("").await;
    let mut placed = Vec::new();
    for n in 0..24 {
        let token = customer(&format!("c{n}"));
        let reply = order(&p, &token, json!([{"sku": "COF-ESP-001", "qty": 1}]), None).await;
        assert_eq!(reply.status, 201, "{reply:?}");
        placed.push(reply.body);
    }
    let shards: BTreeSet<i64> = placed
        .iter()
        .map(|o| o["shard"].as_i64().unwrap())
        .collect();
    assert_eq!(
        shards,
        BTreeSet::from([0, 1]),
        "24 customers use both shards"
    );
    let (on_pg, _) = rows_in(&pg.url).await;
    let (on_my, _) = rows_in(&my.url).await;
    let expect = |shard| placed.iter().filter(|o| o["shard"] == shard).count() as i64;
    assert_eq!((on_pg, on_my), (expect(0), expect(1)));
    for o in &placed {
        let shard = o["shard"].as_i64().unwrap();
        assert!(o["id"].as_str().unwrap().starts_with(&format!("{shard}-")));
    }

    let all = p
        .get("/api/orders?scope=all&limit=200", Some(&admin()))
        .await;
    assert_eq!(all.status, 200, "{all:?}");
    let listed: BTreeSet<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let ids: BTreeSet<&str> = placed.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(listed, ids, "scatter-gather over both shards");
    let times: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["created_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    p.get("/api/orders?scope=all", Some(&customer("nosy")))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_idempotency_key_gives_one_order_even_when_racing() {
    let (p, _pg, _my) = platform("").await;
    let token = customer("retry");
    let before = stock(&p, "TEA-GRN-009").await;
    let key = format!("key-{}", support::unique());
    let items = json!([{"sku": "TEA-GRN-009", "qty": 3}]);
    let racing = (0..8).map(|_| {
        let (p, token, items, key) = (&p, token.clone(), items.clone(), key.clone());
        async move { order(p, &token, items, Some(&key)).await }
    });
    let replies = futures::future::join_all(racing).await;
    let ids: BTreeSet<&str> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{r:?}");
            r.body["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one order: {ids:?}");
    assert_eq!(stock(&p, "TEA-GRN-009").await, before - 3, "reserved once");

    let again = order(&p, &token, items, Some(&key)).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], replies[0].body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let other_items = json!([{"sku": "TEA-GRN-009", "qty": 4}]);
    order(&p, &token, other_items, Some(&key))
        .await
        .assert_error(409, "idempotency_key_reused");
    assert_eq!(stock(&p, "TEA-GRN-009").await, before - 3);
    // Keys are per customer: another customer's same key is its own order.
    let theirs = order(
        &p,
        &customer("other"),
        json!([{"sku": "TEA-GRN-009", "qty": 1}]),
        Some(&key),
    )
    .await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["id"], replies[0].body["id"]);
}

/// Hundreds of customers at once against products with little stock: what
/// the confirmed orders hold is exactly what left the stock, every order
/// can be read back from its shard, and every failure is a 409 naming a sku.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_oversell_or_lose_an_order() {
    let (p, pg, my) = platform("").await;
    let skus = ["COF-ESP-001", "COF-FIL-002", "TEA-GRN-009"];
    let initial = BTreeMap::from([(skus[0], 7), (skus[1], 11), (skus[2], 5)]);
    for (sku, units) in &initial {
        set_stock(&p, sku, *units).await;
    }
    let attempts = (0..300).map(|n| {
        let p = &p;
        let token = customer(&format!("crowd{}", n % 60));
        let sku = skus[n % skus.len()];
        let items = if n % 4 == 0 {
            json!([{"sku": sku, "qty": 1}, {"sku": skus[(n + 1) % skus.len()], "qty": 1}])
        } else {
            json!([{"sku": sku, "qty": 1 + n % 2}])
        };
        async move { (token.clone(), order(p, &token, items, None).await) }
    });
    let replies = futures::future::join_all(attempts).await;

    let mut ordered: BTreeMap<String, i64> = BTreeMap::new();
    let mut confirmed = Vec::new();
    for (token, reply) in &replies {
        match reply.status {
            201 => {
                for item in reply.body["items"].as_array().unwrap() {
                    *ordered
                        .entry(item["sku"].as_str().unwrap().to_string())
                        .or_default() += item["qty"].as_i64().unwrap();
                }
                confirmed.push((token, reply.body.clone()));
            }
            409 => {
                reply.assert_error(409, "insufficient_stock");
                assert!(skus.contains(&reply.body["sku"].as_str().unwrap()));
            }
            _ => panic!("only 201 or 409 expected: {reply:?}"),
        }
    }
    assert!(!confirmed.is_empty());
    for (sku, units) in &initial {
        let left = stock(&p, sku).await;
        assert!(left >= 0);
        let sold = ordered.get(*sku).copied().unwrap_or(0);
        assert_eq!(units - left, sold, "{sku}: stock consumed = units ordered");
    }
    for (token, o) in &confirmed {
        let read = p
            .get(
                &format!("/api/orders/{}", o["id"].as_str().unwrap()),
                Some(token),
            )
            .await;
        assert_eq!(read.body, *o, "read back from shard {}", o["shard"]);
    }
    let (on_pg, _) = rows_in(&pg.url).await;
    let (on_my, _) = rows_in(&my.url).await;
    assert_eq!(
        (on_pg + on_my) as usize,
        confirmed.len(),
        "no order lost or duplicated"
    );
    assert!(
        on_pg > 0 && on_my > 0,
        "both shards used: {on_pg} + {on_my}"
    );
}

/// The instances made of each service so far, from the node's `/metrics`.
async fn instances(p: &Platform) -> BTreeMap<String, u64> {
    let metrics = p.admin_get("/metrics").await;
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix("sluice_instances_total{service=\""))
        .map(|rest| {
            let (service, count) = rest.split_once("\"} ").unwrap();
            (service.to_string(), count.parse().unwrap())
        })
        .collect()
}

/// An order's linked calls to a service share one instance of it for the
/// whole order: its reserve and confirm one catalog instance, its lines'
/// quotes (made at the same time) one pricing instance, whose product
/// lookups one catalog instance of pricing's own. Other orders, at the
/// same time or later, get instances of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_orders_calls_to_a_service_share_one_instance_per_order() {
    // No housekeeping round while counting (the first one runs at start).
    let (p, _pg, _my) = platform("[housekeeping]\ninterval_ms = 3600000\n").await;
    let token = customer("cart");
    let skus = ["COF-ESP-001", "COF-FIL-002", "TEA-GRN-009"];
    let mut total = 0;
    for sku in skus {
        let price = p.get(&format!("/api/prices/{sku}?qty=2"), None).await;
        total += price.body["total"].as_i64().unwrap();
    }
    let lines = json!(skus.map(|sku| json!({"sku": sku, "qty": 2})));
    let warm = order(&p, &token, lines.clone(), None).await;
    assert_eq!(warm.status, 201, "{warm:?}");

    // One order, then four at once: never an instance shared between two.
    for orders in [1, 4] {
        let before = instances(&p).await;
        let placing = (0..orders).map(|_| order(&p, &token, lines.clone(), None));
        for placed in futures::future::join_all(placing).await {
            assert_eq!(placed.status, 201, "{placed:?}");
            assert_eq!(placed.body["total"], total, "{placed:?}");
            assert_eq!(placed.body["items"].as_array().unwrap().len(), 3);
        }
        let after = instances(&p).await;
        let made = |service: &str| after[service] - before[service];
        assert_eq!(
            (
                made("order"),
                made("pricing"),
                made("catalog"),
                made("account")
            ),
            (orders, orders, 2 * orders, 0),
            "instances made by {orders} orders of three lines: {before:?} -> {after:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_and_price_calls_overlap() {
    // Only the reservation and the quote are slowed (not the confirm that
    // follows them), so that their overlap shows.
    let faults = "[services.catalog.faults]\ndelay_ms = 200\nfunctions = [\"stock.reserve\"]\n\
                  [services.pricing.faults]\ndelay_ms = 200\nfunctions = [\"quote.quote\"]\n";
    let (p, _pg, _my) = platform(faults).await;
    let token = customer("slow");
    let placed = order(&p, &token, json!([{"sku": "COF-ESP-001", "qty": 1}]), None).await;
    assert_eq!(placed.status, 201, "{placed:?}");
    let (reserve, quote, total) = (
        timing(&placed, "reserve"),
        timing(&placed, "quote"),
        timing(&placed, "order"),
    );
    assert!(reserve >= 200.0 && quote >= 200.0, "{reserve} {quote}");
    // Sequential calls would take at least 400 ms; together, one delay.
    assert!(total < 390.0, "stock and price ran at once: {total} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_price_call_releases_the_reservation() {
    let (p, pg, my) = platform("[services.pricing.faults]\nerror_rate = 1.0\n").await;
    let token = customer("unlucky");
    let before = stock(&p, "COF-ESP-001").await;
    order(
        &p,
        &token,
        json!([{"sku": "COF-ESP-001", "qty": 2}]),
        Some("k1"),
    )
    .await
    .assert_error(503, "unavailable");
    assert_eq!(stock(&p, "COF-ESP-001").await, before, "released");
    assert_eq!(p.get("/api/orders", Some(&token)).await.body, json!([]));
    assert_eq!(rows_in(&pg.url).await.0 + rows_in(&my.url).await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_write_releases_the_reservation() {
    let (p, pg, my) = platform("").await;
    // Break both shards' item tables: the order's final write must fail.
    for url in [&pg.url, &my.url] {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::query("ALTER TABLE order_items RENAME TO order_items_gone")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let token = customer("doomed");
    let before = stock(&p, "COF-ESP-001").await;
    let reply = order(&p, &token, json!([{"sku": "COF-ESP-001", "qty": 2}]), None).await;
    assert!(reply.status >= 500, "{reply:?}");
    assert!(reply.body["error"].is_string(), "{reply:?}");
    assert_eq!(stock(&p, "COF-ESP-001").await, before, "released");
    assert_eq!(
        rows_in_orders(&pg.url).await + rows_in_orders(&my.url).await,
        0
    );
}

/// Orders of any status in one shard database.
async fn rows_in_orders(url: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    row.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn products_created_or_repriced_through_the_api_are_ordered_at_the_catalog_price() {
    let (p, _pg, _my) = platform("").await;
    let token = customer("early");
    let sku = format!("API-{}", support::unique()).to_uppercase();
    p.create_product(&sku, 1250, 9).await;
    let quote = p.get(&format!("/api/prices/{sku}?qty=2"), None).await;
    assert_eq!(
        (quote.status, &quote.body["total"]),
        (200, &json!(2500)),
        "{quote:?}"
    );
    let placed = order(&p, &token, json!([{"sku": sku, "qty": 2}]), None).await;
    assert_eq!(
        (placed.status, &placed.body["total"]),
        (201, &json!(2500)),
        "{placed:?}"
    );

    let path = format!("/api/products/{sku}");
    let repriced = p
        .send(
            Method::PUT,
            &path,
            Some(&admin()),
            Some(&json!({"base_price": 990})),
            &[],
        )
        .await;
    assert_eq!(repriced.status, 200, "{repriced:?}");
    let quote = p.get(&format!("/api/prices/{sku}?qty=3"), None).await;
    assert_eq!(quote.body["total"], 2970, "{quote:?}");
    let placed = order(&p, &token, json!([{"sku": sku, "qty": 3}]), None).await;
    assert_eq!(
        (placed.status, &placed.body["total"]),
        (201, &json!(2970)),
        "{placed:?}"
    );
    assert_eq!(stock(&p, &sku).await, 4);
}

//! End to end across processes, when nodes die or are stopped: stock holds
//! that a dead order never confirms come back by themselves, no confirmed
//! order is lost or duplicated, and a node stopped with SIGTERM drains
//! without failing a request.
//!
//! Holds last 3 s here (`hold_ms`), an order's pending row counts as
//! abandoned after 2 s (`abandoned_after_ms`) and housekeeping runs every
//! 200 ms, so the stated bound (hold + abandonment + a round) is seconds.
//!
//! Needs the local PostgreSQL, MariaDB and Redis.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};
use support::shop::{Found, Shop, SteadyLoad, order, order_with_key, stock};
use support::{Platform, token_for, unique};

const SHORT_HOLDS: &str = r#"[housekeeping]
interval_ms = 200
[services.catalog.settings]
hold_ms = "3000"
[services.order.settings]
abandoned_after_ms = "2000"
"#;

/// Longest wait for stock to settle: well past hold + abandonment + rounds.
const SETTLE_WITHIN: Duration = Duration::from_secs(30);

/// Waits until the stock of `sku` is `expected`; panics past the bound.
async fn settles_to(api: &Platform, sku: &str, expected: i64) {
    let start = Instant::now();
    loop {
        let now = stock(api, sku).await;
        if now == expected {
            return;
        }
        assert!(
            start.elapsed() < SETTLE_WITHIN,
            "stock of {sku} is {now}, expected {expected} within {SETTLE_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_order_node_mid_load_loses_duplicates_and_holds_nothing() {
    let mut c = Shop {
        common: SHORT_HOLDS.into(),
        catalogs: 1,
        ..Shop::default()
    }
    .start()
    .await;
    let sku = format!("KILL-{}", unique()).to_uppercase();
    let initial = 1_000;
    c.api.create_product(&sku, 300, initial).await;
    let api = Arc::new(c.api.clone_client());
    let placed = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    // Six customers order one unit at a time, each under a key of its own,
    // until told to stop: key -> order id of the 201, or None.
    let workers: Vec<_> = (0..6)
        .map(|n| {
            let (api, placed, stop, sku) = (api.clone(), placed.clone(), stop.clone(), sku.clone());
            tokio::spawn(async move {
                let customer = token_for(&format!("kill{n}-{}", unique()), "customer", "default");
                let mut keys: BTreeMap<String, Option<String>> = BTreeMap::new();
                while !stop.load(Ordering::SeqCst) {
                    let key = format!("k-{}", unique());
                    let reply = order_with_key(&api, &customer, &sku, 1, &key).await;
                    let id = (reply.status == 201)
                        .then(|| reply.body["id"].as_str().unwrap().to_string());
                    if id.is_some() {
                        placed.fetch_add(1, Ordering::SeqCst);
                    } else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    keys.insert(key, id);
                }
                (customer, keys)
            })
        })
        .collect();

    while placed.load(Ordering::SeqCst) < 30 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    c.front.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.restart_front();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);

    let mut confirmed = 0i64;
    for worker in workers {
        let (customer, mut keys) = worker.await.unwrap();
        // Every request that failed is retried under its key until it is
        // answered: replayed if it was confirmed before the kill, placed
        // once otherwise (after its abandoned attempt is settled).
        for (key, id) in keys.iter_mut().filter(|(_, id)| id.is_none()) {
            let deadline = Instant::now() + SETTLE_WITHIN;
            while id.is_none() {
                let reply = order_with_key(&api, &customer, &sku, 1, key).await;
                match reply.status {
                    201 => *id = Some(reply.body["id"].as_str().unwrap().to_string()),
                    0 | 409 | 502 | 503 => assert!(Instant::now() < deadline, "{reply:?}"),
                    _ => panic!("{reply:?}"),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let answered: BTreeSet<String> = keys.into_values().flatten().collect();
        let listed = api.get("/api/orders?limit=100", Some(&customer)).await;
        let listed: Vec<String> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        let unique_listed: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(unique_listed.len(), listed.len(), "no order listed twice");
        assert_eq!(unique_listed, answered, "one order per key, none lost");
        confirmed += listed.len() as i64;
    }
    // The holds of the orders that died come back; exactly the confirmed
    // orders' units stay taken.
    settles_to(&c.api, &sku, initial - confirmed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hold_of_an_order_that_never_confirms_comes_back_by_itself() {
    // Every confirm from order waits 1.5 s: the catalog node dies between
    // an order's reserve and its confirm.
    let mut c = Shop {
        common: SHORT_HOLDS.into(),
        catalogs: 1,
        order_extra: "[services.catalog.faults]\ndelay_ms = 1500\nfunctions = [\"stock.confirm\"]\ncallers = [\"order\"]\n".into(),
        ..Shop::default()
    }
    .start()
    .await;
    let sku = format!("HOLD-{}", unique()).to_uppercase();
    c.api.create_product(&sku, 250, 10).await;
    let customer = token_for(&format!("hold-{}", unique()), "customer", "default");

    let api = c.api.clone_client();
    let (cust, s) = (customer.clone(), sku.clone());
    let placing = tokio::spawn(async move { order(&api, &cust, &s, 3).await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(stock(&c.api, &sku).await, 7, "reserved, not yet confirmed");
    c.catalog[0].kill();
    let failed = placing.await.unwrap();
    assert_eq!(failed.status, 503, "{failed:?}");
    c.restart_catalog(0);

    // Nobody confirmed the hold: its units come back, and no order exists.
    settles_to(&c.api, &sku, 10).await;
    let listed = c.api.get("/api/orders", Some(&customer)).await;
    assert_eq!(listed.body, serde_json::json!([]), "{listed:?}");

    // A confirmed order's units never come back by themselves. (The order
    // node ejected the dead catalog instance; it takes calls again once
    // its breaker's cool-down has passed.)
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let placed = order(&c.api, &customer, &sku, 4).await;
        if placed.status == 201 {
            break;
        }
        // The gateway may have ejected order too, which answered 503s.
        assert_eq!(placed.status, 503, "{placed:?}");
        assert!(Instant::now() < deadline, "{placed:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(4_000)).await;
    assert_eq!(
        stock(&c.api, &sku).await,
        6,
        "a confirmed hold does not expire"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_on_a_catalog_node_under_load_fails_no_request() {
    let agent = sluice::discovery::FakeAgent::start().await;
    let mut c = Shop {
        found: Found::Consul(agent.url()),
        ..Shop::default()
    }
    .start()
    .await;
    let sku = format!("DRAIN-{}", unique()).to_uppercase();
    c.api.create_product(&sku, 100, 100_000).await;
    let load = SteadyLoad::start(&c.api, &sku, 4);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // Dropping a node sends SIGTERM and waits for it to exit.
    drop(c.catalog.remove(0));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let (done, failed) = load.stop().await;
    assert!(done > 20, "the load ran: {done}");
    assert_eq!(failed, Vec::<String>::new(), "no request failed");
}

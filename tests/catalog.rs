//! End to end: the product API through the real gateway and binary: the
//! seeded catalogue, admin changes, bad input, restarts, PostgreSQL as the
//! catalog database, and Redis as the cache (including an outage).

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Options, Platform, Reply};

const ADMIN_PASSWORD: &str = "admin password";

/// Options with an admin account provisioned from the environment.
fn options(admin: &str) -> Options {
    Options {
        env: vec![
            ("SLUICE_ADMIN_EMAIL".into(), admin.into()),
            ("SLUICE_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ],
        ..Options::default()
    }
}

fn email(name: &str) -> String {
    format!("{name}-{}@example.com", support::unique())
}

/// A request with an optional bearer token and JSON body.
async fn send(
    p: &Platform,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    p.send(method, path, token, body, &[]).await
}

async fn create(p: &Platform, token: Option<&str>, body: &Value) -> Reply {
    send(p, reqwest::Method::POST, "/api/products", token, Some(body)).await
}

async fn update(p: &Platform, sku: &str, token: Option<&str>, body: &Value) -> Reply {
    let path = format!("/api/products/{sku}");
    send(p, reqwest::Method::PUT, &path, token, Some(body)).await
}

async fn product(p: &Platform, sku: &str) -> Reply {
    p.get(&format!("/api/products/{sku}"), None).await
}

/// Every product, walking the list `limit` at a time; checks `total`.
async fn all_products(p: &Platform, limit: usize) -> Vec<Value> {
    let mut all = Vec::new();
    let mut total = None;
    loop {
        let page = p
            .get(
                &format!("/api/products?limit={limit}&offset={}", all.len()),
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{page:?}");
        let page_total = page.body["total"].as_u64().unwrap();
        assert_eq!(*total.get_or_insert(page_total), page_total);
        let items = page.body["items"].as_array().unwrap().clone();
        assert!(items.len() <= limit);
        if items.is_empty() {
            break;
        }
        all.extend(items);
    }
    assert_eq!(all.len() as u64, total.unwrap());
    all
}

fn new_product(sku: &str) -> Value {
    json!({
        "sku": sku,
        "name": "Enamel Camping Mug",
        "description": "Speckled enamel steel mug, 350 ml.",
        "base_price": 1450,
        "currency": "USD",
        "stock": 40
    })
}

#[tokio::test]
async fn seeded_catalogue_and_admin_changes() {
    let admin = email("admin");
    let p = Platform::start(options(&admin));

    // The seeded catalogue, in pages.
    let first = p.get("/api/products", None).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["items"].as_array().unwrap().len(), 20);
    let total = first.body["total"].as_u64().unwrap();
    assert!(total >= 50, "{total}");
    let all = all_products(&p, 25).await;
    let skus: Vec<&str> = all.iter().map(|p| p["sku"].as_str().unwrap()).collect();
    let distinct: BTreeSet<&str> = skus.iter().copied().collect();
    assert_eq!(distinct.len(), skus.len(), "no product twice");
    assert!(skus.windows(2).all(|w| w[0] < w[1]), "sku order");
    for item in &all {
        assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(item["base_price"].as_i64().is_some_and(|n| n > 0));
        assert!(item["stock"].as_i64().is_some_and(|n| n >= 0));
        assert_eq!(item["currency"].as_str().unwrap().len(), 3);
    }
    let big = p.get("/api/products?limit=100", None).await;
    assert_eq!(
        big.body["items"].as_array().unwrap().len() as u64,
        total.min(100)
    );
    for bad in ["limit=0", "limit=101", "limit=ten", "offset=-1"] {
        p.get(&format!("/api/products?{bad}"), None)
            .await
            .assert_error(400, "invalid_query");
    }

    // One product; unknown skus.
    let grinder = product(&p, "COF-GRD-004").await;
    assert_eq!(grinder.status, 200, "{grinder:?}");
    assert_eq!(
        grinder.body,
        json!({
            "sku": "COF-GRD-004",
            "name": "Conical Burr Coffee Grinder",
            "description": "Stainless steel conical burrs with 40 grind settings from espresso to French press. Quiet 150 W motor and a 250 g bean hopper.",
            "base_price": 12900,
            "currency": "USD",
            "stock": 35
        })
    );
    product(&p, "NO-SUCH-SKU")
        .await
        .assert_error(404, "not_found");
    let echoed = p
        .client
        .get(p.url("/api/products/NO-SUCH-SKU"))
        .header("x-request-id", "catalog-e2e-1")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "catalog-e2e-1");

    // Who may change the catalogue.
    let admin_token = p.login(&admin, ADMIN_PASSWORD).await;
    let customer = p.register_and_login(&email("shopper"), "12345678").await;
    let sku = format!("MUG-{}", support::unique());
    create(&p, None, &new_product(&sku))
        .await
        .assert_error(401, "unauthorized");
    create(&p, Some("not.a.jwt"), &new_product(&sku))
        .await
        .assert_error(401, "invalid_token");
    create(&p, Some(&customer), &new_product(&sku))
        .await
        .assert_error(403, "forbidden");
    update(&p, "COF-GRD-004", Some(&customer), &json!({"stock": 0}))
        .await
        .assert_error(403, "forbidden");
    update(&p, "COF-GRD-004", None, &json!({"stock": 0}))
        .await
        .assert_error(401, "unauthorized");
    product(&p, &sku).await.assert_error(404, "not_found");

    // Admin creates.
    let created = create(&p, Some(&admin_token), &new_product(&sku)).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body, new_product(&sku));
    assert_eq!(product(&p, &sku).await.body, new_product(&sku));
    assert_eq!(
        p.get("/api/products?limit=1", None).await.body["total"],
        total + 1
    );
    create(&p, Some(&admin_token), &new_product(&sku))
        .await
        .assert_error(409, "sku_taken");

    // Validation.
    let with = |field: &str, value: Value| {
        let mut body = new_product(&format!("BAD-{}", support::unique()));
        body[field] = value;
        body
    };
    for (body, code) in [
        (with("sku", json!("no spaces allowed")), "invalid_sku"),
        (with("sku", json!("S".repeat(65))), "invalid_sku"),
        (with("name", json!("")), "invalid_name"),
        (
            with("description", json!("d".repeat(2001))),
            "invalid_description",
        ),
        (with("base_price", json!(-100)), "invalid_price"),
        (with("base_price", json!(14.5)), "invalid_price"),
        (with("currency", json!("usd")), "invalid_currency"),
        (with("stock", json!(-1)), "invalid_stock"),
        (json!({"sku": "X-1"}), "invalid_json"),
    ] {
        create(&p, Some(&admin_token), &body)
            .await
            .assert_error(400, code);
    }

    // Admin updates some fields; the rest stay.
    let changed = update(
        &p,
        &sku,
        Some(&admin_token),
        &json!({"base_price": 1299, "stock": 7}),
    )
    .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    let mut expected = new_product(&sku);
    expected["base_price"] = json!(1299);
    expected["stock"] = json!(7);
    assert_eq!(changed.body, expected);
    assert_eq!(product(&p, &sku).await.body, expected, "cache invalidated");
    update(
        &p,
        &sku,
        Some(&admin_token),
        &json!({"currency": "dollars"}),
    )
    .await
    .assert_error(400, "invalid_currency");
    update(&p, "NO-SUCH-SKU", Some(&admin_token), &json!({"stock": 1}))
        .await
        .assert_error(404, "not_found");
}

/// Changes the stock in the catalog's SQLite database in `data_dir` (what
/// an order's reservation would change, done behind the service's back).
fn set_stock_behind_the_service(data_dir: &Path, sku: &str, stock: i64) {
    let db = rusqlite::Connection::open(data_dir.join("catalog.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let changed = db
        .execute(
            "UPDATE products SET stock = ? WHERE sku = ?",
            rusqlite::params![stock, sku],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn restart_keeps_changes_and_never_reseeds() {
    let admin = email("admin");
    let mut first = Platform::start(options(&admin));
    let token = first.login(&admin, ADMIN_PASSWORD).await;
    let before = all_products(&first, 100).await;
    let sku = format!("KEEP-{}", support::unique());
    assert_eq!(
        create(&first, Some(&token), &new_product(&sku))
            .await
            .status,
        201
    );
    // An admin changes one seeded product; "orders" consume another.
    let changed = update(
        &first,
        "KIT-KNF-012",
        Some(&token),
        &json!({"stock": 3, "name": "Chef's Knife, 21 cm"}),
    )
    .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    let keep = first.keep_data_dir();
    assert!(first.stop().success(), "clean exit on SIGTERM");
    set_stock_behind_the_service(&first.data_dir, "OUT-TNT-021", 1);

    let second = Platform::start(Options {
        data_dir: Some(first.data_dir.clone()),
        ..options(&admin)
    });
    let after = all_products(&second, 100).await;
    assert_eq!(after.len(), before.len() + 1, "nothing seeded twice");
    let knife = product(&second, "KIT-KNF-012").await.body;
    assert_eq!(knife["stock"], 3);
    assert_eq!(knife["name"], "Chef's Knife, 21 cm");
    assert_eq!(product(&second, "OUT-TNT-021").await.body["stock"], 1);
    assert_eq!(product(&second, &sku).await.body, new_product(&sku));
    drop(second);
    drop(keep);
}

/// An operator reads the node's memory in `/metrics`: resident, the
/// anonymous part of it, what SQLite holds (the catalogue just read sits in
/// its page caches) and what the services' instance pool keeps of the
/// instances that served the reads.
#[tokio::test]
async fn metrics_show_the_nodes_memory() {
    let platform = Platform::start(Options::default());
    assert!(!all_products(&platform, 100).await.is_empty());
    let metrics = platform.admin_get("/metrics").await;
    let gauge = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
    };
    let resident = gauge("process_resident_memory_bytes");
    let anonymous = gauge("sluice_anonymous_memory_bytes");
    let sqlite = gauge("sluice_sqlite_memory_bytes");
    assert!(resident > 10 << 20, "{resident} bytes resident");
    assert!(anonymous < resident, "{anonymous} of {resident}");
    assert!(
        sqlite > 0 && sqlite < anonymous,
        "SQLite {sqlite} of {anonymous}"
    );
    let pool = gauge("sluice_service_pool_idle_resident_bytes");
    assert!(pool > 0 && pool < anonymous, "pool {pool} of {anonymous}");
    assert!(gauge("sluice_service_pool_warm_memory_slots") > 0);
}

#[tokio::test]
async fn postgres_as_the_catalog_database() {
    let db = support::db::TestDb::postgres().await;
    let admin = email("admin");
    let mut with_postgres = options(&admin);
    with_postgres
        .env
        .push(("SLUICE_CATALOG_DATABASE_URL".into(), db.url.clone()));
    let sku = format!("PG-{}", support::unique());
    let total = {
        let p = Platform::start(with_postgres.clone());
        let token = p.login(&admin, ADMIN_PASSWORD).await;
        let all = all_products(&p, 50).await;
        assert!(all.len() >= 50);
        // Skus sort byte by byte on PostgreSQL too.
        let skus: Vec<&str> = all.iter().map(|p| p["sku"].as_str().unwrap()).collect();
        assert!(skus.windows(2).all(|w| w[0] < w[1]), "{skus:?}");
        assert_eq!(
            create(&p, Some(&token), &new_product(&sku)).await.status,
            201
        );
        create(&p, Some(&token), &new_product(&sku))
            .await
            .assert_error(409, "sku_taken");
        let changed = update(&p, "TEA-POT-011", Some(&token), &json!({"stock": 2})).await;
        assert_eq!(changed.body["stock"], 2, "{changed:?}");
        all.len() + 1
    };
    // A second start on the same database: no reseeding, changes kept.
    let p = Platform::start(with_postgres);
    assert_eq!(all_products(&p, 100).await.len(), total);
    assert_eq!(product(&p, "TEA-POT-011").await.body["stock"], 2);
    assert_eq!(product(&p, &sku).await.body["stock"], 40);
    drop(p);
}

/// A `redis-server` of this test's own, killed when dropped.
struct OwnRedis {
    child: Child,
}

impl OwnRedis {
    fn start(port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed to run this test");
        OwnRedis { child }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether Redis at `url` holds `key`; false while it is not reachable.
async fn redis_has(url: &str, key: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return false;
    };
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(&mut conn)
        .await
        .is_ok_and(|n| n == 1)
}

/// Retries `probe` until it is true or 15 s pass.
async fn eventually<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !probe().await {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_cache_survives_an_outage() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let prefix = format!("sluice-test-{}:", support::unique());
    let mut redis = Some(OwnRedis::start(port));
    let admin = email("admin");
    let p = Platform::start(Options {
        config: format!("[cache]\nkind = \"redis\"\nurl = \"{url}\"\nprefix = \"{prefix}\"\n"),
        ..options(&admin)
    });
    let token = p.login(&admin, ADMIN_PASSWORD).await;
    let sku = "OUT-BTL-026";
    let key = format!("{prefix}catalog:product:{sku}@0");

    // Cache-aside: a read stores the product in Redis, under the prefix.
    eventually("the product is cached in redis", || async {
        product(&p, sku).await.status == 200 && redis_has(&url, &key).await
    })
    .await;
    // Reads come from the cache: a change behind the service's back is not
    // seen yet.
    set_stock_behind_the_service(&p.data_dir, sku, 111);
    assert_eq!(product(&p, sku).await.body["stock"], 260);
    // An admin change invalidates it.
    let changed = update(&p, sku, Some(&token), &json!({"stock": 222})).await;
    assert_eq!(changed.body["stock"], 222, "{changed:?}");
    assert_eq!(product(&p, sku).await.body["stock"], 222);

    // Redis dies: reads are served from the database, quickly, and changes
    // still work.
    drop(redis.take());
    set_stock_behind_the_service(&p.data_dir, sku, 333);
    for _ in 0..5 {
        let started = Instant::now();
        let reply = product(&p, sku).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.body["stock"], 333, "fresh from the database");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
    let page = p.get("/api/products?limit=5", None).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.body["items"].as_array().unwrap().len(), 5);
    let changed = update(&p, sku, Some(&token), &json!({"stock": 444})).await;
    assert_eq!(changed.status, 200, "{changed:?}");
    assert_eq!(product(&p, sku).await.body["stock"], 444);

    // Redis is back (empty): the service finds it again and uses it.
    let _redis = OwnRedis::start(port);
    eventually("the product is cached in redis again", || async {
        product(&p, sku).await.status == 200 && redis_has(&url, &key).await
    })
    .await;
    set_stock_behind_the_service(&p.data_dir, sku, 555);
    assert_eq!(
        product(&p, sku).await.body["stock"],
        444,
        "served from the cache again"
    );
}

//! The catalog component's `stock` export through the real host, on
//! SQLite, PostgreSQL and MariaDB: a node runs the built catalog component
//! (migrated and seeded at start-up) and the tests call its typed export the
//! way the order service will, each call in a fresh instance.
//!
//! Needs the local PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306);
//! see `sluice::capabilities::sql::testdb`.

use sluice::bindings::stock::{self, Line};
use sluice::capabilities::sql::testdb::{DatabaseGuard, fresh_database};
use sluice::capabilities::sql::{Dialect, SqlBackend, Value};
use sluice::config::Config;
use sluice::node::{Node, NodeOptions, start};
use sluice::service::Service;
use std::sync::Arc;

/// A node running only the catalog, on a fresh database of one engine.
struct Catalog {
    node: Node,
    service: Arc<Service>,
    _dir: tempfile::TempDir,
    _db: DatabaseGuard,
}

impl Catalog {
    async fn start(dialect: Dialect) -> Catalog {
        let (url, db) = fresh_database(dialect).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            admin_addr: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        let catalog = config.service_mut("catalog");
        catalog.listen = Some("127.0.0.1:0".parse().unwrap());
        catalog.database = Some(url);
        let node = start(
            config,
            NodeOptions {
                services: vec!["catalog".into()],
                gateway: false,
                admin: None,
                standalone: true,
            },
        )
        .await
        .unwrap();
        let service = node.services["catalog"].clone();
        Catalog {
            node,
            service,
            _dir: dir,
            _db: db,
        }
    }

    fn db(&self) -> Arc<dyn SqlBackend> {
        self.service.caps.sql.db.clone().unwrap()
    }

    /// Adds a product with `stock` units straight into the database.
    async fn add_product(&self, sku: &str, stock: i64) {
        self.db()
            .execute(
                "INSERT INTO products (sku, name, description, base_price, currency, stock, updated_at) \
                 VALUES (?, ?, '', 100, 'USD', ?, 0)"
                    .into(),
                vec![
                    Value::Text(sku.into()),
                    Value::Text(format!("Test product {sku}")),
                    Value::Integer(stock),
                ],
            )
            .await
            .unwrap();
    }

    /// Units of `sku` in the database.
    async fn stock_in_db(&self, sku: &str) -> i64 {
        let rows = self
            .db()
            .query(
                "SELECT stock FROM products WHERE sku = ?".into(),
                vec![Value::Text(sku.into())],
            )
            .await
            .unwrap();
        match rows.rows[0][0] {
            Value::Integer(n) => n,
            ref other => panic!("stock is {other:?}"),
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        let rows = self.db().query(sql.into(), vec![]).await.unwrap();
        match rows.rows[0][0] {
            Value::Integer(n) => n,
            ref other => panic!("count is {other:?}"),
        }
    }

    async fn stop(self) {
        self.node.shutdown().await.unwrap();
    }
}

/// The export of a fresh instance of the catalog's active version.
async fn guest(
    service: &Service,
) -> (stock::Guest, wasmtime::Store<sluice::state::ComponentState>) {
    let (version, mut store, instance) = service.instantiate().await.unwrap();
    let guest = stock::GuestIndices::new(&version.pre)
        .unwrap()
        .load(&mut store, &instance)
        .unwrap();
    (guest, store)
}

async fn reserve(service: &Service, id: &str, lines: &[(&str, u32)]) -> Result<(), stock::Error> {
    let (guest, mut store) = guest(service).await;
    let id = id.to_string();
    let lines: Vec<Line> = lines
        .iter()
        .map(|(sku, qty)| Line {
            sku: sku.to_string(),
            qty: *qty,
        })
        .collect();
    store
        .run_concurrent(async move |accessor| guest.call_reserve(accessor, id, lines).await)
        .await
        .unwrap()
        .unwrap()
}

async fn release(service: &Service, id: &str) -> Result<(), stock::Error> {
    let (guest, mut store) = guest(service).await;
    let id = id.to_string();
    store
        .run_concurrent(async move |accessor| guest.call_release(accessor, id).await)
        .await
        .unwrap()
        .unwrap()
}

async fn check(service: &Service, sku: &str) -> Result<u32, stock::Error> {
    let (guest, mut store) = guest(service).await;
    let sku = sku.to_string();
    store
        .run_concurrent(async move |accessor| guest.call_check(accessor, sku).await)
        .await
        .unwrap()
        .unwrap()
}

/// The error of a call that must fail.
fn refused<T: std::fmt::Debug>(result: Result<T, stock::Error>) -> stock::Error {
    result.expect_err("the call should have been refused")
}

/// Runs `calls` copies of `call(i)` at once, each on its own task.
async fn all_at_once<F, Fut, T>(calls: usize, call: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..calls).map(|i| tokio::spawn(call(i))).collect();
    let mut results = Vec::with_capacity(calls);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

const STOCK: i64 = 10;
const ATTEMPTS: usize = 300;

/// 300 concurrent reservations of one unit each against 10 in stock:
/// exactly 10 succeed, every other one is `insufficient`, none oversells.
async fn never_oversells(dialect: Dialect) {
    let catalog = Catalog::start(dialect).await;
    catalog.add_product("RACE-10", STOCK).await;
    let service = catalog.service.clone();
    let results = all_at_once(ATTEMPTS, |i| {
        let service = service.clone();
        async move { reserve(&service, &format!("race-{i}"), &[("RACE-10", 1)]).await }
    })
    .await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(stock::Error::Insufficient(sku)) if sku == "RACE-10"))
        .count();
    let others: Vec<_> = results
        .iter()
        .filter(|r| !matches!(r, Ok(()) | Err(stock::Error::Insufficient(_))))
        .collect();
    assert!(
        others.is_empty(),
        "{dialect:?}: unexpected results {others:?}"
    );
    assert_eq!(won, STOCK as usize, "{dialect:?}");
    assert_eq!(refused, ATTEMPTS - STOCK as usize, "{dialect:?}");
    assert_eq!(catalog.stock_in_db("RACE-10").await, 0, "{dialect:?}");
    assert_eq!(check(&catalog.service, "RACE-10").await.unwrap(), 0);
    assert_eq!(
        catalog
            .count("SELECT COUNT(*) FROM reservations WHERE state = 'held'")
            .await,
        STOCK,
        "{dialect:?}: one reservation per unit taken"
    );
    assert_eq!(
        catalog
            .count("SELECT COUNT(*) FROM reservation_lines WHERE qty = 1")
            .await,
        STOCK,
        "{dialect:?}: one line of one unit each"
    );
    catalog.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reservations_never_oversell_on_sqlite() {
    never_oversells(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reservations_never_oversell_on_postgres() {
    never_oversells(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reservations_never_oversell_on_mariadb() {
    never_oversells(Dialect::Mysql).await;
}

/// All-or-none, idempotent reserve and release, tombstones and the seeded
/// catalogue, on one engine.
async fn semantics(dialect: Dialect) {
    let catalog = Catalog::start(dialect).await;
    let service = &*catalog.service;

    // The seed is there (migration 2) and check reads it.
    assert!(catalog.count("SELECT COUNT(*) FROM products").await >= 50);
    assert_eq!(check(service, "COF-GRD-004").await.unwrap(), 35);
    let e = refused(check(service, "NOPE-1").await);
    assert!(
        matches!(&e, stock::Error::UnknownSku(s) if s == "NOPE-1"),
        "{e:?}"
    );

    catalog.add_product("MULTI-A", 5).await;
    catalog.add_product("MULTI-B", 2).await;

    // One line short: nothing is taken, no reservation is recorded.
    let e = refused(reserve(service, "multi-1", &[("MULTI-A", 3), ("MULTI-B", 3)]).await);
    assert!(
        matches!(&e, stock::Error::Insufficient(s) if s == "MULTI-B"),
        "{e:?}"
    );
    let e = refused(reserve(service, "multi-1", &[("MULTI-A", 3), ("NOPE-1", 1)]).await);
    assert!(
        matches!(&e, stock::Error::UnknownSku(s) if s == "NOPE-1"),
        "{e:?}"
    );
    assert_eq!(catalog.stock_in_db("MULTI-A").await, 5, "{dialect:?}");
    assert_eq!(catalog.stock_in_db("MULTI-B").await, 2, "{dialect:?}");
    assert_eq!(catalog.count("SELECT COUNT(*) FROM reservations").await, 0);

    // Cached stock (warmed by check) is invalidated by a reservation.
    assert_eq!(check(service, "MULTI-A").await.unwrap(), 5);
    reserve(service, "multi-1", &[("MULTI-A", 3), ("MULTI-B", 2)])
        .await
        .unwrap();
    assert_eq!(check(service, "MULTI-A").await.unwrap(), 2);
    assert_eq!(check(service, "MULTI-B").await.unwrap(), 0);

    // The same id again reserves nothing more; other lines under it conflict.
    reserve(service, "multi-1", &[("MULTI-B", 2), ("MULTI-A", 3)])
        .await
        .unwrap();
    assert!(matches!(
        reserve(service, "multi-1", &[("MULTI-A", 1)]).await,
        Err(stock::Error::Conflict(_))
    ));
    assert_eq!(catalog.stock_in_db("MULTI-A").await, 2, "{dialect:?}");

    // Release gives back once, however often it is called.
    release(service, "multi-1").await.unwrap();
    release(service, "multi-1").await.unwrap();
    assert_eq!(catalog.stock_in_db("MULTI-A").await, 5, "{dialect:?}");
    assert_eq!(catalog.stock_in_db("MULTI-B").await, 2, "{dialect:?}");
    assert_eq!(check(service, "MULTI-A").await.unwrap(), 5);
    assert!(matches!(
        reserve(service, "multi-1", &[("MULTI-A", 3), ("MULTI-B", 2)]).await,
        Err(stock::Error::Conflict(_))
    ));

    // A release that arrives before its reserve blocks the reserve.
    release(service, "early-1").await.unwrap();
    assert!(matches!(
        reserve(service, "early-1", &[("MULTI-A", 1)]).await,
        Err(stock::Error::Conflict(_))
    ));
    assert_eq!(catalog.stock_in_db("MULTI-A").await, 5, "{dialect:?}");

    // Invalid requests.
    assert!(matches!(
        reserve(service, "", &[("MULTI-A", 1)]).await,
        Err(stock::Error::Invalid(_))
    ));
    assert!(matches!(
        reserve(service, "zero", &[("MULTI-A", 0)]).await,
        Err(stock::Error::Invalid(_))
    ));

    // The same reservation sent many times at once is taken once; released
    // many times at once, it is given back once.
    let service = catalog.service.clone();
    let results = all_at_once(20, |_| {
        let service = service.clone();
        async move { reserve(&service, "dup-1", &[("MULTI-A", 2)]).await }
    })
    .await;
    assert!(
        results.iter().all(Result::is_ok),
        "{dialect:?}: {results:?}"
    );
    assert_eq!(catalog.stock_in_db("MULTI-A").await, 3, "{dialect:?}");
    let results = all_at_once(20, |_| {
        let service = service.clone();
        async move { release(&service, "dup-1").await }
    })
    .await;
    assert!(
        results.iter().all(Result::is_ok),
        "{dialect:?}: {results:?}"
    );
    assert_eq!(catalog.stock_in_db("MULTI-A").await, 5, "{dialect:?}");
    catalog.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserve_and_release_semantics_on_sqlite() {
    semantics(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserve_and_release_semantics_on_postgres() {
    semantics(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserve_and_release_semantics_on_mariadb() {
    semantics(Dialect::Mysql).await;
}

//! Stock control on the kit's test host (catalog's real SQL on SQLite):
//! all-or-none reserves, idempotent reserve and release per id, tombstones,
//! cache invalidation, and database failures. (Concurrency is proven on the
//! real engines, in host/tests/stock.rs.)

use crate::cached::{GENERATION_KEY, product_generation_key, product_key};
use crate::ports::{Cache, Level, SqlError};
use crate::reservations::{HELD, RELEASED};
use crate::stock::{Request, StockError, check, release, reserve};
use crate::testing::{CatalogRows, product, with_products};
use futures::FutureExt;
use futures::executor::block_on;
use sluice_kit::sql::Value;
use sluice_kit::testing::TestHost;
use std::cell::Cell;
use std::rc::Rc;

fn line(sku: &str, qty: u32) -> Request {
    Request {
        sku: sku.into(),
        qty,
    }
}

fn host() -> TestHost {
    with_products([product("A", 5), product("B", 2), product("C", 0)])
}

fn state(host: &TestHost, id: &str) -> Option<String> {
    host.db.state(id)
}

/// The units of `sku` recorded in reservation `id`'s lines.
fn line_qty(host: &TestHost, id: &str, sku: &str) -> Option<i64> {
    host.db.int(
        "SELECT qty FROM reservation_lines WHERE reservation_id = ? AND sku = ?",
        &[Value::Text(id.into()), Value::Text(sku.into())],
    )
}

fn count(host: &TestHost, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    host.db.int(&sql, &[]).unwrap()
}

#[test]
fn reserve_takes_every_line() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 2), line("B", 2)])).unwrap();
    assert_eq!(host.db.stock("A"), 3);
    assert_eq!(host.db.stock("B"), 0);
    assert_eq!(state(&host, "r1").as_deref(), Some(HELD));
    assert_eq!(line_qty(&host, "r1", "A"), Some(2));
    assert_eq!(line_qty(&host, "r1", "B"), Some(2));
    assert!(host.logged(Level::Info, "stock reserved"));
}

#[test]
fn reserve_is_all_or_none() {
    let host = host();
    // B has 2: the whole reservation fails and A keeps its 5.
    assert_eq!(
        block_on(reserve(&host, "r1", &[line("A", 1), line("B", 3)])),
        Err(StockError::Insufficient("B".into()))
    );
    assert_eq!(host.db.stock("A"), 5);
    assert_eq!(host.db.stock("B"), 2);
    assert_eq!(state(&host, "r1"), None, "no reservation recorded");
    assert_eq!(count(&host, "reservation_lines"), 0);

    assert_eq!(
        block_on(reserve(&host, "r2", &[line("A", 1), line("ZZZ", 1)])),
        Err(StockError::UnknownSku("ZZZ".into()))
    );
    assert_eq!(host.db.stock("A"), 5);
    assert_eq!(
        block_on(reserve(&host, "r3", &[line("C", 1)])),
        Err(StockError::Insufficient("C".into()))
    );
    // The failed ids are free for a real attempt.
    block_on(reserve(&host, "r1", &[line("A", 1), line("B", 2)])).unwrap();
    assert_eq!((host.db.stock("A"), host.db.stock("B")), (4, 0));
}

#[test]
fn repeated_skus_are_added_up() {
    let host = host();
    assert_eq!(
        block_on(reserve(&host, "r1", &[line("B", 1), line("B", 2)])),
        Err(StockError::Insufficient("B".into()))
    );
    block_on(reserve(&host, "r1", &[line("A", 2), line("A", 3)])).unwrap();
    assert_eq!(host.db.stock("A"), 0);
}

#[test]
fn reserving_the_same_id_twice_reserves_once() {
    let host = host();
    let lines = [line("B", 1), line("A", 2)];
    block_on(reserve(&host, "r1", &lines)).unwrap();
    block_on(reserve(&host, "r1", &lines)).unwrap();
    // Same lines in another order and split differently: the same request.
    block_on(reserve(
        &host,
        "r1",
        &[line("A", 1), line("A", 1), line("B", 1)],
    ))
    .unwrap();
    assert_eq!((host.db.stock("A"), host.db.stock("B")), (3, 1));
    // Other lines under the same id are refused and change nothing.
    assert!(matches!(
        block_on(reserve(&host, "r1", &[line("A", 1)])),
        Err(StockError::Conflict(_))
    ));
    assert_eq!((host.db.stock("A"), host.db.stock("B")), (3, 1));
}

#[test]
fn releasing_twice_releases_once() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 4), line("B", 1)])).unwrap();
    block_on(reserve(&host, "r2", &[line("A", 1)])).unwrap();
    assert_eq!(host.db.stock("A"), 0);
    block_on(release(&host, "r1")).unwrap();
    assert_eq!((host.db.stock("A"), host.db.stock("B")), (4, 2));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!((host.db.stock("A"), host.db.stock("B")), (4, 2));
    assert_eq!(state(&host, "r1").as_deref(), Some(RELEASED));
    assert_eq!(
        state(&host, "r2").as_deref(),
        Some(HELD),
        "others untouched"
    );
    // A released id is not reserved again.
    assert!(matches!(
        block_on(reserve(&host, "r1", &[line("A", 4), line("B", 1)])),
        Err(StockError::Conflict(_))
    ));
    assert_eq!(host.db.stock("A"), 4);
}

#[test]
fn releasing_an_unknown_id_blocks_a_late_reserve() {
    let host = host();
    block_on(release(&host, "late")).unwrap();
    assert_eq!(state(&host, "late").as_deref(), Some(RELEASED));
    assert!(matches!(
        block_on(reserve(&host, "late", &[line("A", 1)])),
        Err(StockError::Conflict(_))
    ));
    assert_eq!(host.db.stock("A"), 5);
    block_on(release(&host, "late")).unwrap();
    // Ids no reserve would accept hold nothing and leave no trace.
    block_on(release(&host, "")).unwrap();
    block_on(release(&host, &"x".repeat(200))).unwrap();
    assert_eq!(count(&host, "reservations"), 1);
}

#[test]
fn bad_requests_are_invalid() {
    let host = host();
    for (id, lines) in [
        ("", vec![line("A", 1)]),
        ("has space", vec![line("A", 1)]),
        ("r", vec![]),
        ("r", vec![line("A", 0)]),
    ] {
        assert!(
            matches!(
                block_on(reserve(&host, id, &lines)),
                Err(StockError::Invalid(_))
            ),
            "{id:?} {lines:?}"
        );
    }
    assert_eq!(
        host.db.statements().len(),
        0,
        "refused before touching the database"
    );
}

#[test]
fn check_reads_the_stock_through_the_cache() {
    let host = host();
    assert_eq!(block_on(check(&host, "A")), Ok(5));
    assert!(host.cached(&product_key("A", 0)).is_some());
    assert_eq!(
        block_on(check(&host, "NOPE")),
        Err(StockError::UnknownSku("NOPE".into()))
    );
    assert_eq!(
        block_on(check(&host, "not a sku")),
        Err(StockError::UnknownSku("not a sku".into()))
    );
}

#[test]
fn reserve_and_release_invalidate_and_never_read_the_cache() {
    let host = host();
    assert_eq!(block_on(check(&host, "A")), Ok(5));
    // Poison the cache: a reservation must not believe it.
    let poison =
        br#"{"sku":"B","name":"B","description":"","base_price":1,"currency":"USD","stock":1000}"#;
    block_on(host.cache_set(&product_key("B", 0), poison.to_vec(), 0)).unwrap();
    assert_eq!(
        block_on(reserve(&host, "r1", &[line("B", 3)])),
        Err(StockError::Insufficient("B".into()))
    );
    let before = host.cache_ops().len();
    block_on(reserve(&host, "r2", &[line("A", 2)])).unwrap();
    let ops = host.cache_ops()[before..].to_vec();
    assert_eq!(
        ops,
        [
            format!("increment {}", product_generation_key("A")),
            format!("increment {GENERATION_KEY}")
        ]
    );
    assert_eq!(
        host.cached(&product_generation_key("A")),
        Some(b"1".to_vec())
    );
    assert_eq!(block_on(check(&host, "A")), Ok(3), "fresh after the change");
    assert!(host.cached(&product_key("A", 1)).is_some());
    block_on(release(&host, "r2")).unwrap();
    assert_eq!(block_on(check(&host, "A")), Ok(5));
}

#[test]
fn a_reader_that_read_before_a_reserve_cannot_cache_the_old_stock() {
    // Pricing's `products.lookup` reads A (stock 5) from the database;
    // before it writes that back, an order's reserve commits and
    // invalidates A.
    let host = host();
    let raced = Rc::new(Cell::new(false));
    let ran = raced.clone();
    host.before_next_cache_set(move |h| {
        reserve(h, "r1", &[line("A", 2)])
            .now_or_never()
            .expect("the test host never waits")
            .unwrap();
        ran.set(true);
    });
    let read = block_on(crate::lookup::lookup(&host, "A"))
        .unwrap()
        .unwrap();
    assert_eq!(read.stock, 5, "it read before the reserve");
    assert_eq!(host.db.stock("A"), 3);
    assert!(raced.get(), "the race ran");
    // Its old value landed under a generation nobody reads any more.
    assert!(host.cached(&product_key("A", 0)).is_some());
    assert_eq!(block_on(check(&host, "A")), Ok(3), "not the stock before");
    let reads = host.db.statements().len();
    assert_eq!(block_on(check(&host, "A")), Ok(3));
    assert_eq!(host.db.statements().len(), reads, "and cached again");
}

#[test]
fn a_reader_that_read_before_a_release_cannot_cache_the_old_stock() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 2)])).unwrap();
    host.before_next_cache_set(|h| {
        release(h, "r1")
            .now_or_never()
            .expect("the test host never waits")
            .unwrap();
    });
    assert_eq!(
        block_on(check(&host, "A")),
        Ok(3),
        "read before the release"
    );
    assert_eq!(host.db.stock("A"), 5);
    assert_eq!(block_on(check(&host, "A")), Ok(5), "not the stock before");
}

#[test]
fn a_cache_outage_does_not_stop_reservations() {
    let host = host();
    host.cache_off(true);
    block_on(reserve(&host, "r1", &[line("A", 1)])).unwrap();
    assert_eq!(block_on(check(&host, "A")), Ok(4));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!(host.db.stock("A"), 5);
}

#[test]
fn database_failures_are_unavailable_and_change_nothing() {
    let host = host();
    host.db
        .fail_with(Some(SqlError::Unavailable("down".into())));
    assert!(matches!(
        block_on(reserve(&host, "r1", &[line("A", 1)])),
        Err(StockError::Unavailable(_))
    ));
    assert!(matches!(
        block_on(release(&host, "r1")),
        Err(StockError::Unavailable(_))
    ));
    host.set("cache", "off");
    assert!(matches!(
        block_on(check(&host, "A")),
        Err(StockError::Unavailable(_))
    ));
    host.db.fail_with(None);
    assert_eq!(host.db.stock("A"), 5);
    assert!(host.logged(Level::Warn, "stock operation failed"));
}

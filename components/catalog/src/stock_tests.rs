//! Stock control against the in-memory fake host: all-or-none reserves,
//! idempotent reserve and release per id, tombstones, cache invalidation,
//! and database failures. (Concurrency is proven on the real engines, in
//! host/tests/stock.rs.)

use crate::cached::{GENERATION_KEY, product_generation_key, product_key};
use crate::ports::{Level, SqlError};
use crate::reservations::{HELD, RELEASED};
use crate::stock::{Request, StockError, check, release, reserve};
use crate::testing::{FakeHost, product};
use futures::FutureExt;
use futures::executor::block_on;

fn line(sku: &str, qty: u32) -> Request {
    Request {
        sku: sku.into(),
        qty,
    }
}

fn host() -> FakeHost {
    FakeHost::with_products([product("A", 5), product("B", 2), product("C", 0)])
}

fn state(host: &FakeHost, id: &str) -> Option<String> {
    host.state(id)
}

#[test]
fn reserve_takes_every_line() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 2), line("B", 2)])).unwrap();
    assert_eq!(host.stock("A"), 3);
    assert_eq!(host.stock("B"), 0);
    assert_eq!(state(&host, "r1").as_deref(), Some(HELD));
    let lines = host.db.borrow().lines.clone();
    assert_eq!(lines[&("r1".to_string(), "A".to_string())], 2);
    assert_eq!(lines[&("r1".to_string(), "B".to_string())], 2);
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
    assert_eq!(host.stock("A"), 5);
    assert_eq!(host.stock("B"), 2);
    assert_eq!(state(&host, "r1"), None, "no reservation recorded");
    assert!(host.db.borrow().lines.is_empty());

    assert_eq!(
        block_on(reserve(&host, "r2", &[line("A", 1), line("ZZZ", 1)])),
        Err(StockError::UnknownSku("ZZZ".into()))
    );
    assert_eq!(host.stock("A"), 5);
    assert_eq!(
        block_on(reserve(&host, "r3", &[line("C", 1)])),
        Err(StockError::Insufficient("C".into()))
    );
    // The failed ids are free for a real attempt.
    block_on(reserve(&host, "r1", &[line("A", 1), line("B", 2)])).unwrap();
    assert_eq!((host.stock("A"), host.stock("B")), (4, 0));
}

#[test]
fn repeated_skus_are_added_up() {
    let host = host();
    assert_eq!(
        block_on(reserve(&host, "r1", &[line("B", 1), line("B", 2)])),
        Err(StockError::Insufficient("B".into()))
    );
    block_on(reserve(&host, "r1", &[line("A", 2), line("A", 3)])).unwrap();
    assert_eq!(host.stock("A"), 0);
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
    assert_eq!((host.stock("A"), host.stock("B")), (3, 1));
    // Other lines under the same id are refused and change nothing.
    assert!(matches!(
        block_on(reserve(&host, "r1", &[line("A", 1)])),
        Err(StockError::Conflict(_))
    ));
    assert_eq!((host.stock("A"), host.stock("B")), (3, 1));
}

#[test]
fn releasing_twice_releases_once() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 4), line("B", 1)])).unwrap();
    block_on(reserve(&host, "r2", &[line("A", 1)])).unwrap();
    assert_eq!(host.stock("A"), 0);
    block_on(release(&host, "r1")).unwrap();
    assert_eq!((host.stock("A"), host.stock("B")), (4, 2));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!((host.stock("A"), host.stock("B")), (4, 2));
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
    assert_eq!(host.stock("A"), 4);
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
    assert_eq!(host.stock("A"), 5);
    block_on(release(&host, "late")).unwrap();
    // Ids no reserve would accept hold nothing and leave no trace.
    block_on(release(&host, "")).unwrap();
    block_on(release(&host, &"x".repeat(200))).unwrap();
    assert_eq!(host.db.borrow().reservations.len(), 1);
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
    assert_eq!(host.sql_count(), 0, "refused before touching the database");
}

#[test]
fn check_reads_the_stock_through_the_cache() {
    let host = host();
    assert_eq!(block_on(check(&host, "A")), Ok(5));
    assert!(host.cache.borrow().contains_key(&product_key("A", 0)));
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
    host.cache.borrow_mut().insert(
        product_key("B", 0),
        br#"{"sku":"B","name":"B","description":"","base_price":1,"currency":"USD","stock":1000}"#
            .to_vec(),
    );
    assert_eq!(
        block_on(reserve(&host, "r1", &[line("B", 3)])),
        Err(StockError::Insufficient("B".into()))
    );
    let before = host.cache_ops.borrow().len();
    block_on(reserve(&host, "r2", &[line("A", 2)])).unwrap();
    let ops = host.cache_ops.borrow()[before..].to_vec();
    assert_eq!(
        ops,
        [
            format!("increment {}", product_generation_key("A")),
            format!("increment {GENERATION_KEY}")
        ]
    );
    assert_eq!(host.cache.borrow()[&product_generation_key("A")], b"1");
    assert_eq!(block_on(check(&host, "A")), Ok(3), "fresh after the change");
    assert!(host.cache.borrow().contains_key(&product_key("A", 1)));
    block_on(release(&host, "r2")).unwrap();
    assert_eq!(block_on(check(&host, "A")), Ok(5));
}

#[test]
fn a_reader_that_read_before_a_reserve_cannot_cache_the_old_stock() {
    // Pricing's `products.lookup` reads A (stock 5) from the database;
    // before it writes that back, an order's reserve commits and
    // invalidates A.
    let host = host();
    host.before_next_cache_set(|h| {
        reserve(h, "r1", &[line("A", 2)])
            .now_or_never()
            .expect("the fake never waits")
            .unwrap();
    });
    let read = block_on(crate::lookup::lookup(&host, "A"))
        .unwrap()
        .unwrap();
    assert_eq!(read.stock, 5, "it read before the reserve");
    assert_eq!(host.stock("A"), 3);
    assert!(host.before_cache_set.borrow().is_empty(), "the race ran");
    // Its old value landed under a generation nobody reads any more.
    assert!(host.cache.borrow().contains_key(&product_key("A", 0)));
    assert_eq!(block_on(check(&host, "A")), Ok(3), "not the stock before");
    let reads = host.sql_count();
    assert_eq!(block_on(check(&host, "A")), Ok(3));
    assert_eq!(host.sql_count(), reads, "and cached again");
}

#[test]
fn a_reader_that_read_before_a_release_cannot_cache_the_old_stock() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 2)])).unwrap();
    host.before_next_cache_set(|h| {
        release(h, "r1")
            .now_or_never()
            .expect("the fake never waits")
            .unwrap();
    });
    assert_eq!(
        block_on(check(&host, "A")),
        Ok(3),
        "read before the release"
    );
    assert_eq!(host.stock("A"), 5);
    assert_eq!(block_on(check(&host, "A")), Ok(5), "not the stock before");
}

#[test]
fn a_cache_outage_does_not_stop_reservations() {
    let host = host();
    host.cache_down.set(true);
    block_on(reserve(&host, "r1", &[line("A", 1)])).unwrap();
    assert_eq!(block_on(check(&host, "A")), Ok(4));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!(host.stock("A"), 5);
}

#[test]
fn database_failures_are_unavailable_and_change_nothing() {
    let host = host();
    host.fail_sql(Some(SqlError::Unavailable("down".into())));
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
    host.fail_sql(None);
    assert_eq!(host.stock("A"), 5);
    assert!(host.logged(Level::Warn, "stock operation failed"));
}

//! The life of a stock hold on the kit's test host (catalog's real SQL on
//! SQLite): when it ends (the `hold_ms` setting), confirm, release of a
//! confirmed reservation, the expiry sweep, and the races between them,
//! played out by writing "another instance's" change just before a batch.
//! (Row locks on the real engines are the host tests' business.)

use crate::cached::{GENERATION_KEY, product_generation_key};
use crate::holds::{DEFAULT_HOLD_MS, SWEEP_LIMIT, expire};
use crate::ports::{Level, SqlError};
use crate::reservations::{CONFIRMED, HELD, RELEASED};
use crate::stock::{Request, StockError, check, confirm, release, reserve};
use crate::testing::{CatalogRows, product, with_products};
use futures::executor::block_on;
use sluice_kit::sql::Value;
use sluice_kit::testing::{Db, START_MS, TestHost};

/// The fake clock before any test moves it, as the database stores times.
const NOW: i64 = START_MS as i64;

fn line(sku: &str, qty: u32) -> Request {
    Request {
        sku: sku.into(),
        qty,
    }
}

fn host() -> TestHost {
    with_products([product("A", 5), product("B", 2)])
}

fn hold(host: &TestHost, id: &str, sku: &str, qty: u32) {
    block_on(reserve(host, id, &[line(sku, qty)])).unwrap();
}

fn state(host: &TestHost, id: &str) -> Option<String> {
    host.db.state(id)
}

fn stock(host: &TestHost) -> (i64, i64) {
    (host.db.stock("A"), host.db.stock("B"))
}

/// Another instance moved `id` to `to` (without touching stock).
fn moved_meanwhile(id: &'static str, to: &'static str) -> impl FnOnce(&Db) {
    move |db: &Db| {
        db.exec(
            "UPDATE reservations SET state = ? WHERE id = ?",
            &[Value::Text(to.into()), Value::Text(id.into())],
        );
    }
}

fn warnings_about_hold_ms(host: &TestHost) -> usize {
    host.logs()
        .iter()
        .filter(|(level, message, _)| *level == Level::Warn && message.contains("hold_ms"))
        .count()
}

#[test]
fn a_hold_ends_hold_ms_after_it_was_made() {
    let host = host();
    hold(&host, "r1", "A", 1);
    assert_eq!(host.db.expires_at("r1"), Some(NOW + DEFAULT_HOLD_MS));
    assert_eq!(DEFAULT_HOLD_MS, 60_000);
    host.set("hold_ms", "5000");
    hold(&host, "r2", "A", 1);
    assert_eq!(host.db.expires_at("r2"), Some(NOW + 5_000));
    // The bounds are allowed, and spaces around the number are ignored.
    for (id, setting, ms) in [
        ("r3", "1000", 1_000),
        ("r4", "86400000", 86_400_000),
        ("r5", " 2500 ", 2_500),
    ] {
        host.set("hold_ms", setting);
        hold(&host, id, "A", 1);
        assert_eq!(host.db.expires_at(id), Some(NOW + ms), "{setting:?}");
    }
    assert_eq!(warnings_about_hold_ms(&host), 0);
    // A tombstone holds nothing, so it has no end.
    block_on(release(&host, "gone")).unwrap();
    assert_eq!(state(&host, "gone").as_deref(), Some(RELEASED));
    assert_eq!(host.db.expires_at("gone"), None);
}

#[test]
fn a_bad_hold_ms_falls_back_to_the_default_with_one_warning() {
    for bad in ["", "soon", "999", "86400001", "-60000", "1.5", "60000ms"] {
        let host = host();
        host.set("hold_ms", bad);
        hold(&host, "r1", "A", 1);
        assert_eq!(
            host.db.expires_at("r1"),
            Some(NOW + DEFAULT_HOLD_MS),
            "{bad:?}"
        );
        assert_eq!(warnings_about_hold_ms(&host), 1, "{bad:?}");
    }
}

#[test]
fn a_confirmed_reservation_keeps_its_units_until_released_once() {
    let host = host();
    block_on(reserve(&host, "r1", &[line("A", 2), line("B", 1)])).unwrap();
    block_on(confirm(&host, "r1")).unwrap();
    assert_eq!(state(&host, "r1").as_deref(), Some(CONFIRMED));
    assert_eq!(stock(&host), (3, 1));
    assert!(host.logged(Level::Info, "stock confirmed"));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!(stock(&host), (5, 2));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!(stock(&host), (5, 2), "given back once");
    assert_eq!(state(&host, "r1").as_deref(), Some(RELEASED));
}

#[test]
fn confirming_twice_is_fine_and_a_late_reserve_retry_still_matches() {
    let host = host();
    hold(&host, "r1", "A", 2);
    block_on(confirm(&host, "r1")).unwrap();
    block_on(confirm(&host, "r1")).unwrap();
    assert_eq!(state(&host, "r1").as_deref(), Some(CONFIRMED));
    assert_eq!(host.db.stock("A"), 3);
    // A retried reserve that arrives after the confirm takes nothing more.
    block_on(reserve(&host, "r1", &[line("A", 2)])).unwrap();
    assert_eq!(host.db.stock("A"), 3);
    assert!(matches!(
        block_on(reserve(&host, "r1", &[line("A", 1)])),
        Err(StockError::Conflict(_))
    ));
    assert_eq!(state(&host, "r1").as_deref(), Some(CONFIRMED));
}

#[test]
fn a_released_or_unknown_id_cannot_be_confirmed() {
    let host = host();
    hold(&host, "r1", "A", 2);
    block_on(release(&host, "r1")).unwrap();
    match block_on(confirm(&host, "r1")) {
        Err(StockError::Conflict(m)) => assert!(m.contains("was released"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(host.db.stock("A"), 5);
    assert_eq!(state(&host, "r1").as_deref(), Some(RELEASED));

    match block_on(confirm(&host, "never")) {
        Err(StockError::Conflict(m)) => assert!(m.contains("never reserved"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(state(&host, "never"), None, "a confirm records nothing");

    // Released before it was reserved (a tombstone): released too.
    block_on(release(&host, "early")).unwrap();
    assert!(matches!(
        block_on(confirm(&host, "early")),
        Err(StockError::Conflict(_))
    ));

    let before = host.db.statements().len();
    for bad in ["", "a b", &"x".repeat(129)] {
        assert!(
            matches!(block_on(confirm(&host, bad)), Err(StockError::Invalid(_))),
            "{bad:?}"
        );
    }
    assert_eq!(
        host.db.statements().len(),
        before,
        "refused before the database"
    );
}

#[test]
fn expire_releases_only_holds_past_their_end() {
    let host = host();
    hold(&host, "old", "A", 2); // ends at NOW + 60 s
    hold(&host, "kept", "A", 1);
    block_on(confirm(&host, "kept")).unwrap();
    host.advance(30_000);
    hold(&host, "young", "B", 1); // ends at NOW + 90 s
    assert_eq!(stock(&host), (2, 1));

    assert_eq!(block_on(expire(&host)), Ok(0), "nothing has ended");
    host.advance(30_000);
    assert_eq!(block_on(expire(&host)), Ok(0), "ends at, not before, now");
    host.advance(1);
    assert_eq!(block_on(expire(&host)), Ok(1));
    assert_eq!(state(&host, "old").as_deref(), Some(RELEASED));
    assert_eq!(state(&host, "kept").as_deref(), Some(CONFIRMED));
    assert_eq!(state(&host, "young").as_deref(), Some(HELD));
    assert_eq!(stock(&host), (4, 1));
    let logged = host.logs().iter().any(|(level, message, fields)| {
        *level == Level::Info
            && message == "expired hold released"
            && fields.contains(&("reservation".to_string(), "old".to_string()))
    });
    assert!(logged);

    // Once only: the next run finds nothing, and a release changes nothing.
    assert_eq!(block_on(expire(&host)), Ok(0));
    block_on(release(&host, "old")).unwrap();
    assert_eq!(stock(&host), (4, 1));
    // What it was for must fail: its units are not taken any more.
    assert!(matches!(
        block_on(confirm(&host, "old")),
        Err(StockError::Conflict(_))
    ));
    assert_eq!(state(&host, "old").as_deref(), Some(RELEASED));

    // The confirmed one never expires.
    host.advance(10 * 86_400_000);
    assert_eq!(block_on(expire(&host)), Ok(1), "young");
    assert_eq!(state(&host, "kept").as_deref(), Some(CONFIRMED));
    assert_eq!(stock(&host), (4, 2));
}

#[test]
fn expire_tells_the_cache_about_what_it_gave_back() {
    let host = host();
    hold(&host, "r1", "A", 1);
    hold(&host, "r2", "B", 1);
    assert_eq!(block_on(check(&host, "A")), Ok(4));
    host.advance(60_001);
    let mark = host.cache_ops().len();
    assert_eq!(block_on(expire(&host)), Ok(2));
    let ops = host.cache_ops()[mark..].to_vec();
    assert_eq!(
        ops,
        [
            format!("increment {}", product_generation_key("A")),
            format!("increment {}", product_generation_key("B")),
            format!("increment {GENERATION_KEY}")
        ]
    );
    assert_eq!(block_on(check(&host, "A")), Ok(5), "fresh after the sweep");
    // Nothing given back, nothing to tell.
    let mark = host.cache_ops().len();
    assert_eq!(block_on(expire(&host)), Ok(0));
    assert_eq!(host.cache_ops().len(), mark);
}

#[test]
fn a_hold_past_its_end_can_be_confirmed_until_swept() {
    let host = host();
    hold(&host, "r1", "A", 2);
    host.advance(120_000);
    block_on(confirm(&host, "r1")).unwrap();
    assert_eq!(block_on(expire(&host)), Ok(0));
    assert_eq!(state(&host, "r1").as_deref(), Some(CONFIRMED));
    assert_eq!(host.db.stock("A"), 3);
}

#[test]
fn a_confirm_that_commits_first_wins_over_the_sweep() {
    let host = host();
    hold(&host, "r1", "A", 2);
    host.advance(60_001);
    // The sweep has listed r1; a confirm commits before its transaction.
    host.db.before_next_batch(moved_meanwhile("r1", CONFIRMED));
    assert_eq!(block_on(expire(&host)), Ok(0), "skipped, not counted");
    assert_eq!(state(&host, "r1").as_deref(), Some(CONFIRMED));
    assert_eq!(host.db.stock("A"), 3, "its units stay taken");
    assert!(!host.logged(Level::Info, "expired hold released"));
}

#[test]
fn a_sweep_racing_a_release_gives_back_once() {
    let host = host();
    hold(&host, "r1", "A", 2);
    host.advance(60_001);
    // Another instance releases r1 (and gives its units back) first.
    host.db.before_next_batch(|db| {
        db.exec(
            "UPDATE reservations SET state = ? WHERE id = 'r1'",
            &[Value::Text(RELEASED.into())],
        );
        db.exec("UPDATE products SET stock = stock + 2 WHERE sku = 'A'", &[]);
    });
    assert_eq!(block_on(expire(&host)), Ok(0));
    assert_eq!(host.db.stock("A"), 5);
}

#[test]
fn a_release_that_read_held_still_releases_once_confirmed() {
    let host = host();
    hold(&host, "r1", "A", 2);
    // Release read "held"; a confirm commits before its transaction.
    host.db.before_next_batch(moved_meanwhile("r1", CONFIRMED));
    block_on(release(&host, "r1")).unwrap();
    assert_eq!(state(&host, "r1").as_deref(), Some(RELEASED));
    assert_eq!(host.db.stock("A"), 5);
    block_on(release(&host, "r1")).unwrap();
    assert_eq!(host.db.stock("A"), 5);
}

#[test]
fn a_sweep_releases_at_most_sweep_limit_holds_oldest_first() {
    let host = with_products([product("A", 1_000)]);
    for i in 0..=SWEEP_LIMIT {
        hold(&host, &format!("r{i:03}"), "A", 1);
        host.advance(1);
    }
    host.advance(60_000);
    assert_eq!(block_on(expire(&host)), Ok(SWEEP_LIMIT));
    let last = format!("r{SWEEP_LIMIT:03}");
    assert_eq!(
        state(&host, &last).as_deref(),
        Some(HELD),
        "the youngest waits"
    );
    assert_eq!(block_on(expire(&host)), Ok(1));
    assert_eq!(host.db.stock("A"), 1_000);
}

#[test]
fn a_database_failure_stops_the_sweep_as_unavailable() {
    let host = host();
    hold(&host, "r1", "A", 1);
    host.advance(1);
    hold(&host, "r2", "B", 1);
    host.advance(60_001);

    host.db
        .fail_with(Some(SqlError::Unavailable("down".into())));
    assert!(matches!(
        block_on(expire(&host)),
        Err(StockError::Unavailable(_))
    ));
    host.db.fail_with(None);
    assert_eq!(stock(&host), (4, 1));

    // r1 goes back, then the database goes away before r2.
    host.db.before_next_batch(|_| {});
    host.db
        .before_next_batch(|db| db.fail_with(Some(SqlError::Unavailable("down".into()))));
    let mark = host.cache_ops().len();
    assert!(matches!(
        block_on(expire(&host)),
        Err(StockError::Unavailable(_))
    ));
    host.db.fail_with(None);
    assert_eq!(state(&host, "r1").as_deref(), Some(RELEASED));
    assert_eq!(state(&host, "r2").as_deref(), Some(HELD));
    assert_eq!(stock(&host), (5, 1));
    assert!(
        host.cache_ops()[mark..].contains(&format!("increment {}", product_generation_key("A"))),
        "what was given back is still invalidated"
    );
    assert!(host.logged(Level::Warn, "stock operation failed"));

    // The next run picks up the rest.
    assert_eq!(block_on(expire(&host)), Ok(1));
    assert_eq!(stock(&host), (5, 2));
}

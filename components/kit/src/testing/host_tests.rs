//! [`TestHost`]'s fakes: clock and pauses, cache, tokens, settings, log,
//! and handing ports on with `delegate_ports!`.

use std::cell::Cell;
use std::rc::Rc;

use futures::FutureExt;
use futures::executor::block_on;

use super::{DEFAULT_CACHE_TTL_MS, START_MS, TestHost};
use crate::ports::*;
use crate::token::fake_claims;

fn host() -> TestHost {
    TestHost::new(&[])
}

#[test]
fn the_clock_moves_only_when_told_and_pauses_move_it() {
    let host = host();
    assert_eq!(host.now_ms(), START_MS);
    host.advance(250);
    assert_eq!(host.now_ms(), START_MS + 250);
    host.set_now(5);
    block_on(host.sleep_ms(40));
    block_on(host.sleep_ms(60));
    assert_eq!((host.now_ms(), host.slept()), (105, vec![40, 60]));
}

#[test]
fn cache_entries_expire_on_the_fake_clock() {
    let host = host();
    let get = |key| block_on(host.cache_get(key)).unwrap();
    block_on(host.cache_set("k", b"v".to_vec(), 100)).unwrap();
    block_on(host.cache_set("default", b"d".to_vec(), 0)).unwrap();
    host.advance(99);
    assert_eq!(get("k"), Some(b"v".to_vec()));
    host.advance(1);
    assert_eq!((get("k"), host.cached("k")), (None, None));
    host.advance(DEFAULT_CACHE_TTL_MS - 101);
    assert_eq!(
        host.cached("default"),
        Some(b"d".to_vec()),
        "ttl 0: the host's default"
    );
    host.advance(1);
    assert_eq!(get("default"), None);
    block_on(host.cache_set("k", b"v".to_vec(), 10)).unwrap();
    block_on(host.cache_delete("k")).unwrap();
    assert_eq!(get("k"), None);
}

#[test]
fn increments_count_from_zero_and_keep_their_expiry() {
    let host = host();
    let inc = |delta, ttl| block_on(host.cache_increment("n", delta, ttl));
    assert_eq!(inc(3, 100), Ok(3));
    host.advance(60);
    assert_eq!(inc(-1, 100), Ok(2));
    assert_eq!(host.cached("n"), Some(b"2".to_vec()));
    host.advance(40);
    assert_eq!(inc(5, 100), Ok(5), "expired at 100 ms: created again");
    block_on(host.cache_set("n", b"x1".to_vec(), 0)).unwrap();
    assert_eq!(inc(1, 0), Err(CacheError::NotANumber));
    block_on(host.cache_set("n", i64::MAX.to_string().into_bytes(), 0)).unwrap();
    assert_eq!(inc(1, 0), Err(CacheError::NotANumber), "overflow");
}

#[test]
fn a_cache_switched_off_is_unavailable_and_ops_are_recorded() {
    let host = host();
    block_on(host.cache_set("k", b"v".to_vec(), 0)).unwrap();
    host.cache_off(true);
    let off = Err(CacheError::Unavailable("cache is off".into()));
    assert_eq!(block_on(host.cache_get("k")), off.clone().map(|()| None));
    assert_eq!(block_on(host.cache_delete("k")), off.clone());
    assert_eq!(block_on(host.cache_increment("i", 1, 0)), off.map(|()| 0));
    assert_eq!(host.cached("k"), Some(b"v".to_vec()), "kept while off");
    host.cache_off(false);
    assert_eq!(block_on(host.cache_get("k")), Ok(Some(b"v".to_vec())));
    assert_eq!(
        host.cache_ops(),
        ["set k", "get k", "delete k", "increment i", "get k"]
    );
}

#[test]
fn another_instance_acts_once_just_before_the_next_cache_write() {
    let host = host();
    let runs = Rc::new(Cell::new(0));
    let counted = runs.clone();
    host.before_next_cache_set(move |host| {
        counted.set(counted.get() + 1);
        assert_eq!(host.cached("k"), None, "before the write");
        let write = host.cache_set("k", b"theirs".to_vec(), 0);
        write.now_or_never().unwrap().unwrap();
    });
    block_on(host.cache_get("k")).unwrap();
    assert_eq!(runs.get(), 0, "not before other calls");
    block_on(host.cache_set("k", b"ours".to_vec(), 0)).unwrap();
    block_on(host.cache_set("k", b"again".to_vec(), 0)).unwrap();
    assert_eq!(runs.get(), 1);
    assert_eq!(host.cached("k"), Some(b"again".to_vec()));
    assert_eq!(host.cache_ops(), ["get k", "set k", "set k", "set k"]);
}

#[test]
fn fake_tokens_are_valid_for_fifteen_minutes_from_now() {
    let host = host();
    let token = "tok|u1|admin|acme|tier=gold";
    let expected = fake_claims(token, START_MS / 1000 + 900);
    assert_eq!(host.verify_token(token), expected);
    assert_eq!(expected.unwrap().expires_at, 1_700_000_900);
    assert_eq!(host.verify_token("expired"), Err(TokenError::Expired));
    assert_eq!(host.verify_token("nope"), Err(TokenError::Invalid));
}

#[test]
fn settings_are_set_and_unset() {
    let host = host();
    assert_eq!(host.setting("limit"), None);
    host.set("limit", "5");
    assert_eq!(host.setting("limit"), Some("5".into()));
    host.unset("limit");
    assert_eq!(host.setting("limit"), None);
}

#[test]
fn logs_are_kept_and_searched_by_level_message_and_field_values() {
    let host = host();
    host.log(Level::Warn, "cache down", &[("key", "product:A")]);
    assert_eq!(
        host.logs(),
        [(
            Level::Warn,
            "cache down".to_string(),
            vec![("key".to_string(), "product:A".to_string())]
        )]
    );
    assert!(host.logged(Level::Warn, "down"));
    assert!(host.logged(Level::Warn, "product:A"));
    assert!(
        !host.logged(Level::Warn, "key"),
        "field names are not searched"
    );
    assert!(!host.logged(Level::Error, "down"));
}

#[test]
fn sql_goes_to_the_database() {
    let host = host();
    let rows = block_on(host.query("SELECT 1 AS one", vec![])).unwrap();
    assert_eq!(rows.rows, [[Value::Integer(1)]]);
    assert_eq!(block_on(host.execute("CREATE TABLE t (x)", vec![])), Ok(0));
    let insert = Statement::expect("INSERT INTO t VALUES (?)", vec![Value::Integer(4)], 1);
    assert_eq!(block_on(host.batch(vec![insert])), Ok(vec![1]));
    assert_eq!(host.db.int("SELECT x FROM t", &[]), Some(4));
    assert_eq!(host.db.calls(), 3);
}

/// A service's own test host: the shared ports from its `TestHost`, one of
/// its own by hand.
struct ServiceHost {
    shared: TestHost,
}

crate::delegate_ports!(ServiceHost => shared: Sql, Cache, Clock, Log, Tokens, Settings, Pause);

fn uses_every_port(
    host: &(impl Sql + Cache + Clock + Log + Tokens + Settings + Pause),
) -> (u64, Option<String>) {
    block_on(async {
        host.execute("CREATE TABLE t (x)", vec![]).await.unwrap();
        host.cache_set("k", b"v".to_vec(), 0).await.unwrap();
        host.sleep_ms(7).await;
        host.log(Level::Info, "done", &[]);
        host.verify_token("tok|u|r|t").unwrap();
        (host.now_ms(), host.setting("s"))
    })
}

#[test]
fn delegated_ports_reach_the_test_host() {
    let service = ServiceHost { shared: host() };
    service.shared.set("s", "v");
    assert_eq!(uses_every_port(&service), (START_MS + 7, Some("v".into())));
    assert_eq!(service.shared.db.statements(), ["CREATE TABLE t (x)"]);
    assert_eq!(service.shared.cached("k"), Some(b"v".to_vec()));
    assert!(service.shared.logged(Level::Info, "done"));
}

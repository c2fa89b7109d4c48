//! Tests of an order's life after its pending row is written, on the test
//! host (SQLite shards, fakes of catalog and pricing): confirming the stock
//! hold, what a failed or abandoned order gives back (and who gives it
//! back), housekeeping, and cancels, through `handler::handle` and
//! `housekeeping::run`.

use crate::flow_tests::{
    ADMIN, ALICE, BOB, assert_error, assert_nothing_held, dead_request, get, items, json_of,
    pending_row, placed, post, s1, send,
};
use crate::handler::handle;
use crate::lifecycle;
use crate::ports::{Level, QuoteError, SqlError, Stock, StockError, Value};
use crate::settle::{self, Settled};
use crate::shard;
use crate::testing::{Hold, OrderHost};
use crate::{housekeeping, store};
use futures::executor::block_on;
use serde_json::{Value as Json, json};
use sluice_kit::reply::Reply;
use sluice_kit::testing::{START_MS, request};
use sluice_kit::times::rfc3339_millis;

const MINUTE: u64 = 60_000;

fn cancel(host: &OrderHost, auth: &str, id: &str) -> Reply {
    let path = format!("/api/orders/{id}/cancel");
    send(host, "POST", &path, &[("authorization", auth)], b"")
}

fn housekeep(host: &OrderHost) -> Result<u32, String> {
    block_on(housekeeping::run(host))
}

fn id_of(order: &Json) -> String {
    order["id"].as_str().unwrap().to_string()
}

fn status_of(host: &OrderHost, id: &str) -> Option<String> {
    host.order_row(id).map(|o| o.status)
}

/// Alice's order of 2 x S-1, priced by the capped promotion
/// `p1` (10 units left), placed at the fake clock's now.
fn promoted_order(host: &OrderHost) -> String {
    host.add_promotion("p1", "S-1", 500, Some(10));
    let order = placed(&post(host, ALICE, None, items(&[("S-1", 2)])));
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (98, Some(8))
    );
    id_of(&order)
}

#[test]
fn a_placed_order_confirms_its_hold() {
    for key in [None, Some("k-1")] {
        let host = OrderHost::new(2);
        let id = id_of(&placed(&post(&host, ALICE, key, items(&[("S-1", 1)]))));
        assert_eq!(*host.confirm_calls.borrow(), [id.as_str()]);
        assert_eq!(host.hold(&id), Some(Hold::Confirmed));
        // A confirmed hold does not expire.
        host.expire_hold(&id);
        assert_eq!(host.hold(&id), Some(Hold::Confirmed));
        assert_eq!(host.in_stock("S-1"), 99);
        let row = host.order_row(&id).unwrap();
        assert_eq!(
            (row.status.as_str(), row.key.as_deref()),
            ("confirmed", key)
        );
    }
    // Orders without a key all have a NULL key: they never collide.
    let host = OrderHost::new(1);
    for _ in 0..3 {
        placed(&post(&host, ALICE, None, items(&[("S-1", 1)])));
    }
    assert_eq!(host.all_orders().len(), 3);
}

#[test]
fn every_order_writes_its_pending_row_before_reserving() {
    let host = OrderHost::new(1);
    host.shards[0].fail_with(Some(SqlError::Unavailable("down".into())));
    let reply = post(&host, ALICE, None, items(&[("S-1", 1)]));
    assert_error(&reply, 503, "unavailable");
    assert!(host.reserve_calls.borrow().is_empty());
    assert_nothing_held(&host);
}

#[test]
fn an_expired_hold_is_503_and_everything_is_given_back() {
    for key in [None, Some("k-1")] {
        let host = OrderHost::new(1);
        host.add_promotion("p1", "S-1", 500, Some(10));
        // The hold expires while the order is being placed.
        *host.on_confirm.borrow_mut() = Some(Box::new(|host, id| host.expire_hold(id)));
        let reply = post(&host, ALICE, key, items(&[("S-1", 2)]));
        let body = assert_error(&reply, 503, "hold_expired");
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("place the order again"),
            "{body}"
        );
        let id = host.reserve_calls.borrow()[0].clone();
        assert_eq!(*host.unclaim_calls.borrow(), [id.as_str()]);
        assert!(host.release_calls.borrow().contains(&id));
        assert_eq!(host.promotion_left("p1"), Some(10));
        assert_nothing_held(&host);
        assert!(host.logged(Level::Warn, "stock hold expired"));
        // The key was given up with the order: trying again places it.
        *host.on_confirm.borrow_mut() = None;
        placed(&post(&host, ALICE, key, items(&[("S-1", 2)])));
        assert_eq!(host.all_orders().len(), 1);
    }
}

#[test]
fn an_unavailable_confirm_is_503_and_released() {
    let host = OrderHost::new(1);
    *host.confirm_failure.borrow_mut() = Some(StockError::Unavailable("timeout".into()));
    let reply = post(&host, ALICE, Some("k"), items(&[("S-1", 1)]));
    assert_error(&reply, 503, "unavailable");
    assert_eq!(*host.release_calls.borrow(), *host.reserve_calls.borrow());
    assert_nothing_held(&host);
}

#[test]
fn an_abort_that_cannot_give_back_keeps_the_pending_row_for_housekeeping() {
    // The release fails on every try.
    let host = OrderHost::new(1);
    host.release_failures.set(3);
    *host.quote_failure.borrow_mut() = Some(("S-1".into(), QuoteError::Unavailable("x".into())));
    let reply = post(&host, ALICE, None, items(&[("S-1", 1)]));
    assert_error(&reply, 503, "unavailable");
    let id = host.reserve_calls.borrow()[0].clone();
    assert_eq!(status_of(&host, &id).as_deref(), Some("pending"));
    assert!(host.logged(Level::Warn, "failed order kept for housekeeping"));
    assert_eq!(host.in_stock("S-1"), 99);
    // Not yet abandoned: housekeeping leaves it.
    assert_eq!(housekeep(&host), Ok(0));
    assert_eq!(status_of(&host, &id).as_deref(), Some("pending"));
    // Past abandoned_after_ms, housekeeping settles it.
    host.set_now(START_MS + MINUTE + 1);
    assert_eq!(housekeep(&host), Ok(1));
    assert_nothing_held(&host);

    // The unclaim fails: the row stays too.
    let host = OrderHost::new(1);
    host.add_promotion("p1", "S-1", 500, Some(10));
    host.unclaim_failures.set(1);
    host.fail_next_batch(0, SqlError::Other("disk full".into()));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 1)]));
    assert_error(&reply, 500, "internal");
    host.shards[0].fail_with(None);
    let id = host.reserve_calls.borrow()[0].clone();
    assert_eq!(status_of(&host, &id).as_deref(), Some("pending"));
    assert_eq!(host.in_stock("S-1"), 100, "the stock was released");
    assert_eq!(host.promotion_left("p1"), Some(9), "the units were not");
    host.set_now(START_MS + MINUTE + 1);
    assert_eq!(housekeep(&host), Ok(1));
    assert_eq!(host.promotion_left("p1"), Some(10));
    assert_nothing_held(&host);
}

#[test]
fn housekeeping_settles_a_stale_pending_order_once() {
    let host = OrderHost::new(1);
    let id = dead_request(&host, "k-dead");
    host.set_now(START_MS + 30_000);
    assert_eq!(housekeep(&host), Ok(0), "still young");
    assert!(host.release_calls.borrow().is_empty());
    host.set_now(START_MS + MINUTE + 1);
    assert_eq!(housekeep(&host), Ok(1));
    assert_eq!(*host.release_calls.borrow(), [id.as_str()]);
    assert_eq!(*host.unclaim_calls.borrow(), [id.as_str()]);
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
    assert_eq!(host.order_row(&id), None);
    assert_eq!(host.hold(&id), Some(Hold::Released));
    // Nothing is due any more, and nothing comes back twice.
    assert_eq!(housekeep(&host), Ok(0));
    assert_eq!(host.release_calls.borrow().len(), 1);
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
}

#[test]
fn a_settle_that_cannot_give_back_stays_failing_for_the_next_round() {
    let host = OrderHost::new(1);
    let id = dead_request(&host, "k-dead");
    host.set_now(START_MS + MINUTE + 1);
    host.release_failures.set(3);
    let round = housekeep(&host);
    assert!(
        round.as_ref().is_err_and(|e| e.contains("shard 0")),
        "{round:?}"
    );
    assert_eq!(status_of(&host, &id).as_deref(), Some("failing"));
    assert_eq!(host.in_stock("S-1"), 98);
    // Failing rows are due at once, whatever their age.
    assert_eq!(housekeep(&host), Ok(1));
    assert_eq!(host.order_row(&id), None);
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
}

#[test]
fn the_abandoned_after_setting_is_used_by_housekeeping_and_takeovers() {
    let host = OrderHost::new(1);
    host.set("abandoned_after_ms", "5000");
    let id = dead_request(&host, "k-dead");
    host.set_now(START_MS + 4_000);
    assert_eq!(housekeep(&host), Ok(0));
    host.set_now(START_MS + 5_001);
    assert_eq!(housekeep(&host), Ok(1));
    assert_eq!(host.order_row(&id), None);
    // A request with the key of an order pending for over 5 s takes it over.
    let old = pending_row(&host, "k-2", &s1(1));
    host.set_now(START_MS + 6_000);
    let order = placed(&post(&host, ALICE, Some("k-2"), items(&[("S-1", 1)])));
    assert_ne!(id_of(&order), old);
    assert_eq!(host.slept().len(), 0);
    assert!(host.release_calls.borrow().contains(&old));
    // Unusable values mean the default (60 s).
    host.set("abandoned_after_ms", "500");
    pending_row(&host, "k-3", &s1(1));
    host.set_now(START_MS + 50_000);
    assert_eq!(housekeep(&host), Ok(0));
}

#[test]
fn settling_never_touches_a_placed_order() {
    let host = OrderHost::new(1);
    let id = promoted_order(&host);
    host.set_now(START_MS + 24 * 60 * MINUTE);
    assert_eq!(
        block_on(settle::settle(&host, 0, &id)),
        Ok(Settled::Untouched)
    );
    assert_eq!(housekeep(&host), Ok(0));
    assert!(host.release_calls.borrow().is_empty());
    assert!(host.unclaim_calls.borrow().is_empty());
    assert_eq!(status_of(&host, &id).as_deref(), Some("confirmed"));
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (98, Some(8))
    );
    let order = json_of(&get(&host, ALICE, &format!("/api/orders/{id}")));
    assert_eq!(order["status"], "confirmed");
    // Nor a cancelled one, nor an order that does not exist.
    cancel_ok(&host, ADMIN, &id);
    assert_eq!(
        block_on(settle::settle(&host, 0, &id)),
        Ok(Settled::Untouched)
    );
    assert_eq!(
        block_on(settle::settle(&host, 0, "0-nope")),
        Ok(Settled::Untouched)
    );
    assert_eq!(status_of(&host, &id).as_deref(), Some("cancelled"));
}

#[test]
fn a_placer_whose_row_was_settled_fails_and_the_settler_gives_back() {
    let host = OrderHost::new(1);
    host.add_promotion("p1", "S-1", 500, Some(10));
    // A settler turns the pending row failing while the placer confirms
    // its hold: the settler won the row.
    *host.on_confirm.borrow_mut() = Some(Box::new(|host, id| {
        host.shards[0].exec(lifecycle::MARK_FAILING, &[id.into()]);
    }));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)]));
    assert_error(&reply, 503, "hold_expired");
    let id = host.reserve_calls.borrow()[0].clone();
    assert!(
        host.release_calls.borrow().is_empty(),
        "the loser gives back nothing"
    );
    assert!(host.unclaim_calls.borrow().is_empty());
    assert_eq!(status_of(&host, &id).as_deref(), Some("failing"));
    assert!(host.logged(Level::Warn, "pending order settled before it was written"));
    assert_error(
        &get(&host, ALICE, &format!("/api/orders/{id}")),
        404,
        "not_found",
    );
    assert_eq!(json_of(&get(&host, ALICE, "/api/orders")), json!([]));
    // The settler (housekeeping) gives back, exactly once.
    assert_eq!(housekeep(&host), Ok(1));
    assert_eq!(*host.release_calls.borrow(), [id.as_str()]);
    assert_eq!(*host.unclaim_calls.borrow(), [id]);
    assert_eq!(host.promotion_left("p1"), Some(10));
    assert_nothing_held(&host);
}

#[test]
fn a_request_finding_its_key_on_a_failing_order_settles_it_and_places_its_own() {
    let host = OrderHost::new(1);
    let old = pending_row(&host, "k-1", &s1(2));
    block_on(host.reserve(&old, &s1(2))).unwrap();
    host.shards[0].exec(lifecycle::MARK_FAILING, &[old.as_str().into()]);
    let order = placed(&post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)])));
    assert_ne!(id_of(&order), old);
    assert_eq!(host.slept().len(), 0);
    assert_eq!(host.order_row(&old), None);
    assert_eq!(
        host.in_stock("S-1"),
        98,
        "the old hold is back, the new one taken"
    );
}

#[test]
fn a_shard_that_fails_does_not_stop_the_others() {
    let host = OrderHost::new(2);
    let on_0 = (0..)
        .map(|i| format!("c{i}"))
        .find(|c| shard::shard_of(c, 2) == 0);
    let on_1 = (0..)
        .map(|i| format!("c{i}"))
        .find(|c| shard::shard_of(c, 2) == 1);
    let mut ids = Vec::new();
    for (customer, shard) in [(on_0.unwrap(), 0u32), (on_1.unwrap(), 1)] {
        let id = shard::new_order_id(shard).unwrap();
        host.shards[shard as usize].exec(
            store::INSERT_PENDING,
            &[
                id.as_str().into(),
                customer.as_str().into(),
                "default".into(),
                Value::Null,
                "h".into(),
                (START_MS as i64).into(),
            ],
        );
        block_on(host.reserve(&id, &s1(1))).unwrap();
        ids.push(id);
    }
    host.set_now(START_MS + MINUTE + 1);
    host.shards[1].fail_with(Some(SqlError::Unavailable("down".into())));
    let round = housekeep(&host);
    assert!(
        round
            .as_ref()
            .is_err_and(|e| e.contains("shard 1") && !e.contains("shard 0")),
        "{round:?}"
    );
    assert_eq!(host.order_row(&ids[0]), None, "shard 0 was settled");
    assert_eq!(status_of(&host, &ids[1]).as_deref(), Some("pending"));
    host.shards[1].fail_with(None);
    assert_eq!(housekeep(&host), Ok(1));
    assert_nothing_held(&host);
}

/// A cancel that must succeed; its reply.
fn cancel_ok(host: &OrderHost, auth: &str, id: &str) -> Reply {
    let reply = cancel(host, auth, id);
    assert_eq!(reply.status, 200, "{}", json_of(&reply));
    reply
}

#[test]
fn the_owner_cancels_within_the_window_and_everything_comes_back_once() {
    let host = OrderHost::new(2);
    let id = promoted_order(&host);
    let placed_json = json_of(&get(&host, ALICE, &format!("/api/orders/{id}")));
    host.set_now(START_MS + 10 * MINUTE);
    let reply = cancel(&host, ALICE, &id);
    let order = json_of(&reply);
    assert_eq!(reply.status, 200, "{order}");
    let when = rfc3339_millis((START_MS + 10 * MINUTE) as i64);
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["cancelled_at"], when.as_str());
    let mut expected = placed_json.clone();
    expected["status"] = json!("cancelled");
    expected["cancelled_at"] = json!(when);
    assert_eq!(order, expected, "the rest of the order is unchanged");
    assert_eq!(*host.release_calls.borrow(), [id.as_str()]);
    assert_eq!(*host.unclaim_calls.borrow(), [id.as_str()]);
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
    // Reads show it cancelled.
    assert_eq!(
        json_of(&get(&host, ALICE, &format!("/api/orders/{id}"))),
        order
    );
    assert_eq!(json_of(&get(&host, ALICE, "/api/orders")), json!([order]));
    // A second cancel is 409 and gives back nothing more.
    let again = cancel(&host, ALICE, &id);
    let body = assert_error(&again, 409, "invalid_transition");
    assert_eq!(
        body["message"],
        format!("order {id} is cancelled; a cancelled order cannot be cancelled")
    );
    assert_eq!(body["status"], "cancelled");
    assert_error(&cancel(&host, ADMIN, &id), 409, "invalid_transition");
    assert_eq!(host.release_calls.borrow().len(), 1);
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
    assert_eq!(housekeep(&host), Ok(0));
}

#[test]
fn a_replayed_key_shows_the_order_cancelled() {
    let host = OrderHost::new(1);
    let id = id_of(&placed(&post(
        &host,
        ALICE,
        Some("k-1"),
        items(&[("S-1", 1)]),
    )));
    cancel_ok(&host, ALICE, &id);
    let replay = post(&host, ALICE, Some("k-1"), items(&[("S-1", 1)]));
    let order = placed(&replay);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        (order["id"].as_str(), order["status"].as_str()),
        (Some(id.as_str()), Some("cancelled"))
    );
    assert_eq!(host.reserve_calls.borrow().len(), 1);
    assert_eq!(host.in_stock("S-1"), 100);
}

#[test]
fn only_the_owner_within_30_minutes_or_an_admin_may_cancel() {
    let host = OrderHost::new(3);
    let id = promoted_order(&host);
    // Another customer: as if the order did not exist.
    assert_error(&cancel(&host, BOB, &id), 404, "not_found");
    let hex = "0123456789abcdef0123456789abcdef";
    let calls = host.shard_calls();
    for bad in ["nope".to_string(), format!("3-{hex}"), format!("1-{hex}x")] {
        assert_error(&cancel(&host, ALICE, &bad), 404, "not_found");
    }
    assert_eq!(host.shard_calls(), calls, "ids naming no shard touch none");
    assert_error(&cancel(&host, ALICE, &format!("0-{hex}")), 404, "not_found");
    // Exactly at the end of the window: still allowed (checked on a second
    // order); just past it: 409.
    host.set_now(START_MS + 30 * MINUTE + 1);
    let body = assert_error(&cancel(&host, ALICE, &id), 409, "cancel_window_closed");
    assert!(body["message"].as_str().unwrap().contains("30 minutes"));
    assert!(host.release_calls.borrow().is_empty());
    assert_eq!(status_of(&host, &id).as_deref(), Some("confirmed"));
    // An admin may cancel any order at any time.
    host.set_now(START_MS + 24 * 60 * MINUTE);
    let order = json_of(&cancel_ok(&host, ADMIN, &id));
    assert_eq!(order["status"], "cancelled");
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );

    let host = OrderHost::new(1);
    let id = id_of(&placed(&post(&host, ALICE, None, items(&[("S-2", 1)]))));
    host.set_now(START_MS + 30 * MINUTE);
    cancel_ok(&host, ALICE, &id);
}

#[test]
fn orders_that_were_never_placed_cannot_be_cancelled() {
    let host = OrderHost::new(1);
    let id = pending_row(&host, "k", &s1(1));
    let body = assert_error(&cancel(&host, ALICE, &id), 409, "invalid_transition");
    assert_eq!(
        body["message"],
        format!("order {id} is pending; a pending order cannot be cancelled")
    );
    host.shards[0].exec(lifecycle::MARK_FAILING, &[id.as_str().into()]);
    let body = assert_error(&cancel(&host, ALICE, &id), 409, "invalid_transition");
    assert_eq!(body["status"], "failing");
    assert_error(&cancel(&host, BOB, &id), 404, "not_found");
    assert!(host.release_calls.borrow().is_empty());
    let reply = send(
        &host,
        "GET",
        &format!("/api/orders/{id}/cancel"),
        &[("authorization", ALICE)],
        b"",
    );
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
}

#[test]
fn a_cancel_that_cannot_give_back_is_503_and_housekeeping_finishes_it() {
    let host = OrderHost::new(1);
    let id = promoted_order(&host);
    host.release_failures.set(3);
    let reply = cancel(&host, ALICE, &id);
    assert_error(&reply, 503, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(status_of(&host, &id).as_deref(), Some("cancelling"));
    let order = json_of(&get(&host, ALICE, &format!("/api/orders/{id}")));
    assert_eq!(order["status"], "cancelling");
    assert_eq!(
        order["cancelled_at"],
        rfc3339_millis(START_MS as i64).as_str()
    );
    assert_eq!(host.in_stock("S-1"), 98);
    // Left to the request for 10 s, then housekeeping finishes it.
    host.set_now(START_MS + 9_000);
    assert_eq!(housekeep(&host), Ok(0));
    host.set_now(START_MS + 10_001);
    assert_eq!(housekeep(&host), Ok(1));
    assert_eq!(status_of(&host, &id).as_deref(), Some("cancelled"));
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10)),
        "stock and units back once"
    );
    assert_eq!(housekeep(&host), Ok(0));
    assert_error(&cancel(&host, ALICE, &id), 409, "invalid_transition");
    assert_eq!(host.in_stock("S-1"), 100);
}

#[test]
fn a_retried_cancel_finishes_a_decided_one_even_past_the_window() {
    let host = OrderHost::new(1);
    let id = promoted_order(&host);
    host.set_now(START_MS + 29 * MINUTE);
    host.unclaim_failures.set(1);
    assert_error(&cancel(&host, ALICE, &id), 503, "unavailable");
    assert_eq!(status_of(&host, &id).as_deref(), Some("cancelling"));
    host.set_now(START_MS + 31 * MINUTE);
    let order = json_of(&cancel_ok(&host, ALICE, &id));
    assert_eq!(order["status"], "cancelled");
    assert_eq!(
        order["cancelled_at"],
        rfc3339_millis((START_MS + 29 * MINUTE) as i64).as_str()
    );
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
}

#[test]
fn concurrent_cancels_give_back_exactly_once() {
    let host = OrderHost::new(1);
    let id = promoted_order(&host);
    let path = format!("/api/orders/{id}/cancel");
    let cancel_as = |auth| {
        handle(
            &host,
            request("POST", &path, &[("authorization", auth)], b""),
        )
    };
    let replies = block_on(futures::future::join_all([
        cancel_as(ALICE),
        cancel_as(ADMIN),
        cancel_as(ALICE),
    ]));
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.contains(&200), "{statuses:?}");
    for reply in &replies {
        let body = json_of(reply);
        match reply.status {
            200 => assert_eq!(body["status"], "cancelled"),
            _ => assert_eq!(
                (reply.status, &body["error"]),
                (409, &json!("invalid_transition"))
            ),
        }
    }
    assert!(
        host.release_calls.borrow().len() > 1,
        "the cancels overlapped"
    );
    assert_eq!(status_of(&host, &id).as_deref(), Some("cancelled"));
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
    // And once more, in turn.
    for _ in 0..3 {
        assert_error(&cancel(&host, ALICE, &id), 409, "invalid_transition");
    }
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (100, Some(10))
    );
}

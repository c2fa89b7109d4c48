//! Tests of the service on its test host (SQLite shards, fakes of catalog
//! and pricing), through `handler::handle`: validation, placing orders (the
//! saga and its compensation), idempotency keys, and reads across shards. The order
//! lifecycle after placing (holds, settling, cancels, housekeeping) is in
//! `lifecycle_tests`, which shares the helpers here.

use crate::handler::handle;
use crate::items;
use crate::ports::{
    ClaimError, ClaimLine, Clock, Level, Line, QuoteError, Quotes, SqlError, Stock, StockError,
};
use crate::shard;
use crate::store;
use crate::testing::{OrderHost, QuoteCall};
use futures::executor::block_on;
use serde_json::{Value, json};
use sluice_kit::body::MAX_BODY_BYTES;
use sluice_kit::reply::Reply;
use sluice_kit::sql::Value as SqlValue;
use sluice_kit::testing::{START_MS, request};
pub(crate) use sluice_kit::testing::{assert_error, json_of};

pub(crate) const ALICE: &str = "Bearer tok|alice|customer|acme";
pub(crate) const BOB: &str = "Bearer tok|bob|customer|default";
pub(crate) const ADMIN: &str = "Bearer tok|root|admin|default";

pub(crate) fn send(
    host: &OrderHost,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let reply = block_on(handle(host, request(method, path, headers, body)));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply
}

pub(crate) fn post(host: &OrderHost, auth: &str, key: Option<&str>, body: Value) -> Reply {
    let mut headers = vec![("authorization", auth)];
    headers.extend(key.map(|k| ("idempotency-key", k)));
    send(
        host,
        "POST",
        "/api/orders",
        &headers,
        body.to_string().as_bytes(),
    )
}

pub(crate) fn get(host: &OrderHost, auth: &str, path: &str) -> Reply {
    send(host, "GET", path, &[("authorization", auth)], b"")
}

pub(crate) fn items(list: &[(&str, u32)]) -> Value {
    let items: Vec<Value> = list
        .iter()
        .map(|(s, q)| json!({"sku": s, "qty": q}))
        .collect();
    json!({ "items": items })
}

pub(crate) fn placed(reply: &Reply) -> Value {
    let body = json_of(reply);
    assert_eq!(reply.status, 201, "{body}");
    body
}

/// The durations of a `Server-Timing` header, by name.
fn timings(reply: &Reply) -> Vec<(String, u64)> {
    let header = reply.header("server-timing").expect("server-timing");
    header
        .split(", ")
        .map(|part| {
            let (name, dur) = part.split_once(";dur=").unwrap();
            (name.to_string(), dur.parse().unwrap())
        })
        .collect()
}

/// Nothing is held: no order rows, no reservation, no claimed units.
pub(crate) fn assert_nothing_held(host: &OrderHost) {
    assert_eq!(host.all_orders(), Vec::new());
    assert_eq!(host.all_items(), 0);
    assert!(host.reservations.borrow().is_empty(), "reservation kept");
    assert!(host.claims.borrow().is_empty(), "claim kept");
    assert_eq!((host.in_stock("S-1"), host.in_stock("S-2")), (100, 100));
}

#[test]
fn every_route_needs_a_valid_token() {
    let host = OrderHost::new(1);
    for (method, path) in [
        ("POST", "/api/orders"),
        ("GET", "/api/orders"),
        ("GET", "/api/orders/0-x"),
        ("POST", "/api/orders/0-x/cancel"),
    ] {
        let reply = send(&host, method, path, &[], b"{}");
        assert_error(&reply, 401, "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        let bad = send(
            &host,
            method,
            path,
            &[("authorization", "Bearer junk")],
            b"{}",
        );
        assert_error(&bad, 401, "invalid_token");
        let basic = send(
            &host,
            method,
            path,
            &[("authorization", "Basic YTpi")],
            b"{}",
        );
        assert_error(&basic, 401, "invalid_token");
        let old = send(
            &host,
            method,
            path,
            &[("authorization", "Bearer expired")],
            b"{}",
        );
        assert_error(&old, 401, "token_expired");
    }
    assert!(host.reserve_calls.borrow().is_empty());
}

#[test]
fn bad_input_is_rejected_before_anything_is_reserved() {
    let host = OrderHost::new(1);
    let raw = |body: &[u8]| {
        send(
            &host,
            "POST",
            "/api/orders",
            &[("authorization", ALICE)],
            body,
        )
    };
    assert_error(&raw(b"{"), 400, "invalid_json");
    assert_error(&raw(b""), 400, "invalid_json");
    assert_error(&raw(br#"{"items":[]}"#), 400, "invalid_items");
    assert_error(&raw(br#"{"items":[{"sku":"S-1"}]}"#), 400, "invalid_json");
    assert_error(&raw(br#"{"items":"nope"}"#), 400, "invalid_json");
    assert_error(
        &raw(br#"{"items":[{"sku":"S-1","qty":0}]}"#),
        400,
        "invalid_items",
    );
    assert_error(
        &raw(br#"{"items":[{"sku":"S-1","qty":1001}]}"#),
        400,
        "invalid_items",
    );
    let merged_over = items(&[("S-1", 500), ("S-1", 501)]);
    assert_error(&post(&host, ALICE, None, merged_over), 400, "invalid_items");
    let too_many: Vec<(String, u32)> = (0..101).map(|i| (format!("X-{i}"), 1)).collect();
    let too_many: Vec<(&str, u32)> = too_many.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    assert_error(
        &post(&host, ALICE, None, items(&too_many)),
        400,
        "invalid_items",
    );
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    assert_error(&raw(&huge), 413, "payload_too_large");
    for key in ["", "has space", "tab\tkey", "é", &"k".repeat(129)] {
        let reply = post(&host, ALICE, Some(key), items(&[("S-1", 1)]));
        assert_error(&reply, 400, "invalid_idempotency_key");
    }
    assert_error(&send(&host, "GET", "/api/nope", &[], b""), 404, "not_found");
    let reply = send(
        &host,
        "PUT",
        "/api/orders",
        &[("authorization", ALICE)],
        b"",
    );
    assert_error(&reply, 405, "method_not_allowed");
    assert!(host.reserve_calls.borrow().is_empty());
    assert_nothing_held(&host);
}

#[test]
fn an_order_is_reserved_priced_and_stored_on_the_customers_shard() {
    let host = OrderHost::new(4);
    let reply = post(&host, ALICE, None, items(&[("S-2", 2), ("S-1", 1)]));
    let order = placed(&reply);
    let shard = shard::shard_of("alice", 4);
    let id = order["id"].as_str().unwrap().to_string();
    assert_eq!(shard::shard_of_order(&id, 4), Some(shard));
    assert_eq!(
        order,
        json!({
            "id": id, "status": "confirmed", "shard": shard,
            "items": [
                {"sku": "S-1", "qty": 1, "unit_price": 999, "total": 999},
                {"sku": "S-2", "qty": 2, "unit_price": 250, "total": 500},
            ],
            "total": 1499, "currency": "USD", "created_at": "2023-11-14T22:13:20.000Z",
            "cancelled_at": null,
        })
    );
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/orders/{id}").as_str())
    );
    assert_eq!((host.in_stock("S-1"), host.in_stock("S-2")), (99, 98));
    assert_eq!(
        host.reservations.borrow()[&id].len(),
        2,
        "reservation id = order id"
    );
    assert_eq!(
        host.quoted(),
        ["S-1x1@acme", "S-2x2@acme"],
        "token's tenant"
    );
    let rows = host.all_orders();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].shard, rows[0].status.as_str()),
        (shard, "confirmed")
    );
    assert_eq!(
        json_of(&get(&host, ALICE, &format!("/api/orders/{id}"))),
        order
    );
    assert_eq!(json_of(&get(&host, ALICE, "/api/orders")), json!([order]));
    assert!(host.release_calls.borrow().is_empty());
}

#[test]
fn stock_and_prices_are_fetched_at_the_same_time() {
    let host = OrderHost::new(1);
    host.reserve_ms.set(30);
    host.quote_ms.set(20);
    let reply = post(&host, ALICE, None, items(&[("S-1", 1), ("S-2", 1)]));
    placed(&reply);
    let events = host.events.borrow().clone();
    let first_end = events.iter().position(|e| e.starts_with("end:")).unwrap();
    let starts = events.iter().filter(|e| e.starts_with("start:")).count();
    assert_eq!(starts, 3);
    assert!(
        events[..first_end].iter().all(|e| e.starts_with("start:")),
        "{events:?}"
    );
    let t = timings(&reply);
    let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["reserve", "quote", "order"]);
    let (reserve, quote, order) = (t[0].1, t[1].1, t[2].1);
    assert_eq!(reserve, 30);
    assert!(quote >= 20);
    // In turn, the order would take reserve + quote.
    assert!(order < reserve + quote, "{t:?}");
}

#[test]
fn duplicate_skus_are_merged() {
    let host = OrderHost::new(1);
    let order = placed(&post(
        &host,
        ALICE,
        None,
        items(&[("S-1", 2), ("S-2", 1), ("S-1", 3)]),
    ));
    assert_eq!(
        order["items"][0],
        json!({"sku": "S-1", "qty": 5, "unit_price": 999, "total": 4995})
    );
    assert_eq!(order["items"].as_array().unwrap().len(), 2);
    let id = order["id"].as_str().unwrap();
    let reserved = host.reservations.borrow()[id].clone();
    assert_eq!(
        reserved[0],
        Line {
            sku: "S-1".into(),
            qty: 5
        }
    );
    assert_eq!(host.in_stock("S-1"), 95);
}

#[test]
fn the_same_key_returns_the_same_order_and_reserves_once() {
    let host = OrderHost::new(2);
    let first = post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)]));
    let order = placed(&first);
    assert_eq!(first.header("idempotent-replayed"), None);
    // The same items, split differently, are the same request.
    let again = post(&host, ALICE, Some("k-1"), items(&[("S-1", 1), ("S-1", 1)]));
    assert_eq!(placed(&again), order);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(host.reserve_calls.borrow().len(), 1);
    assert_eq!(host.in_stock("S-1"), 98);
    // Keys belong to their customer.
    let bobs = placed(&post(&host, BOB, Some("k-1"), items(&[("S-1", 2)])));
    assert_ne!(bobs["id"], order["id"]);
    assert_eq!(host.all_orders().len(), 2);
}

#[test]
fn a_key_reused_with_other_items_is_409() {
    let host = OrderHost::new(1);
    placed(&post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)])));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 3)]));
    assert_error(&reply, 409, "idempotency_key_reused");
    assert_eq!(host.reserve_calls.borrow().len(), 1);
    assert_eq!(host.in_stock("S-1"), 98);
}

/// A pending row on shard 0 holding `key` for alice with `lines`, as a
/// concurrent request would leave it.
pub(crate) fn pending_row(host: &OrderHost, key: &str, lines: &[Line]) -> String {
    let id = shard::new_order_id(0).unwrap();
    let params = [
        id.as_str().into(),
        "alice".into(),
        "acme".into(),
        key.into(),
        items::hash(lines).into(),
        (START_MS as i64).into(),
    ];
    host.shards[0].exec(store::INSERT_PENDING, &params);
    id
}

pub(crate) fn s1(qty: u32) -> Vec<Line> {
    vec![Line {
        sku: "S-1".into(),
        qty,
    }]
}

/// What a request that died after reserving and claiming leaves: a
/// pending row holding `key` and a hold of 2 x S-1 and 3 units of `p1`
/// (a promotion of S-2 with 10 units).
pub(crate) fn dead_request(host: &OrderHost, key: &str) -> String {
    host.add_promotion("p1", "S-2", 100, Some(10));
    let id = pending_row(host, key, &s1(2));
    block_on(async {
        host.reserve(&id, &s1(2)).await.unwrap();
        let line = ClaimLine {
            promotion_id: "p1".into(),
            units: 3,
        };
        host.claim(&id, &[line]).await.unwrap();
    });
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (98, Some(7))
    );
    id
}

#[test]
fn a_concurrent_request_with_the_same_key_is_awaited_and_replayed() {
    let host = OrderHost::new(1);
    let other = pending_row(&host, "k-1", &s1(1));
    let other_id = other.clone();
    *host.on_sleep.borrow_mut() = Some(Box::new(move |host, sleeps| {
        if sleeps == 3 {
            // The other request confirms its order.
            let id = other_id.as_str();
            let at = START_MS as i64;
            let confirm = [SqlValue::from("USD"), 999i64.into(), at.into(), id.into()];
            host.shards[0].exec(store::CONFIRM_PENDING, &confirm);
            let item = [
                id.into(),
                0i64.into(),
                "S-1".into(),
                1i64.into(),
                999i64.into(),
                999i64.into(),
            ];
            host.shards[0].exec(store::INSERT_ITEM, &item);
        }
    }));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 1)]));
    assert_eq!(placed(&reply)["id"], other.as_str());
    assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    assert_eq!(host.slept().len(), 3);
    assert_eq!(host.now_ms() - START_MS, 3 * 25, "25 ms between reads");
    assert!(host.reserve_calls.borrow().is_empty());
}

#[test]
fn when_the_holder_of_a_key_fails_the_waiter_places_the_order() {
    let host = OrderHost::new(1);
    let other = pending_row(&host, "k-1", &s1(1));
    *host.on_sleep.borrow_mut() = Some(Box::new(move |host, sleeps| {
        if sleeps == 2 {
            host.shards[0].exec(store::DELETE_PENDING, &[other.as_str().into()]);
        }
    }));
    let order = placed(&post(&host, ALICE, Some("k-1"), items(&[("S-1", 1)])));
    assert_eq!(host.reserve_calls.borrow().len(), 1);
    assert_eq!(
        *host.reserve_calls.borrow(),
        [order["id"].as_str().unwrap()]
    );
    assert_eq!(host.in_stock("S-1"), 99);
}

#[test]
fn a_key_pending_for_10_seconds_is_409_in_progress() {
    let host = OrderHost::new(1);
    pending_row(&host, "k-1", &s1(1));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 1)]));
    assert_error(&reply, 409, "idempotency_in_progress");
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(host.slept().len(), 400);
    assert_eq!(host.now_ms() - START_MS, 10_000);
    assert!(host.reserve_calls.borrow().is_empty());
    // Other items under a pending key are a reuse, answered at once.
    let host = OrderHost::new(1);
    pending_row(&host, "k-1", &s1(1));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)]));
    assert_error(&reply, 409, "idempotency_key_reused");
    assert_eq!(host.slept().len(), 0);
}

#[test]
fn a_failed_quote_releases_the_reservation_and_leaves_no_order() {
    for key in [None, Some("k-1")] {
        let host = OrderHost::new(1);
        *host.quote_failure.borrow_mut() =
            Some(("S-2".into(), QuoteError::UnknownSku("S-2".into())));
        let reply = post(&host, ALICE, key, items(&[("S-1", 1), ("S-2", 1)]));
        assert_eq!(assert_error(&reply, 404, "unknown_sku")["sku"], "S-2");
        let reserved = host.reserve_calls.borrow().clone();
        assert_eq!(
            *host.release_calls.borrow(),
            reserved,
            "released the order id"
        );
        assert_nothing_held(&host);
    }
}

#[test]
fn quote_errors_map_to_their_statuses() {
    let host = OrderHost::new(1);
    *host.quote_failure.borrow_mut() =
        Some(("S-1".into(), QuoteError::InvalidTenant("acme".into())));
    assert_error(
        &post(&host, ALICE, None, items(&[("S-1", 1)])),
        400,
        "invalid_tenant",
    );
    *host.quote_failure.borrow_mut() = Some(("S-1".into(), QuoteError::Unavailable("down".into())));
    let reply = post(&host, ALICE, None, items(&[("S-1", 1)]));
    assert_error(&reply, 503, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(host.release_calls.borrow().len(), 2);
    assert_nothing_held(&host);
}

#[test]
fn mixed_currencies_are_422_and_released() {
    let host = OrderHost::new(1);
    let reply = post(&host, ALICE, None, items(&[("S-1", 1), ("E-1", 1)]));
    assert_error(&reply, 422, "mixed_currency");
    assert_eq!(host.release_calls.borrow().len(), 1);
    assert_eq!(host.in_stock("E-1"), 100);
    assert_nothing_held(&host);
}

#[test]
fn a_failed_claim_unclaims_releases_and_leaves_no_order() {
    for key in [None, Some("k-1")] {
        let host = OrderHost::new(1);
        host.add_promotion("p1", "S-1", 500, Some(10));
        *host.claim_failure.borrow_mut() = Some(ClaimError::Unavailable("pricing down".into()));
        let reply = post(&host, ALICE, key, items(&[("S-1", 2)]));
        assert_error(&reply, 503, "unavailable");
        let id = host.reserve_calls.borrow()[0].clone();
        assert_eq!(*host.unclaim_calls.borrow(), *host.release_calls.borrow());
        assert_eq!(*host.release_calls.borrow(), [id]);
        assert_eq!(host.promotion_left("p1"), Some(10));
        assert_nothing_held(&host);
    }
}

#[test]
fn promotion_units_are_claimed_and_capped_units_priced_exactly() {
    let host = OrderHost::new(1);
    host.add_promotion("p1", "S-1", 500, Some(2));
    let order = placed(&post(&host, ALICE, None, items(&[("S-1", 3), ("S-2", 1)])));
    assert_eq!(
        order["items"][0],
        json!({"sku": "S-1", "qty": 3, "unit_price": 500, "total": 1999})
    );
    assert_eq!(order["total"], 1999 + 250);
    assert_eq!(
        host.claim_calls.borrow().len(),
        1,
        "one claim for all lines"
    );
    assert_eq!(host.promotion_left("p1"), Some(0));
    // Sold out now: the next order pays the base price and claims nothing.
    let next = placed(&post(&host, ALICE, None, items(&[("S-1", 1)])));
    assert_eq!(next["total"], 999);
    assert_eq!(host.claim_calls.borrow().len(), 1);
}

#[test]
fn a_promotion_taken_meanwhile_is_requoted_once() {
    let host = OrderHost::new(1);
    host.add_promotion("p1", "S-1", 500, Some(5));
    // Another order takes 2 units between our quote and our claim.
    host.steal_on_claim.borrow_mut().push(("p1".into(), 2));
    let order = placed(&post(&host, ALICE, None, items(&[("S-1", 5), ("S-2", 1)])));
    // Re-quoted: 3 units left at 500, 2 at 999.
    assert_eq!(order["items"][0]["total"], 3 * 500 + 2 * 999);
    let claims = host.claim_calls.borrow();
    assert_eq!((claims.len(), claims[1][0].units), (2, 3));
    assert_eq!(host.quoted(), ["S-1x5@acme", "S-2x1@acme", "S-1x5@acme"]);
}

#[test]
fn every_quote_gets_the_tokens_customer_attributes() {
    let host = OrderHost::new(1);
    host.add_promotion("p1", "S-1", 500, Some(5));
    // Another order takes 2 units between our quote and our claim, so the
    // promoted line is quoted again.
    host.steal_on_claim.borrow_mut().push(("p1".into(), 2));
    let gold = "Bearer tok|carol|customer|acme|tier=gold,region=eu";
    placed(&post(&host, gold, None, items(&[("S-1", 5), ("S-2", 1)])));
    let gold_attributes = vec![
        ("region".to_string(), "eu".to_string()),
        ("tier".to_string(), "gold".to_string()),
    ];
    let expected = |sku: &str, qty| QuoteCall {
        sku: sku.to_string(),
        qty,
        tenant: "acme".to_string(),
        customer: gold_attributes.clone(),
    };
    assert_eq!(
        *host.quote_calls.borrow(),
        [expected("S-1", 5), expected("S-2", 1), expected("S-1", 5)],
        "the first quotes and the re-quote"
    );

    // A customer without attributes passes none.
    host.quote_calls.borrow_mut().clear();
    placed(&post(&host, ALICE, None, items(&[("S-2", 1)])));
    let args = host.quote_calls.borrow();
    assert_eq!(args.len(), 1);
    assert_eq!(args[0].customer, Vec::new());
}

#[test]
fn a_promotion_still_short_after_requoting_is_409_sold_out() {
    let host = OrderHost::new(1);
    host.add_promotion("p1", "S-1", 500, Some(5));
    // Someone else takes a unit before each of our claims.
    host.steal_on_claim.borrow_mut().push(("p1".into(), 1));
    host.steal_on_claim.borrow_mut().push(("p1".into(), 1));
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 5)]));
    let body = assert_error(&reply, 409, "promotion_sold_out");
    assert_eq!(body["promotion"], "p1");
    assert!(body["message"].as_str().unwrap().contains("p1"));
    assert_eq!(host.claim_calls.borrow().len(), 2);
    assert_eq!(host.release_calls.borrow().len(), 1);
    assert_eq!(host.unclaim_calls.borrow().len(), 1);
    assert_nothing_held(&host);
}

#[test]
fn a_failed_write_releases_everything_and_leaves_no_order() {
    let cases = [
        (None, SqlError::Other("disk full".into()), 500),
        (
            None,
            SqlError::InvalidStatement("no such table".into()),
            500,
        ),
        (None, SqlError::Unavailable("gone".into()), 503),
        (Some("k-1"), SqlError::Unavailable("gone".into()), 503),
        (Some("k-1"), SqlError::InvalidStatement("x".into()), 500),
    ];
    for (key, err, status) in cases {
        let host = OrderHost::new(1);
        host.add_promotion("p1", "S-1", 500, None);
        // The batch that writes the order fails.
        host.fail_next_batch(0, err.clone());
        let reply = post(&host, ALICE, key, items(&[("S-1", 1), ("S-2", 1)]));
        assert_eq!(reply.status, status, "{err:?}");
        assert_eq!(host.release_calls.borrow().len(), 1, "{err:?}");
        assert_eq!(host.unclaim_calls.borrow().len(), 1, "{err:?}");
        assert_nothing_held(&host);
    }
}

#[test]
fn a_write_that_may_have_committed_keeps_the_stock_if_it_cannot_be_undone() {
    let host = OrderHost::new(1);
    // The order's write and the deletes that undo it fail alike.
    let timeout = SqlError::Unavailable("timeout".into());
    host.shards[0].before_next_batch(|db| db.fail_with(Some(timeout)));
    let reply = post(&host, ALICE, None, items(&[("S-1", 1)]));
    assert_error(&reply, 503, "unavailable");
    assert!(host.release_calls.borrow().is_empty());
    assert_eq!(host.in_stock("S-1"), 99);
    assert!(host.logged(Level::Error, "reservation kept"));
}

#[test]
fn a_failed_release_is_retried_then_logged() {
    let host = OrderHost::new(1);
    host.release_failures.set(2);
    *host.quote_failure.borrow_mut() = Some(("S-1".into(), QuoteError::Unavailable("x".into())));
    assert_error(
        &post(&host, ALICE, None, items(&[("S-1", 1)])),
        503,
        "unavailable",
    );
    assert_eq!(host.release_calls.borrow().len(), 3);
    assert_eq!(host.in_stock("S-1"), 100);
    assert!(!host.logged(Level::Error, "releasing"));

    let host = OrderHost::new(1);
    host.release_failures.set(3);
    *host.quote_failure.borrow_mut() = Some(("S-1".into(), QuoteError::Unavailable("x".into())));
    assert_error(
        &post(&host, ALICE, None, items(&[("S-1", 1)])),
        503,
        "unavailable",
    );
    assert_eq!(host.release_calls.borrow().len(), 3);
    assert!(host.logged(Level::Error, "releasing a failed order's stock failed"));
}

#[test]
fn a_failed_reservation_releases_nothing_and_leaves_no_order() {
    for key in [None, Some("k-1")] {
        let host = OrderHost::new(1);
        let reply = post(&host, ALICE, key, items(&[("S-1", 1), ("S-2", 101)]));
        let body = assert_error(&reply, 409, "insufficient_stock");
        assert_eq!(body["sku"], "S-2");
        assert!(body["message"].as_str().unwrap().contains("S-2"));
        assert!(host.release_calls.borrow().is_empty());
        assert!(host.claim_calls.borrow().is_empty());
        assert_nothing_held(&host);
    }
    let host = OrderHost::new(1);
    let reply = post(&host, ALICE, None, items(&[("NOPE", 1)]));
    assert_eq!(assert_error(&reply, 404, "unknown_sku")["sku"], "NOPE");
    assert!(host.release_calls.borrow().is_empty());
    for (err, status, code) in [
        (StockError::Conflict("used".into()), 409, "conflict"),
        (StockError::Invalid("bad".into()), 400, "invalid_items"),
    ] {
        let host = OrderHost::new(1);
        *host.reserve_failure.borrow_mut() = Some(err);
        assert_error(
            &post(&host, ALICE, None, items(&[("S-1", 1)])),
            status,
            code,
        );
        assert!(host.release_calls.borrow().is_empty());
    }
}

#[test]
fn an_unavailable_catalog_is_503_and_released_in_case_it_reserved() {
    let host = OrderHost::new(1);
    *host.reserve_failure.borrow_mut() = Some(StockError::Unavailable("timeout".into()));
    let reply = post(&host, ALICE, Some("k"), items(&[("S-1", 1)]));
    assert_error(&reply, 503, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(*host.release_calls.borrow(), *host.reserve_calls.borrow());
    assert_nothing_held(&host);
}

#[test]
fn orders_are_visible_to_their_owner_and_admins_only() {
    let host = OrderHost::new(3);
    let order = placed(&post(&host, ALICE, None, items(&[("S-1", 1)])));
    let path = format!("/api/orders/{}", order["id"].as_str().unwrap());
    assert_eq!(json_of(&get(&host, ADMIN, &path)), order);
    assert_error(&get(&host, BOB, &path), 404, "not_found");
    // Ids that name no shard touch none.
    let calls = host.shard_calls();
    let hex = "0123456789abcdef0123456789abcdef";
    for bad in [
        "/api/orders/nope".to_string(),
        format!("/api/orders/3-{hex}"),
        format!("/api/orders/1-{hex}x"),
    ] {
        assert_error(&get(&host, ADMIN, &bad), 404, "not_found");
    }
    assert_eq!(host.shard_calls(), calls);
    assert_error(
        &get(&host, ADMIN, &format!("/api/orders/0-{hex}")),
        404,
        "not_found",
    );
}

#[test]
fn pending_orders_are_not_visible() {
    let host = OrderHost::new(1);
    let id = pending_row(&host, "k", &s1(1));
    assert_error(
        &get(&host, ALICE, &format!("/api/orders/{id}")),
        404,
        "not_found",
    );
    assert_eq!(json_of(&get(&host, ALICE, "/api/orders")), json!([]));
}

#[test]
fn a_customers_list_is_theirs_newest_first_and_limited() {
    let host = OrderHost::new(2);
    let mut ids = Vec::new();
    for qty in 1..=3 {
        host.set_now(START_MS + u64::from(qty) * 1000);
        ids.push(placed(&post(&host, ALICE, None, items(&[("S-1", qty)])))["id"].clone());
    }
    placed(&post(&host, BOB, None, items(&[("S-2", 1)])));
    let list = json_of(&get(&host, ALICE, "/api/orders"));
    let listed: Vec<Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(listed, [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    assert_eq!(list[0]["created_at"], "2023-11-14T22:13:23.000Z");
    let two = json_of(&get(&host, ALICE, "/api/orders?limit=2"));
    assert_eq!(two.as_array().unwrap().len(), 2);
    for bad in ["0", "201", "x", ""] {
        let reply = get(&host, ALICE, &format!("/api/orders?limit={bad}"));
        assert_error(&reply, 400, "invalid_limit");
    }
    assert_error(
        &get(&host, ALICE, "/api/orders?scope=everything"),
        400,
        "invalid_scope",
    );
}

#[test]
fn scope_all_is_for_admins_and_gathers_every_shard_at_once() {
    let host = OrderHost::new(4);
    let customers: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
    let mut expected = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        host.set_now(START_MS + (i as u64 % 5) * 1000);
        let auth = format!("Bearer tok|{c}|customer|default");
        let order = placed(&post(&host, &auth, None, items(&[("S-1", 1)])));
        let id = order["id"].as_str().unwrap().to_string();
        expected.push((order["created_at"].as_str().unwrap().to_string(), id));
    }
    let used: std::collections::BTreeSet<u32> = host.all_orders().iter().map(|o| o.shard).collect();
    assert!(used.len() > 1, "the orders are spread over shards");
    assert_error(
        &get(&host, ALICE, "/api/orders?scope=all"),
        403,
        "forbidden",
    );
    host.events.borrow_mut().clear();
    let all = json_of(&get(&host, ADMIN, "/api/orders?scope=all&limit=7"));
    expected.sort_by(|a, b| b.cmp(a));
    let want: Vec<Value> = expected.iter().take(7).map(|(_, id)| json!(id)).collect();
    let got: Vec<Value> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(got, want);
    let events = host.events.borrow().clone();
    assert_eq!(events.len(), 8);
    assert!(
        events[..4].iter().all(|e| e.starts_with("start:query:")),
        "{events:?}"
    );
    // An admin's own list without scope is the admin's orders only.
    assert_eq!(json_of(&get(&host, ADMIN, "/api/orders")), json!([]));
}

#[test]
fn an_unavailable_shard_is_503() {
    let host = OrderHost::new(2);
    host.shards[1].fail_with(Some(SqlError::Unavailable("down".into())));
    assert_error(
        &get(&host, ADMIN, "/api/orders?scope=all"),
        503,
        "unavailable",
    );
    let host = OrderHost::new(1);
    host.shards[0].fail_with(Some(SqlError::Unavailable("down".into())));
    assert_error(
        &post(&host, ALICE, Some("k"), items(&[("S-1", 1)])),
        503,
        "unavailable",
    );
    assert!(host.reserve_calls.borrow().is_empty());
}

#[test]
fn the_request_id_is_echoed() {
    let host = OrderHost::new(1);
    let reply = send(
        &host,
        "GET",
        "/api/orders",
        &[("authorization", ALICE), ("x-request-id", "r-1")],
        b"",
    );
    assert_eq!(reply.header("x-request-id"), Some("r-1"));
}

#[test]
fn a_key_abandoned_by_a_dead_request_is_taken_over() {
    let host = OrderHost::new(1);
    // The dead request had reserved stock and claimed units under its id.
    let old = dead_request(&host, "k-1");
    host.set_now(START_MS + 61_000);
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)]));
    let order = placed(&reply);
    assert_ne!(order["id"], old.as_str());
    assert_eq!(host.slept().len(), 0, "no waiting for the dead");
    assert!(host.release_calls.borrow().contains(&old));
    assert!(host.unclaim_calls.borrow().contains(&old));
    assert_eq!(
        (host.in_stock("S-1"), host.promotion_left("p1")),
        (98, Some(10))
    );
    let rows = host.all_orders();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, order["id"].as_str().unwrap());
    assert!(host.logged(Level::Warn, "abandoned pending order taken over"));
    // Still pending after 60 s but younger than that: waited for, not taken.
    let host = OrderHost::new(1);
    pending_row(&host, "k-1", &s1(2));
    host.set_now(START_MS + 49_000);
    let reply = post(&host, ALICE, Some("k-1"), items(&[("S-1", 2)]));
    assert_error(&reply, 409, "idempotency_in_progress");
    assert!(host.release_calls.borrow().is_empty());
}

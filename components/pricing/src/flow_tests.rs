//! Tests of the service logic on pricing's test host (its real SQL on an
//! in-memory SQLite, fakes of catalog and the tenant rule): the REST API
//! through `handler::handle`, the typed quote, claims and the rule seam.

use crate::body::MAX_BODY_BYTES;
use crate::claims::{ClaimError, ClaimLine, claim, unclaim};
use crate::handler::handle;
use crate::ports::{Level, LookupError, SqlError};
use crate::quote::{AdjustmentKind, QuoteError, quote};
use crate::reply::Reply;
use crate::rules::{RuleOutcome, RuleOutput};
use crate::testing::FakeHost;
use futures::executor::block_on;
use serde_json::{Value, json};
use sluice_kit::testing::{START_MS as T0, assert_error, json_of, request};

const HOUR: u64 = 3_600_000;
const ADMIN: &str = "Bearer tok|admin-1|admin|default";
const CUSTOMER: &str = "Bearer tok|cust-1|customer|acme";

fn send(host: &FakeHost, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let reply = block_on(handle(host, request(method, path, headers, body)));
    if reply.status != 204 {
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    reply
}

fn get(host: &FakeHost, path: &str) -> Reply {
    send(host, "GET", path, &[], b"")
}

fn create(host: &FakeHost, body: Value) -> Reply {
    send(
        host,
        "POST",
        "/api/promotions",
        &[("authorization", ADMIN)],
        body.to_string().as_bytes(),
    )
}

fn rfc(ms: u64) -> String {
    sluice_kit::times::rfc3339(ms as i64)
}

/// A promotion body for `sku` over [start, end) with extra fields.
fn promo_body(sku: &str, start: u64, end: u64, extra: Value) -> Value {
    let mut body = json!({"sku": sku, "starts_at": rfc(start), "ends_at": rfc(end)});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn create_ok(host: &FakeHost, body: Value) -> String {
    let reply = create(host, body);
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    json_of(&reply)["id"].as_str().unwrap().to_string()
}

/// Creates a promotion of `sku` active from an hour before [`T0`] to an
/// hour after, with `extra` fields; its id.
fn active(host: &FakeHost, sku: &str, extra: Value) -> String {
    create_ok(host, promo_body(sku, T0 - HOUR, T0 + HOUR, extra))
}

/// The units claimed from promotion `id`, `None` if there is no such
/// promotion.
fn claimed(host: &FakeHost, id: &str) -> Option<i64> {
    let sql = "SELECT claimed_units FROM promotions WHERE id = ?";
    host.db.int(sql, &[id.into()])
}

/// How many promotions are stored.
fn promotions_stored(host: &FakeHost) -> i64 {
    host.db.int("SELECT COUNT(*) FROM promotions", &[]).unwrap()
}

fn line(id: &str, units: u32) -> ClaimLine {
    ClaimLine {
        promotion_id: id.into(),
        units,
    }
}

#[test]
fn a_quote_without_promotions_is_the_base_price() {
    let host = FakeHost::new();
    let reply = get(&host, "/api/prices/S-999?qty=3");
    assert_eq!(reply.status, 200);
    assert_eq!(
        json_of(&reply),
        json!({
            "sku": "S-999", "qty": 3, "tenant": "default", "currency": "USD",
            "base_unit_price": 999, "unit_price": 999, "total": 2997, "applied": []
        })
    );
    let one = json_of(&get(&host, "/api/prices/S-5"));
    assert_eq!(
        (one["qty"].clone(), one["total"].clone()),
        (json!(1), json!(5))
    );
    assert_eq!(one["currency"], "EUR");
}

#[test]
fn unknown_sku_is_404() {
    let host = FakeHost::new();
    let reply = get(&host, "/api/prices/NOPE?qty=2");
    assert_error(&reply, 404, "unknown_sku");
    assert!(
        json_of(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("NOPE")
    );
    assert_error(&get(&host, "/api/prices/"), 404, "not_found");
}

#[test]
fn bad_quantities_are_400() {
    let host = FakeHost::new();
    for qty in ["0", "-1", "abc", "1001", "", "2.5", "%2B3"] {
        let reply = get(&host, &format!("/api/prices/S-999?qty={qty}"));
        assert_error(&reply, 400, "invalid_quantity");
    }
    // Quantity is checked before the sku.
    assert_error(
        &get(&host, "/api/prices/NOPE?qty=0"),
        400,
        "invalid_quantity",
    );
    let max = json_of(&get(&host, "/api/prices/S-999?qty=1000"));
    assert_eq!(max["total"], 999_000);
}

#[test]
fn the_tenant_is_the_tokens_or_default() {
    let host = FakeHost::new();
    let tenant = |path: &str, headers: &[(&str, &str)]| {
        let reply = send(&host, "GET", path, headers, b"");
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        json_of(&reply)["tenant"].as_str().unwrap().to_string()
    };
    assert_eq!(tenant("/api/prices/S-999", &[]), "default");
    assert_eq!(
        tenant("/api/prices/S-999?tenant=default", &[]),
        "default",
        "naming one's own tenant is a no-op"
    );
    assert_eq!(
        tenant("/api/prices/S-999", &[("authorization", CUSTOMER)]),
        "acme"
    );
    assert_eq!(
        tenant(
            "/api/prices/S-999?tenant=acme",
            &[("authorization", CUSTOMER)]
        ),
        "acme"
    );
    assert_error(
        &get(&host, "/api/prices/S-999?tenant=shop-2"),
        403,
        "tenant_preview_forbidden",
    );
    for headers in [&[][..], &[("authorization", CUSTOMER)][..]] {
        for bad in ["Bad%20Name", ""] {
            let path = format!("/api/prices/S-999?tenant={bad}");
            assert_error(
                &send(&host, "GET", &path, headers, b""),
                400,
                "invalid_tenant",
            );
        }
    }
}

#[test]
fn a_token_that_does_not_verify_is_401_never_an_anonymous_quote() {
    let host = FakeHost::new();
    for (authorization, code) in [
        ("Bearer junk", "invalid_token"),
        ("Basic dXNlcjpwYXNz", "invalid_token"),
        ("Bearer expired", "token_expired"),
    ] {
        for path in ["/api/prices/S-999", "/api/prices/S-999?tenant=default"] {
            let reply = send(&host, "GET", path, &[("authorization", authorization)], b"");
            assert_error(&reply, 401, code);
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }
    }
    assert!(host.rule_calls.borrow().is_empty(), "nothing was quoted");
}

/// A rule that takes 10 off for tier gold and names the tenant.
fn tiered_rule(host: &FakeHost) {
    host.set_rule(|input| {
        let gold = input
            .customer
            .iter()
            .any(|(k, v)| k == "tier" && v == "gold");
        RuleOutcome::Applied(RuleOutput {
            unit_price: input.unit_price - if gold { 10 } else { 0 },
            reason: format!("{} rule", input.tenant),
        })
    });
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn an_http_quote_gives_the_rule_the_tokens_attributes() {
    let host = FakeHost::new();
    tiered_rule(&host);
    let gold = "Bearer tok|cust-2|customer|acme|tier=gold,region=eu";
    let reply = send(
        &host,
        "GET",
        "/api/prices/S-999?qty=2",
        &[("authorization", gold)],
        b"",
    );
    assert_eq!(reply.status, 200);
    let q = json_of(&reply);
    assert_eq!(
        (
            q["tenant"].clone(),
            q["unit_price"].clone(),
            q["total"].clone()
        ),
        (json!("acme"), json!(989), json!(2 * 989))
    );
    {
        let calls = host.rule_calls.borrow();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].tenant, "acme");
        assert_eq!(
            calls[0].customer,
            pairs(&[("region", "eu"), ("tier", "gold")])
        );
    }

    // Anonymous: the default tenant, no attributes.
    host.rule_calls.borrow_mut().clear();
    let q = json_of(&get(&host, "/api/prices/S-999"));
    assert_eq!(
        (q["tenant"].clone(), q["unit_price"].clone()),
        (json!("default"), json!(999))
    );
    let calls = host.rule_calls.borrow();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].tenant, "default");
    assert_eq!(calls[0].customer, Vec::new());
}

#[test]
fn naming_another_tenant_is_403_unless_a_platform_admin() {
    let host = FakeHost::new();
    tiered_rule(&host);
    for authorization in [
        "Bearer tok|cust-1|customer|acme|tier=gold",
        "Bearer tok|boss-1|tenant-admin|acme",
    ] {
        let reply = send(
            &host,
            "GET",
            "/api/prices/S-999?tenant=shop-b",
            &[("authorization", authorization)],
            b"",
        );
        let body = json_of(&reply);
        assert_eq!(
            (reply.status, body["error"].clone()),
            (403, json!("tenant_preview_forbidden")),
            "{body}"
        );
        assert_eq!(body.as_object().unwrap().len(), 2, "only error and message");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("tenant of the caller's token") && message.contains("platform admin"),
            "{message}"
        );
    }
    assert!(
        host.rule_calls.borrow().is_empty(),
        "shop-b's rule never ran"
    );

    // Naming one's own tenant is fine.
    let own = send(
        &host,
        "GET",
        "/api/prices/S-999?tenant=acme",
        &[("authorization", "Bearer tok|cust-1|customer|acme|tier=gold")],
        b"",
    );
    assert_eq!(own.status, 200);
    assert_eq!(json_of(&own)["tenant"], "acme");
    assert_eq!(json_of(&own)["unit_price"], 989);
    assert_eq!(host.rule_calls.borrow().last().unwrap().tenant, "acme");
}

#[test]
fn a_platform_admin_previews_another_tenant_with_their_own_attributes() {
    let host = FakeHost::new();
    host.set_rule(|input| {
        RuleOutcome::Applied(RuleOutput {
            unit_price: if input.tenant == "shop-b" { 100 } else { 200 },
            reason: format!("{} rule", input.tenant),
        })
    });
    let admin = "Bearer tok|admin-1|admin|default|tier=staff";
    let reply = send(
        &host,
        "GET",
        "/api/prices/S-999?tenant=shop-b",
        &[("authorization", admin)],
        b"",
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let q = json_of(&reply);
    assert_eq!(
        (q["tenant"].clone(), q["unit_price"].clone()),
        (json!("shop-b"), json!(100))
    );
    assert_eq!(
        q["applied"][0],
        json!({"kind": "tenant_rule", "units": 1, "detail": "shop-b rule"})
    );
    {
        let calls = host.rule_calls.borrow();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].tenant, "shop-b");
        assert_eq!(calls[0].customer, pairs(&[("tier", "staff")]));
    }
    // Without ?tenant= the admin is quoted as their token's tenant.
    let own = json_of(&send(
        &host,
        "GET",
        "/api/prices/S-999",
        &[("authorization", admin)],
        b"",
    ));
    assert_eq!(
        (own["tenant"].clone(), own["unit_price"].clone()),
        (json!("default"), json!(200))
    );
    // An invalid name is still 400, for an admin too.
    assert_error(
        &send(
            &host,
            "GET",
            "/api/prices/S-999?tenant=Shop%20B",
            &[("authorization", admin)],
            b"",
        ),
        400,
        "invalid_tenant",
    );
}

#[test]
fn the_typed_quote_passes_customer_to_the_rule() {
    let host = FakeHost::new();
    tiered_rule(&host);
    let gold = pairs(&[("region", "eu"), ("tier", "gold")]);
    let q = block_on(quote(&host, "S-999", 3, "acme", &gold)).unwrap();
    assert_eq!(
        (q.tenant.as_str(), q.unit_price, q.total),
        ("acme", 989, 3 * 989)
    );
    let q = block_on(quote(&host, "S-999", 1, "acme", &[])).unwrap();
    assert_eq!(q.unit_price, 999);
    let calls = host.rule_calls.borrow();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].tenant.as_str(), &calls[0].customer),
        ("acme", &gold)
    );
    assert_eq!(calls[1].customer, Vec::new());
}

#[test]
fn admins_create_list_get_and_delete_promotions() {
    let host = FakeHost::new();
    let body = promo_body(
        "S-999",
        T0 - HOUR,
        T0 + HOUR,
        json!({"percent_off": 15, "max_units": 10}),
    );
    let reply = create(&host, body);
    assert_eq!(reply.status, 201);
    let created = json_of(&reply);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/promotions/{id}").as_str())
    );
    assert_eq!(
        created,
        json!({
            "id": id, "sku": "S-999", "percent_off": 15,
            "starts_at": rfc(T0 - HOUR), "ends_at": rfc(T0 + HOUR),
            "max_units": 10, "remaining_units": 10, "active": true
        })
    );
    let stored = |column: &str| {
        let sql = format!("SELECT {column} FROM promotions WHERE id = ?");
        host.db.int(&sql, &[id.as_str().into()])
    };
    assert_eq!(
        (stored("percent_off"), stored("fixed_price")),
        (Some(15), None)
    );
    assert_eq!(stored("created_at"), Some(T0 as i64));

    let later = create_ok(
        &host,
        promo_body("S-5", T0 + HOUR, T0 + 2 * HOUR, json!({"fixed_price": 2})),
    );
    let list = json_of(&get(&host, "/api/promotions"));
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str(), later.as_str()], "in window order");
    assert_eq!(list[1]["fixed_price"], 2);
    assert_eq!(list[1]["active"], false);
    assert!(list[1].get("max_units").is_none());

    assert_eq!(
        json_of(&get(&host, &format!("/api/promotions/{later}")))["sku"],
        "S-5"
    );
    let deleted = send(
        &host,
        "DELETE",
        &format!("/api/promotions/{id}"),
        &[("authorization", ADMIN)],
        b"",
    );
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_eq!(deleted.header("content-type"), None);
    assert!(claimed(&host, &id).is_none());
    let again = send(
        &host,
        "DELETE",
        &format!("/api/promotions/{id}"),
        &[("authorization", ADMIN)],
        b"",
    );
    assert_error(&again, 404, "unknown_promotion");
    assert_error(
        &get(&host, &format!("/api/promotions/{id}")),
        404,
        "unknown_promotion",
    );
    assert_eq!(
        json_of(&get(&host, "/api/promotions"))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(host.logged(Level::Info, "promotion deleted"));
}

#[test]
fn promotion_admin_routes_need_an_admin_token() {
    let host = FakeHost::new();
    let body = promo_body("S-999", T0, T0 + HOUR, json!({"percent_off": 10})).to_string();
    let post =
        |headers: &[(&str, &str)]| send(&host, "POST", "/api/promotions", headers, body.as_bytes());
    assert_error(&post(&[]), 401, "unauthorized");
    assert_error(
        &post(&[("authorization", "Bearer junk")]),
        401,
        "invalid_token",
    );
    assert_error(&post(&[("authorization", CUSTOMER)]), 403, "forbidden");
    let id = create_ok(
        &host,
        promo_body("S-999", T0, T0 + HOUR, json!({"percent_off": 10})),
    );
    let path = format!("/api/promotions/{id}");
    assert_error(&send(&host, "DELETE", &path, &[], b""), 401, "unauthorized");
    assert_error(
        &send(&host, "DELETE", &path, &[("authorization", CUSTOMER)], b""),
        403,
        "forbidden",
    );
    assert!(claimed(&host, &id).is_some());
    // The token is checked before the body is read: junk from a stranger is 401.
    assert_error(
        &send(&host, "POST", "/api/promotions", &[], b"{junk"),
        401,
        "unauthorized",
    );
}

#[test]
fn invalid_promotions_are_400_and_unknown_skus_404() {
    let host = FakeHost::new();
    let cases = [
        json!({"percent_off": 10, "ends_at": rfc(T0 - 1)}),
        json!({"percent_off": 10, "ends_at": rfc(T0)}),
        json!({"percent_off": 0}),
        json!({"percent_off": 101}),
        json!({"percent_off": 10, "fixed_price": 100}),
        json!({}),
        json!({"fixed_price": -1}),
        json!({"percent_off": 10, "max_units": 0}),
        json!({"percent_off": 10, "starts_at": "yesterday"}),
    ];
    for extra in cases {
        let mut body = promo_body("S-999", T0, T0 + HOUR, json!({}));
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        assert_error(&create(&host, body.clone()), 400, "invalid_promotion");
    }
    assert_error(
        &create(
            &host,
            promo_body("NOPE", T0, T0 + HOUR, json!({"percent_off": 10})),
        ),
        404,
        "unknown_sku",
    );
    let raw = |body: &[u8]| {
        send(
            &host,
            "POST",
            "/api/promotions",
            &[("authorization", ADMIN)],
            body,
        )
    };
    assert_error(&raw(b"{not json"), 400, "invalid_json");
    assert_error(&raw(br#"{"sku":"S-999"}"#), 400, "invalid_json");
    assert_error(
        &raw(&vec![b' '; MAX_BODY_BYTES + 1]),
        413,
        "payload_too_large",
    );
    assert_eq!(promotions_stored(&host), 0);
}

#[test]
fn percent_and_fixed_promotions_fill_applied() {
    let host = FakeHost::new();
    let pct = active(&host, "S-999", json!({"percent_off": 15}));
    let q = json_of(&get(&host, "/api/prices/S-999?qty=2"));
    assert_eq!(
        (
            q["base_unit_price"].clone(),
            q["unit_price"].clone(),
            q["total"].clone()
        ),
        (json!(999), json!(849), json!(1698))
    );
    assert_eq!(
        q["applied"],
        json!([{"kind": "promotion", "id": pct, "units": 2, "detail": "15% off"}])
    );

    let fixed = active(&host, "S-5", json!({"fixed_price": 2}));
    let q = json_of(&get(&host, "/api/prices/S-5?qty=4"));
    assert_eq!(
        (q["unit_price"].clone(), q["total"].clone()),
        (json!(2), json!(8))
    );
    assert_eq!(
        q["applied"],
        json!([{"kind": "promotion", "id": fixed, "units": 4, "detail": "fixed price 2"}])
    );
}

#[test]
fn the_best_of_several_active_promotions_applies() {
    let host = FakeHost::new();
    active(&host, "S-1000", json!({"percent_off": 10}));
    let best = active(&host, "S-1000", json!({"fixed_price": 700}));
    active(&host, "S-1000", json!({"percent_off": 25}));
    // Deeper, but not active yet.
    create_ok(
        &host,
        promo_body(
            "S-1000",
            T0 + HOUR,
            T0 + 2 * HOUR,
            json!({"percent_off": 90}),
        ),
    );
    let q = json_of(&get(&host, "/api/prices/S-1000"));
    assert_eq!(q["applied"][0]["id"], best.as_str());
    assert_eq!(q["unit_price"], 700);
    assert_eq!(
        q["applied"].as_array().unwrap().len(),
        1,
        "promotions never stack"
    );
}

#[test]
fn promotions_apply_only_inside_their_window() {
    let host = FakeHost::new();
    let (start, end) = (T0 + HOUR, T0 + 2 * HOUR);
    create_ok(
        &host,
        promo_body("S-999", start, end, json!({"percent_off": 50})),
    );
    let price_at = |now: u64| {
        host.set_now(now);
        json_of(&get(&host, "/api/prices/S-999"))["unit_price"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(price_at(start - 1), 999);
    assert_eq!(price_at(start), 500, "active from its start instant");
    assert_eq!(price_at(end - 1), 500);
    assert_eq!(price_at(end), 999, "inactive from its end instant");
    host.set_now(start);
    assert_eq!(json_of(&get(&host, "/api/promotions"))[0]["active"], true);
}

#[test]
fn a_capped_promotion_prices_only_its_remaining_units() {
    let host = FakeHost::new();
    let id = active(&host, "S-999", json!({"percent_off": 15, "max_units": 10}));
    block_on(claim(&host, "order-1", &[line(&id, 7)])).unwrap();
    let q = json_of(&get(&host, "/api/prices/S-999?qty=5"));
    assert_eq!(q["unit_price"], 849);
    assert_eq!(q["total"], 3 * 849 + 2 * 999);
    assert_eq!(q["applied"][0]["units"], 3);
    let detail = q["applied"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("3 of 5 units") && detail.contains("2 at the base price"),
        "{detail}"
    );
    assert_eq!(
        json_of(&get(&host, "/api/promotions"))[0]["remaining_units"],
        3
    );

    // Quoting reserves nothing.
    assert_eq!(claimed(&host, &id).unwrap(), 7);
    block_on(claim(&host, "order-2", &[line(&id, 3)])).unwrap();
    let q = json_of(&get(&host, "/api/prices/S-999?qty=5"));
    assert_eq!(
        (q["total"].clone(), q["applied"].clone()),
        (json!(4995), json!([]))
    );
}

#[test]
fn claims_never_exceed_a_cap_and_fail_whole() {
    let host = FakeHost::new();
    let capped = active(&host, "S-999", json!({"percent_off": 15, "max_units": 5}));
    let open = active(&host, "S-5", json!({"percent_off": 10}));
    block_on(claim(&host, "o1", &[line(&capped, 4), line(&open, 100)])).unwrap();
    assert_eq!(
        claimed(&host, &open).unwrap(),
        100,
        "uncapped ones are counted too"
    );

    // 2 more would exceed the cap: nothing at all is taken, not even the open line.
    let err = block_on(claim(&host, "o2", &[line(&open, 1), line(&capped, 2)])).unwrap_err();
    assert_eq!(err, ClaimError::Insufficient(capped.clone(), 1));
    assert_eq!(claimed(&host, &capped).unwrap(), 4);
    assert_eq!(claimed(&host, &open).unwrap(), 100);
    let others = "SELECT COUNT(*) FROM promotion_claims WHERE claim_id <> 'o1'";
    assert_eq!(
        host.db.int(others, &[]),
        Some(0),
        "only o1's lines are kept"
    );

    // Lines naming one promotion add up.
    let err = block_on(claim(&host, "o3", &[line(&capped, 1), line(&capped, 1)])).unwrap_err();
    assert_eq!(err, ClaimError::Insufficient(capped.clone(), 1));
    block_on(claim(&host, "o3", &[line(&capped, 1)])).unwrap();
    assert_eq!(claimed(&host, &capped).unwrap(), 5);
}

#[test]
fn claims_are_idempotent_per_id_and_unclaims_too() {
    let host = FakeHost::new();
    let id = active(&host, "S-999", json!({"percent_off": 15, "max_units": 10}));
    block_on(claim(&host, "order-1", &[line(&id, 3)])).unwrap();
    block_on(claim(&host, "order-1", &[line(&id, 3)])).unwrap();
    assert_eq!(
        claimed(&host, &id).unwrap(),
        3,
        "a retry takes nothing more"
    );
    let err = block_on(claim(&host, "order-1", &[line(&id, 4)])).unwrap_err();
    assert!(matches!(err, ClaimError::Conflict(_)), "{err:?}");

    block_on(unclaim(&host, "order-1")).unwrap();
    assert_eq!(claimed(&host, &id).unwrap(), 0);
    block_on(unclaim(&host, "order-1")).unwrap();
    block_on(unclaim(&host, "never-claimed")).unwrap();
    assert_eq!(claimed(&host, &id).unwrap(), 0, "released once only");
    let err = block_on(claim(&host, "order-1", &[line(&id, 3)])).unwrap_err();
    assert!(matches!(err, ClaimError::Conflict(m) if m.contains("released")));
    assert_eq!(claimed(&host, &id).unwrap(), 0);
}

#[test]
fn claims_name_what_is_wrong() {
    let host = FakeHost::new();
    let later = create_ok(
        &host,
        promo_body(
            "S-999",
            T0 + HOUR,
            T0 + 2 * HOUR,
            json!({"percent_off": 15}),
        ),
    );
    assert_eq!(
        block_on(claim(&host, "c", &[line("nope", 1)])),
        Err(ClaimError::UnknownPromotion("nope".into()))
    );
    assert_eq!(
        block_on(claim(&host, "c", &[line(&later, 1)])),
        Err(ClaimError::NotActive(later.clone()))
    );
    host.set_now(T0 + HOUR);
    block_on(claim(&host, "c", &[line(&later, 1)])).unwrap();
    for (claim_id, lines) in [
        ("", vec![line(&later, 1)]),
        ("c2", vec![]),
        ("c2", vec![line(&later, 0)]),
        ("c2", vec![line(&later, 1001)]),
        ("c2", vec![line("", 1)]),
    ] {
        let err = block_on(claim(&host, claim_id, &lines)).unwrap_err();
        assert!(
            matches!(err, ClaimError::Invalid(_)),
            "{claim_id:?} {lines:?}: {err:?}"
        );
    }
    host.db
        .fail_with(Some(SqlError::Unavailable("down".into())));
    assert!(matches!(
        block_on(claim(&host, "c3", &[line(&later, 1)])),
        Err(ClaimError::Store(_))
    ));
}

#[test]
fn unclaiming_a_deleted_promotion_drops_its_units() {
    let host = FakeHost::new();
    let id = active(&host, "S-999", json!({"percent_off": 15, "max_units": 2}));
    block_on(claim(&host, "o", &[line(&id, 2)])).unwrap();
    let reply = send(
        &host,
        "DELETE",
        &format!("/api/promotions/{id}"),
        &[("authorization", ADMIN)],
        b"",
    );
    assert_eq!(reply.status, 204);
    block_on(unclaim(&host, "o")).unwrap();
    let released = "SELECT released_at FROM promotion_claims WHERE claim_id = 'o'";
    assert!(host.db.int(released, &[]).is_some());
}

#[test]
fn the_typed_quote_matches_the_rest_quote() {
    let host = FakeHost::new();
    let id = active(&host, "S-999", json!({"percent_off": 15, "max_units": 2}));
    let q = block_on(quote(&host, "S-999", 3, "", &[])).unwrap();
    assert_eq!(q.tenant, "default");
    assert_eq!((q.unit_price, q.total), (849, 2 * 849 + 999));
    assert_eq!(q.applied.len(), 1);
    assert_eq!(q.applied[0].kind, AdjustmentKind::Promotion);
    assert_eq!(
        (q.applied[0].id.as_deref(), q.applied[0].units),
        (Some(id.as_str()), 2)
    );
    let rest = json_of(&get(&host, "/api/prices/S-999?qty=3"));
    assert_eq!(rest["total"], q.total);
    assert_eq!(
        block_on(quote(&host, "S-999", 0, "t", &[])),
        Err(QuoteError::InvalidQuantity(0))
    );
    assert_eq!(
        block_on(quote(&host, "S-999", 1001, "t", &[])),
        Err(QuoteError::InvalidQuantity(1001))
    );
    assert_eq!(
        block_on(quote(&host, "S-999", 1, "T!", &[])),
        Err(QuoteError::InvalidTenant("T!".into()))
    );
    assert_eq!(
        block_on(quote(&host, "X", 1, "t", &[])),
        Err(QuoteError::UnknownSku("X".into()))
    );
}

#[test]
fn the_tenant_rule_runs_last_on_every_line() {
    let host = FakeHost::new();
    active(&host, "S-999", json!({"percent_off": 15, "max_units": 2}));
    host.set_rule(|input| {
        RuleOutcome::Applied(RuleOutput {
            unit_price: input.unit_price - 1,
            reason: format!("{} discount", input.tenant),
        })
    });
    let q = json_of(&send(
        &host,
        "GET",
        "/api/prices/S-999?qty=3",
        &[("authorization", CUSTOMER)],
        b"",
    ));
    assert_eq!(q["unit_price"], 848);
    assert_eq!(q["total"], 2 * 848 + 998);
    assert_eq!(
        q["applied"][1],
        json!({"kind": "tenant_rule", "units": 3, "detail": "acme discount"})
    );
    assert!(q.get("rule_error").is_none());
    let calls = host.rule_calls.borrow();
    assert_eq!(calls.len(), 2, "once per line");
    assert_eq!((calls[0].unit_price, calls[1].unit_price), (849, 999));
    assert_eq!(
        (
            calls[0].qty,
            calls[0].base_unit_price,
            calls[0].tenant.as_str()
        ),
        (3, 999, "acme")
    );
}

#[test]
fn a_failing_tenant_rule_falls_back_and_is_reported() {
    let host = FakeHost::new();
    host.set_rule(|_| RuleOutcome::Failed("fuel exhausted".into()));
    let q = json_of(&get(&host, "/api/prices/S-999?qty=2"));
    assert_eq!(
        (q["total"].clone(), q["applied"].clone()),
        (json!(1998), json!([]))
    );
    assert_eq!(q["rule_error"], "fuel exhausted");
    assert!(host.logged(Level::Warn, "tenant rule failed"));

    host.set_rule(|_| {
        RuleOutcome::Applied(RuleOutput {
            unit_price: -5,
            reason: "oops".into(),
        })
    });
    let q = json_of(&get(&host, "/api/prices/S-999"));
    assert_eq!(q["total"], 999);
    assert!(q["rule_error"].as_str().unwrap().contains("-5"));

    // Fails on the second line: applied to neither.
    active(&host, "S-999", json!({"percent_off": 50, "max_units": 1}));
    host.set_rule(|input| {
        if input.unit_price == 999 {
            RuleOutcome::Failed("trap".into())
        } else {
            RuleOutcome::Applied(RuleOutput {
                unit_price: 1,
                reason: "r".into(),
            })
        }
    });
    let q = json_of(&get(&host, "/api/prices/S-999?qty=2"));
    assert_eq!(q["total"], 500 + 999);
    assert_eq!(q["applied"].as_array().unwrap().len(), 1);
    assert_eq!(q["rule_error"], "trap");
}

#[test]
fn database_failures_are_503_or_500() {
    let host = FakeHost::new();
    host.db
        .fail_with(Some(SqlError::Unavailable("down".into())));
    assert_error(&get(&host, "/api/prices/S-999"), 503, "unavailable");
    assert_error(&get(&host, "/api/promotions"), 503, "unavailable");
    host.db.fail_with(Some(SqlError::Other("boom".into())));
    let reply = get(&host, "/api/prices/S-999");
    assert_error(&reply, 500, "internal");
    assert!(
        !String::from_utf8_lossy(&reply.body).contains("boom"),
        "no internals leak"
    );
    assert!(host.logged(Level::Error, "database error"));
}

#[test]
fn request_id_is_echoed_and_wrong_methods_are_405() {
    let host = FakeHost::new();
    let reply = send(
        &host,
        "GET",
        "/api/prices/S-999",
        &[("X-Request-Id", "abc-123")],
        b"",
    );
    assert_eq!(reply.header("x-request-id"), Some("abc-123"));
    let reply = send(&host, "GET", "/nope", &[("x-request-id", "bad id")], b"");
    assert_error(&reply, 404, "not_found");
    assert_eq!(reply.header("x-request-id"), None);
    let reply = send(&host, "POST", "/api/prices/S-999", &[], b"");
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[test]
fn rows_added_directly_are_read_back() {
    // A row written with SQL, not through the API, and the store's mapping
    // agree.
    let host = FakeHost::new();
    host.db.exec(
        "INSERT INTO promotions (id, sku, percent_off, fixed_price, starts_at, ends_at, \
         max_units, created_at) VALUES ('zz', 'S-999', NULL, 100, ?, ?, 3, 0)",
        &[(T0 as i64).into(), (T0 as i64 + 1).into()],
    );
    let q = json_of(&get(&host, "/api/prices/S-999?qty=4"));
    assert_eq!(q["total"], 3 * 100 + 999);
}

#[test]
fn a_product_added_to_the_catalog_is_quoted_at_its_price() {
    // Known to catalog only: pricing keeps no copy to add it to.
    let host = FakeHost::new();
    assert_error(&get(&host, "/api/prices/NEW-KTL-1"), 404, "unknown_sku");
    host.put_product("NEW-KTL-1", 4500, "EUR");
    let q = json_of(&get(&host, "/api/prices/NEW-KTL-1?qty=2"));
    assert_eq!(
        q,
        json!({
            "sku": "NEW-KTL-1", "qty": 2, "tenant": "default", "currency": "EUR",
            "base_unit_price": 4500, "unit_price": 4500, "total": 9000, "applied": []
        })
    );
    let typed = block_on(quote(&host, "NEW-KTL-1", 1, "", &[])).unwrap();
    assert_eq!(
        (typed.base_unit_price, typed.currency.as_str()),
        (4500, "EUR")
    );
    // It can get a promotion like any other product.
    active(&host, "NEW-KTL-1", json!({"percent_off": 10}));
    assert_eq!(
        json_of(&get(&host, "/api/prices/NEW-KTL-1"))["unit_price"],
        4050
    );
    assert!(
        host.db.statements().iter().all(|s| !s.contains("prices")),
        "no price table is read"
    );
}

#[test]
fn a_repriced_product_is_quoted_at_its_new_price() {
    let host = FakeHost::new();
    let id = active(&host, "S-999", json!({"percent_off": 15}));
    assert_eq!(json_of(&get(&host, "/api/prices/S-999"))["unit_price"], 849);
    host.put_product("S-999", 2000, "GBP");
    let q = json_of(&get(&host, "/api/prices/S-999?qty=2"));
    assert_eq!(
        (
            q["currency"].clone(),
            q["base_unit_price"].clone(),
            q["unit_price"].clone(),
            q["total"].clone()
        ),
        (json!("GBP"), json!(2000), json!(1700), json!(3400)),
        "the promotion applies to the new base price"
    );
    assert_eq!(q["applied"][0]["id"], id.as_str());
    let typed = block_on(quote(&host, "S-999", 1, "", &[])).unwrap();
    assert_eq!((typed.base_unit_price, typed.unit_price), (2000, 1700));
    // Every quote asks catalog afresh.
    assert_eq!(
        host.lookups
            .borrow()
            .iter()
            .filter(|s| s.as_str() == "S-999")
            .count(),
        4
    );
}

#[test]
fn a_failing_catalog_lookup_is_503_and_unavailable() {
    let host = FakeHost::new();
    host.fail_lookup(Some(LookupError::Unavailable("no catalog instance".into())));
    let reply = get(&host, "/api/prices/S-999");
    assert_error(&reply, 503, "unavailable");
    assert!(
        !String::from_utf8_lossy(&reply.body).contains("no catalog instance"),
        "no internals leak"
    );
    assert!(host.logged(Level::Warn, "dependency unavailable"));
    assert!(host.logged(Level::Warn, "catalog unavailable: no catalog instance"));
    assert_eq!(
        block_on(quote(&host, "S-999", 1, "", &[])),
        Err(QuoteError::Catalog(LookupError::Unavailable(
            "no catalog instance".into()
        )))
    );
    // A promotion cannot be checked against the catalog either: 503, none stored.
    assert_error(
        &create(
            &host,
            promo_body("S-999", T0, T0 + HOUR, json!({"percent_off": 10})),
        ),
        503,
        "unavailable",
    );
    assert_eq!(promotions_stored(&host), 0);
    // Reading promotions does not need the catalog.
    assert_eq!(get(&host, "/api/promotions").status, 200);

    host.fail_lookup(None);
    assert_eq!(json_of(&get(&host, "/api/prices/S-999"))["total"], 999);
}

#[test]
fn promotions_for_skus_catalog_does_not_know_are_refused() {
    let host = FakeHost::new();
    let reply = create(
        &host,
        promo_body("GONE-1", T0, T0 + HOUR, json!({"percent_off": 10})),
    );
    assert_error(&reply, 404, "unknown_sku");
    assert!(
        json_of(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("GONE-1")
    );
    assert_eq!(promotions_stored(&host), 0);
    assert_eq!(host.lookups.borrow().as_slice(), ["GONE-1"]);
    // Once catalog has it, the same promotion is accepted.
    host.put_product("GONE-1", 100, "USD");
    create_ok(
        &host,
        promo_body("GONE-1", T0, T0 + HOUR, json!({"percent_off": 10})),
    );
}

#[test]
fn an_unusable_catalog_price_is_500_not_a_wrong_quote() {
    let host = FakeHost::new();
    for (price, currency) in [(-1, "USD"), (1_000_000_000_001, "USD"), (100, "usd")] {
        host.put_product("BAD-1", price, currency);
        assert_error(&get(&host, "/api/prices/BAD-1"), 500, "internal");
        assert!(matches!(
            block_on(quote(&host, "BAD-1", 1, "", &[])),
            Err(QuoteError::BadProduct(_))
        ));
    }
    assert!(host.logged(Level::Error, "internal error"));
}

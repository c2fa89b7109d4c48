//! End to end through the gateway: tenants are created by a platform admin,
//! accounts join one only through an admin of the platform or of that
//! tenant, a tenant's admin manages its own tenant and nothing else, and
//! customer attributes reach the tenant's rule in quotes and orders. Tokens
//! carry tenant, role and attributes, so each change shows from the
//! account's next login.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use sluice::builtin as built;
use support::{Platform, Reply, token_for, unique};

/// A seeded product (components/catalog/seed) priced 16.50.
const SKU: &str = "COF-FIL-002";
const BASE: i64 = 1650;
const PASSWORD: &str = "password-123";

fn admin() -> String {
    token_for("ops", "admin", "default")
}

async fn call(p: &Platform, method: Method, path: &str, token: &str, body: Value) -> Reply {
    let body = (!body.is_null()).then_some(body);
    p.send(method, path, Some(token), body.as_ref(), &[]).await
}

async fn create_tenant(p: &Platform) -> String {
    let id = format!("t{}", unique());
    let reply = call(
        p,
        Method::POST,
        "/admin/tenants",
        &admin(),
        json!({"id": id, "name": format!("Shop {id}")}),
    )
    .await;
    reply.assert_status(201);
    assert_eq!(reply.body["id"], id.as_str());
    id
}

/// A self-registered account (tenant `default`): its id and email.
async fn register(p: &Platform) -> (String, String) {
    let email = format!("c{}@example.com", unique());
    let reply = p
        .post(
            "/api/accounts/register",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    reply.assert_status(201);
    assert_eq!(reply.body["tenant"], "default");
    (reply.body["id"].as_str().unwrap().to_string(), email)
}

async fn put_member(p: &Platform, by: &str, tenant: &str, account: &str, role: &str) -> Reply {
    let path = format!("/admin/tenants/{tenant}/members/{account}");
    call(p, Method::PUT, &path, by, json!({"role": role})).await
}

async fn set_attributes(p: &Platform, by: &str, account: &str, attributes: Value) -> Reply {
    let path = format!("/admin/accounts/{account}/attributes");
    call(p, Method::PUT, &path, by, attributes).await
}

async fn put_rule(p: &Platform, by: &str, tenant: &str, bytes: &[u8]) -> Reply {
    p.upload(&format!("/admin/tenants/{tenant}/pricing-rule"), by, bytes)
        .await
}

async fn unit_price(p: &Platform, token: &str, query: &str) -> i64 {
    let reply = p
        .get(&format!("/api/prices/{SKU}{query}"), Some(token))
        .await;
    reply.assert_status(200);
    reply.body["unit_price"].as_i64().unwrap()
}

async fn order_unit_price(p: &Platform, token: &str) -> i64 {
    let items = json!({"items": [{"sku": SKU, "qty": 1}]});
    let reply = call(p, Method::POST, "/api/orders", token, items).await;
    reply.assert_status(201);
    reply.body["items"][0]["unit_price"].as_i64().unwrap()
}

#[tokio::test]
async fn membership_decides_the_tenant_and_so_the_rule() {
    let p = Platform::start(Default::default());
    let (a, b) = (create_tenant(&p).await, create_tenant(&p).await);
    put_rule(&p, &admin(), &a, built::RULE_ROUND99)
        .await
        .assert_status(200);
    put_rule(&p, &admin(), &b, built::RULE_BADPRICE)
        .await
        .assert_status(200);

    // Nobody joins a tenant by saying so.
    let email = format!("self{}@example.com", unique());
    p.post(
        "/api/accounts/register",
        &json!({"email": email, "password": PASSWORD, "tenant": a}),
    )
    .await
    .assert_error(403, "tenant_invite_only");
    p.post(
        "/api/accounts/login",
        &json!({"email": email, "password": PASSWORD}),
    )
    .await
    .assert_status(401);

    let (id, email) = register(&p).await;
    let token = p.login(&email, PASSWORD).await;
    assert_eq!(
        unit_price(&p, &token, "").await,
        BASE,
        "default has no rule"
    );
    put_member(&p, &admin(), &a, &id, "customer")
        .await
        .assert_status(200);
    let token = p.login(&email, PASSWORD).await;
    let me = p.get("/api/accounts/me", Some(&token)).await;
    assert_eq!(me.body["tenant"], a.as_str());
    assert_eq!(unit_price(&p, &token, "").await, 1599, "A's rule (.99)");
    assert_eq!(order_unit_price(&p, &token).await, 1599);

    // Naming another tenant gets no other rule: it is refused.
    for query in [format!("?tenant={b}"), "?tenant=default".to_string()] {
        p.get(&format!("/api/prices/{SKU}{query}"), Some(&token))
            .await
            .assert_error(403, "tenant_preview_forbidden");
    }
    p.get(&format!("/api/prices/{SKU}?tenant={a}"), None)
        .await
        .assert_error(403, "tenant_preview_forbidden");
    // A platform admin previews any tenant.
    let preview = p
        .get(&format!("/api/prices/{SKU}?tenant={a}"), Some(&admin()))
        .await;
    assert_eq!(preview.body["unit_price"], 1599, "{preview:?}");

    // Leaving the tenant puts the account back in default.
    call(
        &p,
        Method::DELETE,
        &format!("/admin/tenants/{a}/members/{id}"),
        &admin(),
        Value::Null,
    )
    .await
    .assert_status(204);
    let token = p.login(&email, PASSWORD).await;
    assert_eq!(unit_price(&p, &token, "").await, BASE);
}

#[tokio::test]
async fn a_tenant_admin_manages_its_own_tenant_and_nothing_else() {
    let p = Platform::start(Default::default());
    let (a, b) = (create_tenant(&p).await, create_tenant(&p).await);
    let (boss, boss_email) = register(&p).await;
    put_member(&p, &admin(), &a, &boss, "tenant-admin")
        .await
        .assert_status(200);
    let boss_token = p.login(&boss_email, PASSWORD).await;
    let (other, _) = register(&p).await;
    put_member(&p, &admin(), &b, &other, "customer")
        .await
        .assert_status(200);

    // Its own tenant: show, add members, set attributes, manage the rule.
    let shown = p
        .get(&format!("/admin/tenants/{a}"), Some(&boss_token))
        .await;
    shown.assert_status(200);
    assert_eq!(shown.body["members"][0]["id"], boss.as_str());
    let (member, _) = register(&p).await;
    put_member(&p, &boss_token, &a, &member, "customer")
        .await
        .assert_status(200);
    set_attributes(&p, &boss_token, &member, json!({"tier": "gold"}))
        .await
        .assert_status(200);
    put_rule(&p, &boss_token, &a, built::RULE_BULK)
        .await
        .assert_status(200);
    let rule = p
        .get(
            &format!("/admin/tenants/{a}/pricing-rule"),
            Some(&boss_token),
        )
        .await;
    rule.assert_status(200);

    // Anything else: 403.
    for reply in [
        p.get(&format!("/admin/tenants/{b}"), Some(&boss_token))
            .await,
        p.get("/admin/tenants", Some(&boss_token)).await,
        call(
            &p,
            Method::POST,
            "/admin/tenants",
            &boss_token,
            json!({"id": format!("x{}", unique()), "name": "X"}),
        )
        .await,
        put_member(&p, &boss_token, &b, &member, "customer").await,
        put_member(&p, &boss_token, &a, &other, "customer").await,
        set_attributes(&p, &boss_token, &other, json!({"tier": "gold"})).await,
        put_rule(&p, &boss_token, &b, built::RULE_BULK).await,
        p.get(
            &format!("/admin/tenants/{b}/pricing-rule"),
            Some(&boss_token),
        )
        .await,
        p.get("/admin/components", Some(&boss_token)).await,
    ] {
        reply.assert_status(403);
        assert!(reply.body["message"].is_string(), "{reply:?}");
    }
    // B's rule was never set by A's admin; B's member stayed in B.
    p.get(&format!("/admin/tenants/{b}/pricing-rule"), Some(&admin()))
        .await
        .assert_status(404);
    let b_members = p.get(&format!("/admin/tenants/{b}"), Some(&admin())).await;
    assert_eq!(b_members.body["members"][0]["id"], other.as_str());
}

#[tokio::test]
async fn attributes_reach_the_rule_in_quotes_and_orders() {
    let p = Platform::start(Default::default());
    let tenant = create_tenant(&p).await;
    put_rule(&p, &admin(), &tenant, built::STD_RULE_PROBE)
        .await
        .assert_status(200);
    let (id, email) = register(&p).await;
    put_member(&p, &admin(), &tenant, &id, "customer")
        .await
        .assert_status(200);
    let token = p.login(&email, PASSWORD).await;
    assert_eq!(unit_price(&p, &token, "").await, BASE, "no tier yet");

    for (tier, price) in [("gold", 1485), ("silver", 1568)] {
        let set = set_attributes(&p, &admin(), &id, json!({"tier": tier, "region": "eu"})).await;
        set.assert_status(200);
        assert_eq!(set.body["attributes"]["tier"], tier);
        let token = p.login(&email, PASSWORD).await;
        let me = p.get("/api/accounts/me", Some(&token)).await;
        assert_eq!(me.body["attributes"], json!({"tier": tier, "region": "eu"}));
        assert_eq!(unit_price(&p, &token, "").await, price, "{tier}");
        assert_eq!(order_unit_price(&p, &token).await, price, "{tier}");
    }

    // Bad input is a 400 with the JSON error body, and changes nothing.
    let many: serde_json::Map<String, Value> =
        (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
    for bad in [
        Value::Object(many),
        json!({"Tier": "gold"}),
        json!({"k".repeat(40): "gold"}),
        json!({"tier": "g".repeat(65)}),
        json!({"tier": 3}),
        json!({"tier": ""}),
        json!(["tier", "gold"]),
    ] {
        set_attributes(&p, &admin(), &id, bad.clone())
            .await
            .assert_error(400, "invalid_attributes");
    }
    let token = p.login(&email, PASSWORD).await;
    assert_eq!(unit_price(&p, &token, "").await, 1568, "still silver");
}

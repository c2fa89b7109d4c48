//! End to end: quotes and promotions through the real gateway and binary.

mod support;

use serde_json::{Value, json};
use support::{Options, Platform};

const ADMIN_EMAIL: &str = "ops@example.com";
const ADMIN_PASSWORD: &str = "admin-password-1";
const HOUR_MS: i64 = 3_600_000;

/// Client throttles high enough for a test's many requests from 127.0.0.1.
const CONFIG: &str = r#"
[services.account.rate_limits.login-client]
limit = 1000
period_ms = 60000
[services.account.rate_limits.register-client]
limit = 1000
period_ms = 60000
"#;

/// The catalogue's seed data, which pricing's base prices come from.
const PRODUCTS: &str = include_str!("../components/catalog/seed/products.json");

/// The `n`th seeded product: (sku, base price, currency).
fn seeded(n: usize) -> (String, i64, String) {
    let products: Value = serde_json::from_str(PRODUCTS).unwrap();
    let p = &products.as_array().expect("an array of products")[n];
    (
        p["sku"].as_str().unwrap().to_string(),
        p["base_price"].as_i64().unwrap(),
        p["currency"].as_str().unwrap().to_string(),
    )
}

fn options(config: &str) -> Options {
    Options {
        config: format!("{CONFIG}\n{config}"),
        env: vec![
            ("SLUICE_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
            ("SLUICE_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ],
        ..Options::default()
    }
}

/// RFC 3339 UTC for the real now plus `delta_ms` (the platform's clock may
/// be shifted from it by the test's configuration).
fn at(delta_ms: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let at_ms = now.as_millis() as i64 + delta_ms;
    // To the second, as a client would write it.
    sluice_kit::times::rfc3339(at_ms.div_euclid(1000) * 1000)
}

async fn send(
    p: &Platform,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> support::Reply {
    let mut request = p.client.request(method, p.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    support::Reply::from(request.send().await.unwrap()).await
}

async fn create(p: &Platform, token: Option<&str>, body: &Value) -> support::Reply {
    send(
        p,
        reqwest::Method::POST,
        "/api/promotions",
        token,
        Some(body),
    )
    .await
}

async fn create_ok(p: &Platform, admin: &str, body: Value) -> Value {
    let reply = create(p, Some(admin), &body).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body
}

#[tokio::test]
async fn quotes_and_promotions_through_the_gateway() {
    let p = Platform::start(options(""));
    let admin = p.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    seeded_quotes(&p).await;
    bad_quotes(&p).await;
    admin_only(&p, &admin).await;
    invalid_promotions(&p, &admin).await;
    promotions_apply(&p, &admin).await;
    capped_promotion(&p, &admin).await;
    tenants(&p).await;
}

async fn seeded_quotes(p: &Platform) {
    let (sku, base, currency) = seeded(0);
    let reply = p.get(&format!("/api/prices/{sku}?qty=3"), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({
            "sku": sku, "qty": 3, "tenant": "default", "currency": currency,
            "base_unit_price": base, "unit_price": base, "total": 3 * base,
            "applied": []
        })
    );
    assert!(reply.headers.contains_key("x-request-id"));
    let one = p.get(&format!("/api/prices/{sku}"), None).await;
    assert_eq!(
        (one.body["qty"].clone(), one.body["total"].clone()),
        (json!(1), json!(base))
    );
    // Every seeded product has a price.
    let products: Value = serde_json::from_str(PRODUCTS).unwrap();
    let last = products.as_array().unwrap().last().unwrap();
    let reply = p
        .get(
            &format!("/api/prices/{}", last["sku"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(reply.body["base_unit_price"], last["base_price"]);
}

async fn bad_quotes(p: &Platform) {
    let (sku, _, _) = seeded(0);
    p.get("/api/prices/NO-SUCH-SKU", None)
        .await
        .assert_error(404, "unknown_sku");
    for qty in ["0", "-1", "abc", "1001", "1.5", ""] {
        p.get(&format!("/api/prices/{sku}?qty={qty}"), None)
            .await
            .assert_error(400, "invalid_quantity");
    }
    assert_eq!(
        p.get(&format!("/api/prices/{sku}?qty=1000"), None)
            .await
            .status,
        200
    );
}

async fn admin_only(p: &Platform, admin: &str) {
    let (sku, _, _) = seeded(1);
    let body =
        json!({"sku": sku, "percent_off": 10, "starts_at": at(-HOUR_MS), "ends_at": at(HOUR_MS)});
    create(p, None, &body)
        .await
        .assert_error(401, "unauthorized");
    create(p, Some("not.a.jwt"), &body)
        .await
        .assert_error(401, "invalid_token");
    let customer = p
        .register_and_login(
            &format!("buyer-{}@example.com", support::unique()),
            "password-123",
        )
        .await;
    create(p, Some(&customer), &body)
        .await
        .assert_error(403, "forbidden");

    let created = create_ok(p, admin, body).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["sku"], sku.as_str());
    assert_eq!(created["percent_off"], 10);
    assert_eq!(created["active"], true);

    let list = p.get("/api/promotions", None).await;
    assert_eq!(list.status, 200);
    assert!(list.body.as_array().unwrap().iter().any(|x| x["id"] == id));

    let path = format!("/api/promotions/{id}");
    send(p, reqwest::Method::DELETE, &path, None, None)
        .await
        .assert_error(401, "unauthorized");
    send(p, reqwest::Method::DELETE, &path, Some(&customer), None)
        .await
        .assert_error(403, "forbidden");
    let deleted = send(p, reqwest::Method::DELETE, &path, Some(admin), None).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert!(deleted.text.is_empty());
    send(p, reqwest::Method::DELETE, &path, Some(admin), None)
        .await
        .assert_error(404, "unknown_promotion");
    let list = p.get("/api/promotions", None).await;
    assert!(!list.body.as_array().unwrap().iter().any(|x| x["id"] == id));
    // The discount is gone with it.
    let q = p.get(&format!("/api/prices/{sku}"), None).await;
    assert_eq!(q.body["applied"], json!([]));
}

async fn invalid_promotions(p: &Platform, admin: &str) {
    let (sku, _, _) = seeded(2);
    let base = json!({"sku": sku, "percent_off": 10, "starts_at": at(0), "ends_at": at(HOUR_MS)});
    let with = |changes: Value| {
        let mut body = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    for body in [
        with(json!({"ends_at": at(-HOUR_MS)})),
        with(json!({"ends_at": at(0)})),
        with(json!({"percent_off": 0})),
        with(json!({"percent_off": 101})),
        with(json!({"fixed_price": 100})),
        with(json!({"percent_off": null})),
        with(json!({"percent_off": null, "fixed_price": -1})),
        with(json!({"max_units": 0})),
        with(json!({"starts_at": "next tuesday"})),
    ] {
        create(p, Some(admin), &body)
            .await
            .assert_error(400, "invalid_promotion");
    }
    create(p, Some(admin), &with(json!({"sku": "NO-SUCH-SKU"})))
        .await
        .assert_error(404, "unknown_sku");
    create(p, Some(admin), &json!({"sku": sku}))
        .await
        .assert_error(400, "invalid_json");
    let list = p.get("/api/promotions", None).await;
    assert!(
        !list
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["sku"] == sku.as_str())
    );
}

async fn promotions_apply(p: &Platform, admin: &str) {
    let (sku, base, _) = seeded(3);
    let pct = create_ok(
        p,
        admin,
        json!({"sku": sku, "percent_off": 15, "starts_at": at(-HOUR_MS), "ends_at": at(HOUR_MS)}),
    )
    .await;
    let expected = (base * 85 + 50) / 100;
    let q = p.get(&format!("/api/prices/{sku}?qty=2"), None).await;
    assert_eq!(q.body["unit_price"], expected);
    assert_eq!(q.body["total"], 2 * expected);
    assert_eq!(
        q.body["applied"],
        json!([{"kind": "promotion", "id": pct["id"], "units": 2, "detail": "15% off"}])
    );

    // A deeper fixed price on the same sku wins; a future one is ignored.
    let fixed = create_ok(
        p,
        admin,
        json!({"sku": sku, "fixed_price": base / 2, "starts_at": at(-HOUR_MS), "ends_at": at(HOUR_MS)}),
    )
    .await;
    create_ok(
        p,
        admin,
        json!({"sku": sku, "percent_off": 90, "starts_at": at(HOUR_MS), "ends_at": at(2 * HOUR_MS)}),
    )
    .await;
    let q = p.get(&format!("/api/prices/{sku}?qty=2"), None).await;
    assert_eq!(q.body["unit_price"], base / 2);
    assert_eq!(q.body["total"], 2 * (base / 2));
    assert_eq!(q.body["applied"].as_array().unwrap().len(), 1);
    assert_eq!(q.body["applied"][0]["id"], fixed["id"]);
    assert_eq!(
        q.body["applied"][0]["detail"],
        format!("fixed price {}", base / 2)
    );
}

async fn capped_promotion(p: &Platform, admin: &str) {
    let (sku, base, _) = seeded(4);
    let capped = create_ok(
        p,
        admin,
        json!({"sku": sku, "percent_off": 50, "max_units": 2,
               "starts_at": at(-HOUR_MS), "ends_at": at(HOUR_MS)}),
    )
    .await;
    assert_eq!(capped["max_units"], 2);
    assert_eq!(capped["remaining_units"], 2);
    let half = (base * 50 + 50) / 100;
    let q = p.get(&format!("/api/prices/{sku}?qty=5"), None).await;
    assert_eq!(q.body["unit_price"], half);
    assert_eq!(
        q.body["total"],
        2 * half + 3 * base,
        "exact: 2 capped, 3 at base"
    );
    let applied = &q.body["applied"][0];
    assert_eq!(applied["units"], 2);
    let detail = applied["detail"].as_str().unwrap();
    assert!(
        detail.contains("2 of 5 units") && detail.contains("3 at the base price"),
        "{detail}"
    );
    // Within the cap, every unit gets it.
    let q = p.get(&format!("/api/prices/{sku}?qty=2"), None).await;
    assert_eq!(q.body["total"], 2 * half);
    assert_eq!(q.body["applied"][0]["detail"], "50% off");
}

async fn tenants(p: &Platform) {
    let (sku, _, _) = seeded(0);
    let admin = support::token_for("ops", "admin", "default");
    let q = p
        .get(&format!("/api/prices/{sku}?tenant=shop-7"), Some(&admin))
        .await;
    assert_eq!(q.body["tenant"], "shop-7", "an admin previews any tenant");
    p.get(
        &format!("/api/prices/{sku}?tenant=Not%20Valid"),
        Some(&admin),
    )
    .await
    .assert_error(400, "invalid_tenant");
    p.get(&format!("/api/prices/{sku}?tenant=shop-7"), None)
        .await
        .assert_error(403, "tenant_preview_forbidden");
    let email = format!("acme-{}@example.com", support::unique());
    p.post(
        "/api/accounts/register",
        &json!({"email": email, "password": "password-123", "tenant": "acme"}),
    )
    .await
    .assert_error(403, "tenant_invite_only");
    let customer = support::token_for("c-acme", "customer", "acme");
    let q = p.get(&format!("/api/prices/{sku}"), Some(&customer)).await;
    assert_eq!(q.body["tenant"], "acme", "the token's tenant");
    let q = p
        .get(&format!("/api/prices/{sku}?tenant=acme"), Some(&customer))
        .await;
    assert_eq!(q.body["tenant"], "acme", "naming one's own tenant is fine");
    p.get(&format!("/api/prices/{sku}?tenant=shop-7"), Some(&customer))
        .await
        .assert_error(403, "tenant_preview_forbidden");
    p.get(&format!("/api/prices/{sku}"), Some("forged.token.here"))
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn the_window_follows_the_host_clock_across_a_restart() {
    let mut first = Platform::start(options(""));
    let keep = first.keep_data_dir();
    let admin = first.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (sku, base, _) = seeded(5);
    // Starts in an hour, ends in three.
    let promo = create_ok(
        &first,
        &admin,
        json!({"sku": sku, "percent_off": 20, "starts_at": at(HOUR_MS), "ends_at": at(3 * HOUR_MS)}),
    )
    .await;
    assert_eq!(promo["active"], false);
    let q = first.get(&format!("/api/prices/{sku}"), None).await;
    assert_eq!(
        (q.body["total"].clone(), q.body["applied"].clone()),
        (json!(base), json!([]))
    );
    first.stop();

    // Same data, the host clock two hours ahead: inside the window.
    let second = Platform::start(Options {
        data_dir: Some(first.data_dir.clone()),
        ..options("[clock]\noffset_ms = 7200000")
    });
    let q = second.get(&format!("/api/prices/{sku}"), None).await;
    assert_eq!(q.body["total"], (base * 80 + 50) / 100);
    assert_eq!(q.body["applied"][0]["id"], promo["id"]);
    let list = second.get("/api/promotions", None).await;
    let listed: Vec<&Value> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["id"] == promo["id"])
        .collect();
    assert_eq!(listed.len(), 1, "kept across the restart, once");
    assert_eq!(listed[0]["active"], true);
    // The seed ran once: the base price is unchanged, not duplicated.
    let other = second
        .get(&format!("/api/prices/{}", seeded(0).0), None)
        .await;
    assert_eq!(other.body["base_unit_price"], seeded(0).1);
    drop(second);

    // Four hours ahead: past its end.
    let third = Platform::start(Options {
        data_dir: Some(first.data_dir.clone()),
        ..options("[clock]\noffset_ms = 14400000")
    });
    let q = third.get(&format!("/api/prices/{sku}"), None).await;
    assert_eq!(
        (q.body["total"].clone(), q.body["applied"].clone()),
        (json!(base), json!([]))
    );
    drop(third);
    drop(keep);
}

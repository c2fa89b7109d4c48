//! End to end: cancelling an order through the gateway gives its stock and
//! its promotion units back exactly once, however often the cancel is sent
//! at the same time; a second cancel is 409; someone else's order is 404.
//! (The customer's 30-minute window is covered by the order component's
//! own tests, which control the clock.)

mod support;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use support::{Options, Platform, Reply, token_for, unique};

async fn cancel(p: &Platform, token: &str, id: &str) -> Reply {
    p.send(
        Method::POST,
        &format!("/api/orders/{id}/cancel"),
        Some(token),
        None,
        &[],
    )
    .await
}

async fn order(p: &Platform, token: &str, sku: &str, qty: u32) -> Value {
    let body = json!({ "items": [{ "sku": sku, "qty": qty }] });
    let reply = p
        .send(Method::POST, "/api/orders", Some(token), Some(&body), &[])
        .await;
    reply.assert_status(201);
    reply.body
}

async fn stock(p: &Platform, sku: &str) -> i64 {
    let reply = p.get(&format!("/api/products/{sku}"), None).await;
    reply.body["stock"].as_i64().unwrap()
}

async fn remaining_units(p: &Platform, promotion: &str) -> i64 {
    let reply = p.get(&format!("/api/promotions/{promotion}"), None).await;
    reply.assert_status(200);
    reply.body["remaining_units"].as_i64().unwrap()
}

fn at(delta_ms: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let at_ms = now.as_millis() as i64 + delta_ms;
    // To the second, as a client would write it.
    sluice_kit::times::rfc3339(at_ms.div_euclid(1000) * 1000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_gives_stock_and_promotion_units_back_exactly_once() {
    let p = Platform::start(Options::default());
    let admin = token_for("ops", "admin", "default");
    let sku = format!("CANCEL-{}", unique()).to_uppercase();
    p.create_product(&sku, 1000, 20).await;
    let promotion = p
        .send(
            Method::POST,
            "/api/promotions",
            Some(&admin),
            Some(&json!({"sku": sku, "percent_off": 50, "max_units": 5,
                         "starts_at": at(-3_600_000), "ends_at": at(3_600_000)})),
            &[],
        )
        .await;
    promotion.assert_status(201);
    let promotion = promotion.body["id"].as_str().unwrap().to_string();

    let ada = token_for(&format!("ada-{}", unique()), "customer", "default");
    let placed = order(&p, &ada, &sku, 3).await;
    let id = placed["id"].as_str().unwrap().to_string();
    assert_eq!(placed["status"], "confirmed");
    assert_eq!(placed["cancelled_at"], Value::Null);
    assert_eq!(stock(&p, &sku).await, 17);
    assert_eq!(remaining_units(&p, &promotion).await, 2);

    // Someone else's order does not exist for them.
    let grace = token_for(&format!("grace-{}", unique()), "customer", "default");
    cancel(&p, &grace, &id).await.assert_error(404, "not_found");
    cancel(&p, &ada, "0-nosuchorder")
        .await
        .assert_error(404, "not_found");

    // Ten cancels at once: one order cancelled, its units back once.
    let replies = join_all((0..10).map(|_| cancel(&p, &ada, &id))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert!(ok >= 1, "{replies:?}");
    for reply in &replies {
        match reply.status {
            200 => {
                assert_eq!(reply.body["status"], "cancelled", "{reply:?}");
                assert!(reply.body["cancelled_at"].is_string(), "{reply:?}");
            }
            _ => reply.assert_error(409, "invalid_transition"),
        }
    }
    assert_eq!(stock(&p, &sku).await, 20, "the stock came back once");
    assert_eq!(remaining_units(&p, &promotion).await, 5, "so did the units");

    // The order shows it; a second cancel is an invalid transition.
    let shown = p.get(&format!("/api/orders/{id}"), Some(&ada)).await;
    shown.assert_status(200);
    assert_eq!(shown.body["status"], "cancelled");
    assert!(shown.body["cancelled_at"].is_string(), "{shown:?}");
    let again = cancel(&p, &ada, &id).await;
    again.assert_error(409, "invalid_transition");
    assert_eq!(stock(&p, &sku).await, 20);
    let listed = p.get("/api/orders", Some(&ada)).await;
    assert_eq!(listed.body[0]["status"], "cancelled", "{listed:?}");

    // An admin cancels any customer's order.
    let second = order(&p, &grace, &sku, 2).await;
    assert_eq!(stock(&p, &sku).await, 18);
    let second_id = second["id"].as_str().unwrap();
    let by_admin = cancel(&p, &admin, second_id).await;
    by_admin.assert_status(200);
    assert_eq!(by_admin.body["status"], "cancelled");
    assert_eq!(stock(&p, &sku).await, 20);

    // Without a token: 401.
    let anonymous = p
        .send(
            Method::POST,
            &format!("/api/orders/{id}/cancel"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
}

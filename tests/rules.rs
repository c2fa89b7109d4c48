//! End to end: tenant pricing rules uploaded through the admin API and run
//! by pricing in the sandbox — the examples' effect on quotes and orders,
//! and every misbehaving rule contained.

mod support;

use serde_json::Value;
use sluice::builtin as built;
use support::{Platform, Reply, token_for, unique};

/// A seeded product (components/catalog/seed) priced 16.50, a price the
/// example rules all change.
const SKU: &str = "COF-FIL-002";
const BASE: i64 = 1650;

fn admin() -> String {
    token_for("ops", "admin", "default")
}

async fn put_rule(platform: &Platform, tenant: &str, bytes: &[u8]) -> Reply {
    platform
        .upload(
            &format!("/admin/tenants/{tenant}/pricing-rule"),
            &admin(),
            bytes,
        )
        .await
}

/// A quote for a customer of `tenant` (the tenant of their token).
async fn quote(platform: &Platform, tenant: &str, qty: u32) -> Value {
    let customer = token_for("c", "customer", tenant);
    let reply = platform
        .get(&format!("/api/prices/{SKU}?qty={qty}"), Some(&customer))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

/// Places an order of `qty` units by a new customer of `tenant`.
async fn order_as(platform: &Platform, tenant: &str, qty: u32) -> Value {
    let customer = token_for(&format!("c{}", unique()), "customer", tenant);
    let items = serde_json::json!({"items": [{"sku": SKU, "qty": qty}]});
    let order = platform
        .send(
            reqwest::Method::POST,
            "/api/orders",
            Some(&customer),
            Some(&items),
            &[],
        )
        .await;
    assert_eq!(order.status, 201, "{order:?}");
    order.body
}

fn unit_price(quote: &Value) -> i64 {
    quote["unit_price"].as_i64().unwrap()
}

fn rule_detail(quote: &Value) -> Option<String> {
    quote["applied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "tenant_rule")
        .map(|a| a["detail"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn example_rules_change_quotes_and_orders() {
    let platform = Platform::start(Default::default());
    let base = unit_price(&quote(&platform, "default", 1).await);
    assert_eq!(base, BASE);

    let (charm, bulk) = (format!("charm{}", unique()), format!("bulk{}", unique()));
    let reply = put_rule(&platform, &charm, built::RULE_ROUND99).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["digest"].as_str().unwrap().len(), 64);
    put_rule(&platform, &bulk, built::RULE_BULK)
        .await
        .assert_status(200);

    // round99: charm pricing, never above the price without the rule.
    let charmed = quote(&platform, &charm, 1).await;
    assert_eq!(unit_price(&charmed), 1599, "{charmed}");
    assert_eq!(charmed["base_unit_price"], base);
    assert!(
        rule_detail(&charmed).unwrap().contains("charm"),
        "{charmed}"
    );
    assert!(charmed.get("rule_error").is_none(), "{charmed}");

    // bulk: unchanged under 10 units, cheaper from 10 and again from 50.
    assert_eq!(unit_price(&quote(&platform, &bulk, 2).await), base);
    let ten = quote(&platform, &bulk, 10).await;
    assert_eq!(
        unit_price(&ten),
        1568,
        "5% off 16.50, rounded half up: {ten}"
    );
    assert_eq!(ten["total"], unit_price(&ten) * 10);
    let fifty = quote(&platform, &bulk, 50).await;
    assert_eq!(unit_price(&fifty), 1485, "10% off 16.50: {fifty}");
    // Tenants without a rule are untouched.
    assert_eq!(unit_price(&quote(&platform, "default", 10).await), base);

    // Orders by the tenants' customers are priced by their rules.
    let order = order_as(&platform, &charm, 2).await;
    assert_eq!(order["items"][0]["unit_price"], 1599);
    assert_eq!(order["total"], 1599 * 2);
    let order = order_as(&platform, &bulk, 10).await;
    assert_eq!(order["items"][0]["unit_price"], 1568);
    assert_eq!(order["total"], 15680);

    // Removing the rule restores the plain price; removing it twice is 404.
    let path = format!("/admin/tenants/{charm}/pricing-rule");
    let gone = platform
        .send(reqwest::Method::DELETE, &path, Some(&admin()), None, &[])
        .await;
    assert_eq!(gone.status, 204, "{gone:?}");
    assert_eq!(unit_price(&quote(&platform, &charm, 1).await), base);
    platform
        .send(reqwest::Method::DELETE, &path, Some(&admin()), None, &[])
        .await
        .assert_error(404, "not_found");
}

/// Every way a rule can misbehave at run time: the quote still answers, at
/// the price without the rule, says why, and the metric counts it.
#[tokio::test]
async fn misbehaving_rules_are_contained() {
    let platform = Platform::start(Default::default());
    let base = unit_price(&quote(&platform, "default", 3).await);
    let cases: &[(&str, &[u8], &str, &str)] = &[
        ("loop", built::RULE_LOOP, "fuel", "ran out of fuel"),
        ("membomb", built::RULE_MEMBOMB, "memory", "memory cap"),
        ("trap", built::RULE_TRAP, "trap", "trapped"),
        ("badprice", built::RULE_BADPRICE, "applied", "outside"),
        ("bigoutput", built::RULE_BIGOUTPUT, "output", "byte limit"),
    ];
    for (name, bytes, outcome, says) in cases {
        let tenant = format!("{name}{}", unique());
        put_rule(&platform, &tenant, bytes).await.assert_status(200);
        let quote = quote(&platform, &tenant, 3).await;
        assert_eq!(unit_price(&quote), base, "{name}: {quote}");
        assert_eq!(quote["total"], base * 3, "{name}: {quote}");
        assert_eq!(rule_detail(&quote), None, "{name}: {quote}");
        let error = quote["rule_error"].as_str().unwrap_or_default();
        // A runaway loop is stopped by whichever budget runs out first: its
        // fuel (about 1 ms of CPU), or the 50 ms deadline on a starved machine.
        let (outcome, says) = match (*name, error.contains("deadline")) {
            ("loop", true) => ("deadline", "deadline"),
            _ => (*outcome, *says),
        };
        assert!(
            error.contains(says),
            "{name}: rule_error {error:?} should say {says:?}"
        );
        let metrics = platform.admin_get("/metrics").await;
        let line = format!("sluice_rule_runs_total{{tenant=\"{tenant}\",outcome=\"{outcome}\"}} 1");
        assert!(metrics.contains(&line), "{name}: no {line} in\n{metrics}");
    }
}

/// A rule stuck in a loop on one tenant does not disturb another tenant's
/// quotes running at the same time, and each tenant gets its own rule.
#[tokio::test]
async fn tenants_quoting_at_once_get_their_own_rules() {
    let platform = Platform::start(Default::default());
    let base = unit_price(&quote(&platform, "default", 10).await);
    let (charm, bulk, looping) = (
        format!("charm{}", unique()),
        format!("bulk{}", unique()),
        format!("loop{}", unique()),
    );
    put_rule(&platform, &charm, built::RULE_ROUND99)
        .await
        .assert_status(200);
    put_rule(&platform, &bulk, built::RULE_BULK)
        .await
        .assert_status(200);
    put_rule(&platform, &looping, built::RULE_LOOP)
        .await
        .assert_status(200);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let tenant = [&charm, &bulk, &looping][i % 3].clone();
        let url = platform.url(&format!("/api/prices/{SKU}?qty=10"));
        let customer = token_for("c", "customer", &tenant);
        let client = platform.client.clone();
        tasks.spawn(async move {
            let reply =
                Reply::from(client.get(url).bearer_auth(customer).send().await.unwrap()).await;
            (i % 3, reply)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (which, reply) = done.unwrap();
        assert_eq!(reply.status, 200, "{reply:?}");
        let expected = [1599, 1568, base][which];
        assert_eq!(unit_price(&reply.body), expected, "{}", reply.body);
        assert_eq!(
            reply.body.get("rule_error").is_some(),
            which == 2,
            "{}",
            reply.body
        );
    }
}

/// What can be known at upload is refused there, with the reason.
#[tokio::test]
async fn invalid_rules_are_refused_at_upload() {
    let platform = Platform::start(Default::default());
    let tenant = format!("t{}", unique());
    let garbage = put_rule(&platform, &tenant, b"not wasm at all").await;
    garbage.assert_error(422, "invalid_rule");
    // A component with imports (a wasi:http service) is not a rule.
    let service = put_rule(&platform, &tenant, built::HELLO).await;
    service.assert_error(422, "invalid_rule");
    assert!(
        service.body["message"]
            .as_str()
            .unwrap()
            .contains("imports"),
        "{service:?}"
    );
    let huge = vec![0u8; sluice::rules::limits::MAX_COMPONENT_BYTES + 1];
    put_rule(&platform, &tenant, &huge)
        .await
        .assert_error(413, "too_large");
    put_rule(&platform, "bad.name", built::RULE_ROUND99)
        .await
        .assert_error(400, "invalid_tenant");
    // Only admins upload.
    let path = format!("/admin/tenants/{tenant}/pricing-rule");
    let customer = token_for("c1", "customer", &tenant);
    assert_eq!(
        platform
            .upload(&path, &customer, built::RULE_ROUND99)
            .await
            .status,
        403
    );
    // Nothing was stored: the tenant still has no rule.
    let none = platform
        .send(reqwest::Method::GET, &path, Some(&admin()), None, &[])
        .await;
    none.assert_error(404, "not_found");
}

/// A rule written the ordinary way (std Rust and wit-bindgen, no rule kit)
/// imports WASI p2 and runs in the restricted, deterministic WASI: clocks
/// at the epoch, the same randomness every run, its output captured and
/// cut at the cap. A rule that imports the network is refused, by name.
#[tokio::test]
async fn std_rules_run_in_a_deterministic_wasi() {
    let platform = Platform::start(Default::default());
    for sku in ["CLOCK", "PRINT"] {
        platform.create_product(sku, 1000, 10).await;
    }
    let tenant = format!("std{}", unique());
    let accepted = put_rule(&platform, &tenant, built::STD_RULE_PROBE).await;
    accepted.assert_status(200);
    let customer = token_for("c", "customer", &tenant);
    let reason = |quote: &Value| rule_detail(quote).unwrap_or_else(|| panic!("{quote}"));
    let quote_of = |sku: &'static str| {
        let (platform, customer) = (&platform, &customer);
        async move {
            let reply = platform
                .get(&format!("/api/prices/{sku}"), Some(customer))
                .await;
            reply.assert_status(200);
            reply.body
        }
    };

    let first = reason(&quote_of("CLOCK").await);
    assert!(
        first.contains("wall=0 "),
        "the wall clock is fixed: {first}"
    );
    assert_eq!(
        reason(&quote_of("CLOCK").await),
        first,
        "same input, same answer"
    );

    let printed = quote_of("PRINT").await;
    assert_eq!(
        unit_price(&printed),
        999,
        "a rule that prints still answers: {printed}"
    );
    let rule = platform
        .get(
            &format!("/admin/tenants/{tenant}/pricing-rule"),
            Some(&admin()),
        )
        .await;
    let log = rule.body["last_run"]["log"].as_str().unwrap();
    assert!(log.len() < 5000, "the log is capped: {} bytes", log.len());
    assert!(log.contains("[log cut at 4096 bytes"), "{log}");

    let net = put_rule(&platform, &format!("net{}", unique()), built::STD_RULE_NET).await;
    net.assert_error(422, "invalid_rule");
    let message = net.body["message"].as_str().unwrap();
    assert!(message.contains("wasi:sockets/"), "{message}");
}

/// Rules are kept in the data dir: a restart runs them again.
#[tokio::test]
async fn rules_survive_a_restart() {
    let mut platform = Platform::start(Default::default());
    let base = unit_price(&quote(&platform, "default", 1).await);
    let tenant = format!("charm{}", unique());
    put_rule(&platform, &tenant, built::RULE_ROUND99)
        .await
        .assert_status(200);
    let temp = platform.keep_data_dir();
    assert!(platform.stop().success());
    let platform = Platform::start(support::Options {
        data_dir: Some(platform.data_dir.clone()),
        ..Default::default()
    });
    assert_eq!(base, BASE);
    assert_eq!(unit_price(&quote(&platform, &tenant, 1).await), 1599);
    drop(temp);
}

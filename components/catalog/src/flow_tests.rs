//! The product API on the kit's test host (catalog's real SQL on SQLite,
//! seeded by its migrations), through `handler::handle`: listing, getting,
//! admin create and update, auth, validation, and the cache (hits,
//! invalidation, outage).

use crate::body::MAX_BODY_BYTES;
use crate::cached::{GENERATION_KEY, GENERATION_TTL_MS, product_generation_key, product_key};
use crate::handler::handle;
use crate::ports::{Cache, Level, SqlError};
use crate::reply::Reply;
use crate::seed;
use crate::testing::{CatalogRows, product, seeded, with_products};
use futures::executor::block_on;
use serde_json::{Value, json};
use sluice_kit::sql::Value as SqlValue;
use sluice_kit::testing::{TestHost, assert_error, json_of, request};

const ADMIN: &str = "Bearer tok|admin-1|admin|default";
const CUSTOMER: &str = "Bearer tok|cust-1|customer|default";

fn send(host: &TestHost, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let reply = block_on(handle(host, request(method, path, headers, body)));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply
}

fn get(host: &TestHost, path: &str) -> Reply {
    send(host, "GET", path, &[], b"")
}

fn admin(host: &TestHost, method: &str, path: &str, body: Value) -> Reply {
    send(
        host,
        method,
        path,
        &[("authorization", ADMIN)],
        body.to_string().as_bytes(),
    )
}

/// The number of products with `sku` in the database.
fn rows_with_sku(host: &TestHost, sku: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM products WHERE sku = ?";
    host.db.int(sql, &[SqlValue::Text(sku.into())]).unwrap()
}

/// Another instance sets the stock of `sku`, behind the service's back.
fn set_stock(host: &TestHost, sku: &str, stock: i64) {
    let sql = "UPDATE products SET stock = ? WHERE sku = ?";
    host.db
        .exec(sql, &[SqlValue::Integer(stock), SqlValue::Text(sku.into())]);
}

/// Checks that the cache entry at `key`, written at the fake now, lives
/// `ttl_ms`: there until just before, gone from then on. Moves the clock
/// `ttl_ms` on.
fn assert_lives(host: &TestHost, key: &str, ttl_ms: u64) {
    host.advance(ttl_ms - 1);
    assert!(host.cached(key).is_some(), "{key} lives {ttl_ms} ms");
    host.advance(1);
    assert_eq!(host.cached(key), None, "{key} is gone after {ttl_ms} ms");
}

fn kettle() -> Value {
    json!({
        "sku": "NEW-KTL-1",
        "name": "  Stovetop Kettle ",
        "description": "Whistles.",
        "base_price": 4500,
        "currency": "EUR",
        "stock": 12
    })
}

#[test]
fn lists_the_catalogue_in_pages() {
    let host = seeded();
    let all = seed::products().unwrap().len();
    let first = json_of(&get(&host, "/api/products"));
    assert_eq!(first["total"], all);
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 20, "default limit");
    let keys: Vec<&str> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        6,
        "sku, name, description, base_price, currency, stock: {keys:?}"
    );

    // Walking the pages visits every product once, in sku order.
    let mut skus = Vec::new();
    let mut offset = 0;
    loop {
        let page = json_of(&get(
            &host,
            &format!("/api/products?limit=7&offset={offset}"),
        ));
        assert_eq!(page["total"], all);
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        skus.extend(items.iter().map(|p| p["sku"].as_str().unwrap().to_string()));
        offset += 7;
    }
    assert_eq!(skus.len(), all);
    let mut sorted = skus.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(skus, sorted);

    let page = json_of(&get(&host, "/api/products?limit=100&offset=10000"));
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["total"], all);
}

#[test]
fn bad_pagination_is_400() {
    let host = seeded();
    for query in ["limit=0", "limit=101", "limit=x", "offset=-1", "limit="] {
        assert_error(
            &get(&host, &format!("/api/products?{query}")),
            400,
            "invalid_query",
        );
    }
}

#[test]
fn gets_one_product_or_404() {
    let host = seeded();
    let reply = get(&host, "/api/products/COF-GRD-004");
    assert_eq!(reply.status, 200);
    let body = json_of(&reply);
    assert_eq!(body["sku"], "COF-GRD-004");
    assert_eq!(body["base_price"], 12900);
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["stock"], 35);

    assert_error(&get(&host, "/api/products/NOPE-1"), 404, "not_found");
    // A sku that cannot exist is not looked up at all.
    let before = host.db.statements().len();
    assert_error(&get(&host, "/api/products/bad%20sku"), 404, "not_found");
    assert_eq!(host.db.statements().len(), before);
    assert_error(&get(&host, "/api/nothing"), 404, "not_found");
    let reply = send(&host, "DELETE", "/api/products/COF-GRD-004", &[], b"");
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET, PUT"));
}

#[test]
fn request_id_is_echoed() {
    let host = seeded();
    let reply = send(
        &host,
        "GET",
        "/api/products/NOPE",
        &[("X-Request-Id", "req-42")],
        b"",
    );
    assert_eq!(reply.header("x-request-id"), Some("req-42"));
    let reply = send(
        &host,
        "GET",
        "/api/products",
        &[("x-request-id", "a b")],
        b"",
    );
    assert_eq!(
        reply.header("x-request-id"),
        None,
        "unsafe ids are not echoed"
    );
}

#[test]
fn admin_creates_a_product() {
    let host = seeded();
    let reply = admin(&host, "POST", "/api/products", kettle());
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("location"), Some("/api/products/NEW-KTL-1"));
    let expected = json!({
        "sku": "NEW-KTL-1",
        "name": "Stovetop Kettle",
        "description": "Whistles.",
        "base_price": 4500,
        "currency": "EUR",
        "stock": 12
    });
    assert_eq!(json_of(&reply), expected);
    assert_eq!(json_of(&get(&host, "/api/products/NEW-KTL-1")), expected);
    assert!(host.logged(Level::Info, "product created"));

    // Defaults: empty description, no stock.
    let reply = admin(
        &host,
        "POST",
        "/api/products",
        json!({"sku": "MIN-1", "name": "Minimal", "base_price": 0, "currency": "USD"}),
    );
    assert_eq!(reply.status, 201);
    assert_eq!(json_of(&reply)["description"], "");
    assert_eq!(json_of(&reply)["stock"], 0);

    assert_error(
        &admin(&host, "POST", "/api/products", kettle()),
        409,
        "sku_taken",
    );
}

#[test]
fn create_and_update_need_an_admin() {
    let host = seeded();
    let body = kettle().to_string();
    for (headers, status, code) in [
        (vec![], 401, "unauthorized"),
        (vec![("authorization", "Bearer junk")], 401, "invalid_token"),
        (
            vec![("authorization", "Bearer expired")],
            401,
            "token_expired",
        ),
        (vec![("authorization", CUSTOMER)], 403, "forbidden"),
    ] {
        let reply = send(&host, "POST", "/api/products", &headers, body.as_bytes());
        assert_error(&reply, status, code);
        let reply = send(
            &host,
            "PUT",
            "/api/products/COF-ESP-001",
            &headers,
            br#"{"stock": 0}"#,
        );
        assert_error(&reply, status, code);
    }
    assert_eq!(rows_with_sku(&host, "NEW-KTL-1"), 0);
    assert_eq!(host.db.stock("COF-ESP-001"), 180);
}

#[test]
fn invalid_products_are_400_with_the_field_code() {
    let host = seeded();
    let with = |field: &str, value: Value| {
        let mut body = kettle();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = kettle();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (with("sku", json!("")), "invalid_sku"),
        (with("sku", json!("has space")), "invalid_sku"),
        (with("sku", json!("x".repeat(65))), "invalid_sku"),
        (with("name", json!("  ")), "invalid_name"),
        (with("name", json!("n".repeat(201))), "invalid_name"),
        (
            with("description", json!("d".repeat(2001))),
            "invalid_description",
        ),
        (with("base_price", json!(-1)), "invalid_price"),
        (with("base_price", json!(12.5)), "invalid_price"),
        (with("base_price", json!("4500")), "invalid_price"),
        (with("currency", json!("eur")), "invalid_currency"),
        (with("currency", json!("EURO")), "invalid_currency"),
        (with("stock", json!(-3)), "invalid_stock"),
        (with("stock", json!(1.5)), "invalid_stock"),
        (with("colour", json!("red")), "invalid_json"),
        (with("name", json!(7)), "invalid_json"),
        (without("sku"), "invalid_json"),
        (without("base_price"), "invalid_json"),
        (without("currency"), "invalid_json"),
    ];
    for (body, code) in cases {
        assert_error(
            &admin(&host, "POST", "/api/products", body.clone()),
            400,
            code,
        );
    }
    let reply = send(
        &host,
        "POST",
        "/api/products",
        &[("authorization", ADMIN)],
        b"{not json",
    );
    assert_error(&reply, 400, "invalid_json");
    let reply = send(
        &host,
        "POST",
        "/api/products",
        &[("authorization", ADMIN)],
        &vec![b' '; MAX_BODY_BYTES + 1],
    );
    assert_error(&reply, 413, "payload_too_large");
    assert_eq!(rows_with_sku(&host, "NEW-KTL-1"), 0);
}

#[test]
fn admin_updates_only_the_fields_given() {
    let host = seeded();
    let before = json_of(&get(&host, "/api/products/KIT-PAN-014"));
    let reply = admin(
        &host,
        "PUT",
        "/api/products/KIT-PAN-014",
        json!({"base_price": 3499, "stock": 5}),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let after = json_of(&reply);
    assert_eq!(after["base_price"], 3499);
    assert_eq!(after["stock"], 5);
    assert_eq!(after["name"], before["name"]);
    assert_eq!(after["description"], before["description"]);
    let statements = host.db.statements();
    assert!(
        statements.contains(
            &"UPDATE products SET base_price = ?, stock = ?, updated_at = ? WHERE sku = ?"
                .to_string()
        ),
        "{statements:?}"
    );

    // A whole product sent back with its own sku is fine; another sku is not.
    let mut whole = after.clone();
    whole["name"] = json!("Skillet, 26 cm");
    let reply = admin(&host, "PUT", "/api/products/KIT-PAN-014", whole);
    assert_eq!(json_of(&reply)["name"], "Skillet, 26 cm");
    assert_error(
        &admin(
            &host,
            "PUT",
            "/api/products/KIT-PAN-014",
            json!({"sku": "OTHER"}),
        ),
        400,
        "invalid_sku",
    );
    // Nothing to change: the product as it is.
    let reply = admin(&host, "PUT", "/api/products/KIT-PAN-014", json!({}));
    assert_eq!(reply.status, 200);
    assert_eq!(json_of(&reply)["stock"], 5);

    for (body, code) in [
        (json!({"stock": -1}), "invalid_stock"),
        (json!({"currency": "usd"}), "invalid_currency"),
        (json!({"name": ""}), "invalid_name"),
        (json!({"base_price": 1.5}), "invalid_price"),
        (json!({"prise": 5}), "invalid_json"),
    ] {
        assert_error(
            &admin(&host, "PUT", "/api/products/KIT-PAN-014", body),
            400,
            code,
        );
    }
    assert_eq!(host.db.stock("KIT-PAN-014"), 5);

    assert_error(
        &admin(&host, "PUT", "/api/products/NOPE-1", json!({"stock": 1})),
        404,
        "not_found",
    );
    assert_error(
        &admin(&host, "PUT", "/api/products/NOPE-1", json!({})),
        404,
        "not_found",
    );
}

#[test]
fn reads_are_cached_and_changes_invalidate() {
    let host = seeded();
    let first = get(&host, "/api/products/OUT-TNT-021");
    let queries = host.db.statements().len();
    // Served from the cache now: no SQL.
    let second = get(&host, "/api/products/OUT-TNT-021");
    assert_eq!(second.body, first.body);
    assert_eq!(host.db.statements().len(), queries);

    // A change behind the service's back is not seen: proof of the cache.
    set_stock(&host, "OUT-TNT-021", 99);
    assert_eq!(
        json_of(&get(&host, "/api/products/OUT-TNT-021"))["stock"],
        14
    );
    // Cached for the default TTL (the entry is gone after this).
    assert_lives(&host, &product_key("OUT-TNT-021", 0), 30_000);

    // An admin update invalidates: the next read is fresh.
    admin(
        &host,
        "PUT",
        "/api/products/OUT-TNT-021",
        json!({"name": "Tent"}),
    );
    let fresh = json_of(&get(&host, "/api/products/OUT-TNT-021"));
    assert_eq!(fresh["stock"], 99);
    assert_eq!(fresh["name"], "Tent");
    assert_eq!(
        host.cached(&product_generation_key("OUT-TNT-021")),
        Some(b"1".to_vec())
    );
    assert!(host.cached(&product_key("OUT-TNT-021", 1)).is_some());
}

#[test]
fn list_pages_are_cached_per_generation() {
    let host = seeded();
    get(&host, "/api/products?limit=5");
    let queries = host.db.statements().len();
    get(&host, "/api/products?limit=5");
    assert_eq!(
        host.db.statements().len(),
        queries,
        "second page read is a hit"
    );
    assert!(host.cached("products:0:5:0").is_some());

    // Any change bumps the generation; the old page is no longer read.
    let reply = admin(
        &host,
        "POST",
        "/api/products",
        json!({"sku": "AAA-FIRST", "name": "First", "base_price": 1, "currency": "USD"}),
    );
    assert_eq!(reply.status, 201);
    assert_eq!(host.cached(GENERATION_KEY), Some(b"1".to_vec()));
    let page = json_of(&get(&host, "/api/products?limit=5"));
    assert_eq!(page["items"][0]["sku"], "AAA-FIRST");
    assert!(host.cached("products:1:5:0").is_some());
}

#[test]
fn reads_survive_a_cache_outage_and_use_it_again_after() {
    let host = seeded();
    get(&host, "/api/products/ELC-HDP-030");
    host.cache_off(true);
    let mark = host.cache_ops().len();
    set_stock(&host, "ELC-HDP-030", 1);
    // Down: the database answers (fresh), and nothing is written back.
    let reply = get(&host, "/api/products/ELC-HDP-030");
    assert_eq!(reply.status, 200);
    assert_eq!(json_of(&reply)["stock"], 1);
    let reply = get(&host, "/api/products?limit=3");
    assert_eq!(reply.status, 200);
    assert_eq!(json_of(&reply)["items"].as_array().unwrap().len(), 3);
    let ops = host.cache_ops()[mark..].to_vec();
    assert!(ops.iter().any(|op| op.starts_with("get")), "{ops:?}");
    assert!(!ops.iter().any(|op| op.starts_with("set")), "{ops:?}");
    // Changes while down still succeed.
    let reply = admin(
        &host,
        "PUT",
        "/api/products/ELC-HDP-030",
        json!({"stock": 2}),
    );
    assert_eq!(reply.status, 200);
    assert!(host.logged(Level::Warn, "cache invalidation failed"));

    // Back (and emptied, as a restarted Redis would be: every entry's TTL
    // has passed): used again.
    host.cache_off(false);
    host.advance(GENERATION_TTL_MS);
    assert_eq!(
        json_of(&get(&host, "/api/products/ELC-HDP-030"))["stock"],
        2
    );
    let queries = host.db.statements().len();
    assert_eq!(
        json_of(&get(&host, "/api/products/ELC-HDP-030"))["stock"],
        2
    );
    assert_eq!(host.db.statements().len(), queries, "a hit again");
}

#[test]
fn cache_settings_turn_it_off_or_change_the_ttl() {
    let host = seeded();
    host.set("cache_ttl_ms", "5000");
    get(&host, "/api/products/HOM-CND-052");
    assert_lives(&host, &product_key("HOM-CND-052", 0), 5000);

    let host = seeded();
    host.set("cache", "off");
    get(&host, "/api/products/HOM-CND-052");
    get(&host, "/api/products?limit=2");
    assert!(host.cache_ops().is_empty());
}

#[test]
fn a_garbled_cache_entry_is_replaced() {
    let host = seeded();
    block_on(host.cache_set(&product_key("STN-PEN-041", 0), b"{oops".to_vec(), 0)).unwrap();
    let reply = get(&host, "/api/products/STN-PEN-041");
    assert_eq!(json_of(&reply)["sku"], "STN-PEN-041");
    assert!(host.logged(Level::Warn, "garbled"));
    let cached = host.cached(&product_key("STN-PEN-041", 0));
    assert_eq!(cached, Some(reply.body));
}

#[test]
fn a_garbled_generation_counter_means_the_database() {
    let host = seeded();
    for key in [product_generation_key("STN-PEN-041"), GENERATION_KEY.into()] {
        block_on(host.cache_set(&key, b"oops".to_vec(), 0)).unwrap();
    }
    let mark = host.cache_ops().len();
    set_stock(&host, "STN-PEN-041", 7);
    // Read fresh every time, and nothing stored under a generation that no
    // invalidation could bump.
    for _ in 0..2 {
        assert_eq!(
            json_of(&get(&host, "/api/products/STN-PEN-041"))["stock"],
            7
        );
        assert_eq!(get(&host, "/api/products?limit=2").status, 200);
    }
    let ops = host.cache_ops()[mark..].to_vec();
    assert!(!ops.iter().any(|op| op.starts_with("set")), "{ops:?}");
    assert!(host.logged(Level::Warn, "garbled generation counter"));
}

#[test]
fn database_failures_are_503_or_500_without_details() {
    let host = with_products([product("A-1", 1)]);
    host.set("cache", "off");
    host.db
        .fail_with(Some(SqlError::Unavailable("connection refused".into())));
    let reply = get(&host, "/api/products/A-1");
    assert_error(&reply, 503, "unavailable");
    assert!(!String::from_utf8_lossy(&reply.body).contains("refused"));
    host.db
        .fail_with(Some(SqlError::Other("syntax near SELECT".into())));
    let reply = get(&host, "/api/products");
    assert_error(&reply, 500, "internal");
    assert!(!String::from_utf8_lossy(&reply.body).contains("SELECT"));
    assert!(host.logged(Level::Error, "database error"));
}

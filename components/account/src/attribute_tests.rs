//! Customer attributes through `handler::handle` on the test host:
//! who may set them, the rules they follow, and that they reach `me` at
//! once and the token at the next login.

use crate::admin_testing::{ROOT, account, call, new_tenant, put_member, tenant_admin, token_of};
use crate::flow_tests::send;
use crate::reply::Reply;
use crate::testing::FakeHost;
use serde_json::{Map, Value, json};
use sluice_kit::testing::{assert_error, json_of};

fn put_attributes(host: &FakeHost, auth: &str, id: &str, body: &str) -> Reply {
    let path = format!("/admin/accounts/{id}/attributes");
    call(host, "PUT", &path, auth, body)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_platform_admin_replaces_and_clears_attributes() {
    let host = FakeHost::new();
    let bob = account(&host, "bob@example.com");
    let reply = put_attributes(&host, ROOT, &bob, r#"{"zone":"eu","tier":"gold"}"#);
    assert_eq!(reply.status, 200);
    assert_eq!(
        json_of(&reply),
        json!({"id": bob, "attributes": {"tier": "gold", "zone": "eu"}})
    );
    let stored = host.account_by_id(&bob).unwrap().attributes;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored["tier"], "gold");

    // The whole set is replaced: `tier` goes.
    let reply = put_attributes(&host, ROOT, &bob, r#"{"zone":"us"}"#);
    assert_eq!(json_of(&reply)["attributes"], json!({"zone": "us"}));
    assert_eq!(host.account_by_id(&bob).unwrap().attributes.len(), 1);
    let reply = put_attributes(&host, ROOT, &bob, "{}");
    assert_eq!(json_of(&reply), json!({"id": bob, "attributes": {}}));
    assert!(host.account_by_id(&bob).unwrap().attributes.is_empty());

    assert_error(&put_attributes(&host, ROOT, "0123", "{}"), 404, "not_found");
}

#[test]
fn attributes_reach_me_at_once_and_the_token_at_the_next_login() {
    let host = FakeHost::new();
    let bob = account(&host, "bob@example.com");
    let first = token_of(&host, "bob@example.com");
    let body = r#"{"zone":"eu","tier":"gold"}"#;
    assert_eq!(put_attributes(&host, ROOT, &bob, body).status, 200);

    let reply = send(
        &host,
        "GET",
        "/api/accounts/me",
        &[("authorization", &first)],
        b"",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        json_of(&reply),
        json!({
            "id": bob, "email": "bob@example.com", "role": "customer", "tenant": "default",
            "attributes": {"tier": "gold", "zone": "eu"}
        })
    );

    token_of(&host, "bob@example.com");
    let issued = host.issued.borrow();
    assert_eq!(issued.len(), 2);
    assert!(issued[0].3.is_empty(), "the first token has none");
    let (subject, role, tenant, attributes) = &issued[1];
    assert_eq!(
        (subject, role.as_str(), tenant.as_str()),
        (&bob, "customer", "default")
    );
    assert_eq!(
        *attributes,
        pairs(&[("tier", "gold"), ("zone", "eu")]),
        "sorted by key"
    );
}

#[test]
fn invalid_attributes_are_400_and_store_nothing() {
    let host = FakeHost::new();
    let bob = account(&host, "bob@example.com");
    assert_eq!(
        put_attributes(&host, ROOT, &bob, r#"{"tier":"gold"}"#).status,
        200
    );
    let before = host.account_by_id(&bob).unwrap();
    let writes = host.writes();

    let seventeen: Map<String, Value> = (0..17).map(|i| (format!("k{i}"), "v".into())).collect();
    let cases = [
        (Value::from(seventeen), "at most 16"),
        (json!({ "k".repeat(33): "v" }), "must start with a-z"),
        (json!({"Tier": "gold"}), "must start with a-z"),
        (json!({"2fa": "on"}), "must start with a-z"),
        (json!({"tier-x": "on"}), "must start with a-z"),
        (json!({"tier": 1}), "string value"),
        (json!({"tier": null}), "string value"),
        (json!({"tier": {"a": "b"}}), "string value"),
        (json!({"tier": "g".repeat(65)}), "at most 64"),
        (json!({"tier": ""}), "not be empty"),
        (json!({"tier": "go\u{1b}ld"}), "control characters"),
        (json!([{"tier": "gold"}]), "JSON object"),
        (json!("tier=gold"), "JSON object"),
        (json!(null), "JSON object"),
        (json!(5), "JSON object"),
    ];
    for (body, needle) in cases {
        let reply = put_attributes(&host, ROOT, &bob, &body.to_string());
        assert_error(&reply, 400, "invalid_attributes");
        let error = json_of(&reply);
        assert_eq!(error.as_object().unwrap().len(), 2, "error and message");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    for body in ["", "{", "{\"tier\":}"] {
        let reply = put_attributes(&host, ROOT, &bob, body);
        assert_error(&reply, 400, "invalid_json");
    }
    assert_eq!(host.account_by_id(&bob).unwrap(), before, "nothing stored");
    assert_eq!(host.writes(), writes);

    // The limits themselves pass.
    let sixteen: Map<String, Value> = (0..16)
        .map(|i| (format!("k{i:0>31}"), "v".repeat(64).into()))
        .collect();
    let reply = put_attributes(&host, ROOT, &bob, &Value::from(sixteen).to_string());
    assert_eq!(reply.status, 200);
    assert_eq!(host.account_by_id(&bob).unwrap().attributes.len(), 16);
}

#[test]
fn tenant_admins_set_attributes_of_their_own_tenant_only() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    new_tenant(&host, "globex");
    let ann = tenant_admin(&host, "acme", "ann@acme.io");
    let bob = account(&host, "bob@example.com");
    let carl = account(&host, "carl@example.com");
    let dora = account(&host, "dora@example.com");
    assert_eq!(
        put_member(&host, ROOT, "acme", &bob, "customer").status,
        200
    );
    assert_eq!(
        put_member(&host, ROOT, "globex", &carl, "customer").status,
        200
    );

    let body = r#"{"tier":"gold"}"#;
    assert_eq!(put_attributes(&host, &ann, &bob, body).status, 200);
    assert_eq!(host.account_by_id(&bob).unwrap().attributes["tier"], "gold");
    // An account of globex, or of default, is not ann's.
    for other in [&carl, &dora] {
        assert_error(&put_attributes(&host, &ann, other, body), 403, "forbidden");
        assert!(host.account_by_id(other).unwrap().attributes.is_empty());
    }
    assert_error(&put_attributes(&host, &ann, "0123", body), 404, "not_found");
}

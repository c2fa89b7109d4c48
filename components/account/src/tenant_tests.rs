//! Tenants and their members through `handler::handle` on the test host:
//! invite-only tenants, what a platform admin and a tenant admin may
//! do, and changes that reach the token at the next login.

use crate::admin::ensure_admin;
use crate::admin_testing::{
    PASSWORD, ROOT, account, call, delete_member, new_tenant, put_member, tenant_admin, token_of,
};
use crate::flow_tests::post;
use crate::ports::Value;
use crate::testing::FakeHost;
use futures::executor::block_on;
use serde_json::json;
use sluice_kit::testing::{assert_error, json_of};

/// Another instance runs `sql` on account `id` just before each of the
/// next `times` `execute`s (the conditional updates), so each one misses.
fn change_meanwhile(host: &FakeHost, times: usize, sql: &'static str, id: &str) {
    for _ in 0..times {
        let id = Value::from(id);
        host.kit
            .db
            .before_next_execute(move |db| assert_eq!(db.exec(sql, &[id]), 1));
    }
}

#[test]
fn self_registration_into_another_tenant_is_403_and_writes_nothing() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    let writes = host.writes();
    for tenant in ["acme", "globex"] {
        let body = json!({"email": "eve@example.com", "password": PASSWORD, "tenant": tenant});
        let reply = post(&host, "/api/accounts/register", body);
        assert_error(&reply, 403, "tenant_invite_only");
        let message = json_of(&reply)["message"].as_str().unwrap().to_string();
        assert!(message.contains("admin of the platform or of that tenant"));
        assert!(message.contains("register without a tenant"));
    }
    assert_eq!(host.count("accounts"), 0);
    assert_eq!(host.writes(), writes, "nothing written");
    // Without a tenant, or naming `default`, registering works as before.
    let body = json!({"email": "eve@example.com", "password": PASSWORD, "tenant": "default"});
    assert_eq!(post(&host, "/api/accounts/register", body).status, 201);
}

#[test]
fn a_platform_admin_creates_lists_and_shows_tenants() {
    let host = FakeHost::new();
    let reply = call(
        &host,
        "POST",
        "/admin/tenants",
        ROOT,
        r#"{"id":"globex","name":"  Globex Corp "}"#,
    );
    assert_eq!(reply.status, 201);
    let globex =
        json!({"id": "globex", "name": "Globex Corp", "created_at": "2023-11-14T22:13:20.000Z"});
    assert_eq!(json_of(&reply), globex);
    new_tenant(&host, "acme");

    let reply = call(&host, "GET", "/admin/tenants", ROOT, "");
    assert_eq!(reply.status, 200);
    let ids: Vec<_> = json_of(&reply)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, ["acme", "default", "globex"], "ordered by id");
    assert_eq!(json_of(&reply)[2], globex);
    assert_eq!(json_of(&reply)[1]["created_at"], "1970-01-01T00:00:00.000Z");

    let reply = call(&host, "GET", "/admin/tenants/globex", ROOT, "");
    assert_eq!(reply.status, 200);
    let mut detail = globex.clone();
    detail["members"] = json!([]);
    assert_eq!(json_of(&reply), detail);
    let reply = call(&host, "GET", "/admin/tenants/nope", ROOT, "");
    assert_error(&reply, 404, "not_found");
}

#[test]
fn a_duplicate_tenant_is_409_and_bad_input_400() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    for id in ["acme", "default"] {
        let body = json!({"id": id, "name": "Again"}).to_string();
        let reply = call(&host, "POST", "/admin/tenants", ROOT, &body);
        assert_error(&reply, 409, "tenant_exists");
    }
    let cases = [
        (json!({"id": "Acme", "name": "A"}), "invalid_input", "id "),
        (json!({"id": "", "name": "A"}), "invalid_input", "id "),
        (
            json!({"id": "a".repeat(65), "name": "A"}),
            "invalid_input",
            "id ",
        ),
        (json!({"id": "ok", "name": "   "}), "invalid_input", "name "),
        (
            json!({"id": "ok", "name": "n".repeat(201)}),
            "invalid_input",
            "name ",
        ),
        (
            json!({"id": "ok", "name": "a\u{7}b"}),
            "invalid_input",
            "name ",
        ),
        (json!({"id": "ok"}), "invalid_json", "`name`"),
        (
            json!({"id": 5, "name": "A"}),
            "invalid_json",
            "invalid type",
        ),
    ];
    for (body, code, needle) in cases {
        let reply = call(&host, "POST", "/admin/tenants", ROOT, &body.to_string());
        assert_error(&reply, 400, code);
        let message = json_of(&reply)["message"].as_str().unwrap().to_string();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let names = host
        .kit
        .db
        .rows("SELECT name FROM tenants ORDER BY created_at", &[]);
    assert_eq!(
        names,
        [[Value::from("Default")], [Value::from("Tenant acme")]],
        "nothing else stored"
    );
}

#[test]
fn admin_routes_need_a_token_and_an_admin_role() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    let id = account(&host, "cust@example.com");
    let routes = [
        (
            "POST",
            "/admin/tenants".to_string(),
            r#"{"id":"x","name":"X"}"#,
        ),
        ("GET", "/admin/tenants".to_string(), ""),
        ("GET", "/admin/tenants/acme".to_string(), ""),
        (
            "PUT",
            format!("/admin/tenants/acme/members/{id}"),
            r#"{"role":"customer"}"#,
        ),
        ("DELETE", format!("/admin/tenants/acme/members/{id}"), ""),
        (
            "PUT",
            format!("/admin/accounts/{id}/attributes"),
            r#"{"tier":"gold"}"#,
        ),
    ];
    let customer = format!("Bearer tok|{id}|customer|acme");
    for (method, path, body) in &routes {
        let reply = call(&host, method, path, "", body);
        assert_error(&reply, 401, "unauthorized");
        assert_error(
            &call(&host, method, path, "Bearer junk", body),
            401,
            "invalid_token",
        );
        assert_error(
            &call(&host, method, path, "Bearer expired", body),
            401,
            "token_expired",
        );
        let reply = call(&host, method, path, &customer, body);
        assert_error(&reply, 403, "forbidden");
        assert_eq!(
            json_of(&reply).as_object().unwrap().len(),
            2,
            "error and message"
        );
    }
    // Tenant admins manage their tenant, not the list of tenants.
    let acme_admin = "Bearer tok|a1|tenant-admin|acme";
    for (method, path, body) in &routes[..2] {
        assert_error(
            &call(&host, method, path, acme_admin, body),
            403,
            "forbidden",
        );
    }
    assert_eq!(host.count("tenants"), 2);
    assert_eq!(host.account_by_id(&id).unwrap().tenant, "default");
}

#[test]
fn a_tenant_admin_adds_default_accounts_and_stays_out_of_other_tenants() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    new_tenant(&host, "globex");
    let ann = tenant_admin(&host, "acme", "ann@acme.io");
    assert!(ann.ends_with("|tenant-admin|acme"), "{ann}");
    let bob = account(&host, "bob@example.com");

    let reply = put_member(&host, &ann, "acme", &bob, "customer");
    assert_eq!(reply.status, 200);
    assert_eq!(
        json_of(&reply),
        json!({"id": bob, "email": "bob@example.com", "role": "customer", "tenant": "acme", "attributes": {}})
    );
    let reply = call(&host, "GET", "/admin/tenants/acme", &ann, "");
    assert_eq!(reply.status, 200);
    let emails: Vec<_> = json_of(&reply)["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].clone())
        .collect();
    assert_eq!(emails, ["ann@acme.io", "bob@example.com"], "by email");
    // The change reaches bob's token at his next login.
    assert!(token_of(&host, "bob@example.com").ends_with("|customer|acme"));

    // Another tenant, existing or not, is out of bounds.
    let carl = account(&host, "carl@example.com");
    for tenant in ["globex", "nope"] {
        let path = format!("/admin/tenants/{tenant}");
        assert_error(&call(&host, "GET", &path, &ann, ""), 403, "forbidden");
        let reply = put_member(&host, &ann, tenant, &carl, "customer");
        assert_error(&reply, 403, "forbidden");
        assert_error(&delete_member(&host, &ann, tenant, &carl), 403, "forbidden");
    }
    assert_eq!(host.account_by_id(&carl).unwrap().tenant, "default");
}

#[test]
fn a_tenant_admin_cannot_take_an_account_of_another_tenant() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    new_tenant(&host, "globex");
    let ann = tenant_admin(&host, "acme", "ann@acme.io");
    let carl = account(&host, "carl@example.com");
    assert_eq!(
        put_member(&host, ROOT, "globex", &carl, "customer").status,
        200
    );

    assert_error(
        &put_member(&host, &ann, "acme", &carl, "customer"),
        403,
        "forbidden",
    );
    assert_eq!(host.account_by_id(&carl).unwrap().tenant, "globex");
    // A platform admin moves accounts between any tenants.
    let reply = put_member(&host, ROOT, "acme", &carl, "tenant-admin");
    assert_eq!(reply.status, 200);
    let stored = host.account_by_id(&carl).unwrap();
    assert_eq!(
        (stored.tenant.as_str(), stored.role.as_str()),
        ("acme", "tenant-admin")
    );
}

#[test]
fn platform_admins_are_not_changed_by_tenant_routes() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    let ann = tenant_admin(&host, "acme", "ann@acme.io");
    let root = block_on(ensure_admin(&host, "root@example.com", "admin-pass")).unwrap();
    for auth in [ROOT, ann.as_str()] {
        let reply = put_member(&host, auth, "acme", &root, "customer");
        assert_error(&reply, 409, "platform_admin");
    }
    // A platform admin provisioned from an account of acme stays in acme.
    let ann_id = host.account("ann@acme.io").unwrap().id;
    block_on(ensure_admin(&host, "ann@acme.io", "admin-pass")).unwrap();
    assert_error(
        &delete_member(&host, ROOT, "acme", &ann_id),
        409,
        "platform_admin",
    );
    let stored = host.account("root@example.com").unwrap();
    assert_eq!(
        (stored.tenant.as_str(), stored.role.as_str()),
        ("default", "admin")
    );
    assert_eq!(host.account("ann@acme.io").unwrap().role, "admin");
}

#[test]
fn a_member_change_needs_a_tenant_an_account_and_a_valid_role() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    let bob = account(&host, "bob@example.com");
    let reply = put_member(&host, ROOT, "nope", &bob, "customer");
    assert_error(&reply, 404, "not_found");
    assert!(
        json_of(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("tenant")
    );
    let reply = put_member(&host, ROOT, "acme", "0123", "customer");
    assert_error(&reply, 404, "not_found");
    assert!(
        json_of(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("account")
    );
    for role in ["admin", "Customer", ""] {
        assert_error(
            &put_member(&host, ROOT, "acme", &bob, role),
            400,
            "invalid_input",
        );
    }
    let path = format!("/admin/tenants/acme/members/{bob}");
    for body in ["", "{", r#"{"role":1}"#, "[]"] {
        assert_error(&call(&host, "PUT", &path, ROOT, body), 400, "invalid_json");
    }
    let stored = host.account_by_id(&bob).unwrap();
    assert_eq!(
        (stored.tenant.as_str(), stored.role.as_str()),
        ("default", "customer")
    );
}

#[test]
fn removing_a_member_puts_it_back_in_default_as_a_customer() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    let ann = tenant_admin(&host, "acme", "ann@acme.io");
    let bob = account(&host, "bob@example.com");
    assert_eq!(
        put_member(&host, &ann, "acme", &bob, "tenant-admin").status,
        200
    );
    let path = format!("/admin/accounts/{bob}/attributes");
    assert_eq!(
        call(&host, "PUT", &path, &ann, r#"{"tier":"gold"}"#).status,
        200
    );

    let reply = delete_member(&host, &ann, "acme", &bob);
    assert_eq!(reply.status, 204);
    let stored = host.account_by_id(&bob).unwrap();
    assert_eq!(
        (stored.tenant.as_str(), stored.role.as_str()),
        ("default", "customer")
    );
    assert!(stored.attributes.is_empty(), "attributes cleared");
    assert!(token_of(&host, "bob@example.com").ends_with("|customer|default"));

    assert_error(&delete_member(&host, &ann, "acme", &bob), 404, "not_found");
    assert_error(
        &delete_member(&host, ROOT, "acme", "0123"),
        404,
        "not_found",
    );
    let reply = delete_member(&host, ROOT, "default", &bob);
    assert_error(&reply, 409, "default_tenant");
    assert_eq!(host.account_by_id(&bob).unwrap(), stored);
}

#[test]
fn an_account_changed_meanwhile_is_read_again_then_409() {
    let host = FakeHost::new();
    new_tenant(&host, "acme");
    let bob = account(&host, "bob@example.com");
    // Another admin flips bob's role between each read and its update.
    let flip_role = "UPDATE accounts SET role = CASE role WHEN 'customer' THEN 'tenant-admin' \
                     ELSE 'customer' END WHERE id = ?";
    change_meanwhile(&host, 1, flip_role, &bob);
    assert_eq!(
        put_member(&host, ROOT, "acme", &bob, "customer").status,
        200
    );
    assert_eq!(host.account_by_id(&bob).unwrap().tenant, "acme");

    change_meanwhile(&host, 3, flip_role, &bob);
    assert_error(&delete_member(&host, ROOT, "acme", &bob), 409, "conflict");
    assert_eq!(host.account_by_id(&bob).unwrap().tenant, "acme");
    // ... or moves bob between tenants.
    let flip_tenant = "UPDATE accounts SET tenant = CASE tenant WHEN 'acme' THEN 'default' \
                       ELSE 'acme' END WHERE id = ?";
    change_meanwhile(&host, 3, flip_tenant, &bob);
    let path = format!("/admin/accounts/{bob}/attributes");
    let reply = call(&host, "PUT", &path, ROOT, r#"{"tier":"gold"}"#);
    assert_error(&reply, 409, "conflict");
    assert!(host.account_by_id(&bob).unwrap().attributes.is_empty());
}

//! Requests of the admin routes for the flow tests: a platform admin's
//! token, tenants, accounts, members and logged-in tenant admins made
//! through `handler::handle` on the test host.

use crate::flow_tests::{login, register, send};
use crate::reply::Reply;
use crate::testing::FakeHost;
use serde_json::json;
use sluice_kit::testing::json_of;

/// A platform admin's token (the subject need not exist for admin routes).
pub(crate) const ROOT: &str = "Bearer tok|root|admin|default";
/// The password every test account registers with.
pub(crate) const PASSWORD: &str = "password123";

/// A request with `authorization` (none if empty) and a raw body.
pub(crate) fn call(host: &FakeHost, method: &str, path: &str, auth: &str, body: &str) -> Reply {
    let headers: &[(&str, &str)] = if auth.is_empty() {
        &[]
    } else {
        &[("authorization", auth)]
    };
    send(host, method, path, headers, body.as_bytes())
}

/// Creates tenant `id` as the platform admin.
pub(crate) fn new_tenant(host: &FakeHost, id: &str) {
    let body = json!({"id": id, "name": format!("Tenant {id}")}).to_string();
    let reply = call(host, "POST", "/admin/tenants", ROOT, &body);
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

/// Registers `email` (into `default`) and returns its id.
pub(crate) fn account(host: &FakeHost, email: &str) -> String {
    let reply = register(host, email, PASSWORD);
    assert_eq!(reply.status, 201);
    json_of(&reply)["id"].as_str().unwrap().to_string()
}

/// `PUT /admin/tenants/{tenant}/members/{id}` with `role`.
pub(crate) fn put_member(host: &FakeHost, auth: &str, tenant: &str, id: &str, role: &str) -> Reply {
    let path = format!("/admin/tenants/{tenant}/members/{id}");
    call(
        host,
        "PUT",
        &path,
        auth,
        &json!({ "role": role }).to_string(),
    )
}

pub(crate) fn delete_member(host: &FakeHost, auth: &str, tenant: &str, id: &str) -> Reply {
    let path = format!("/admin/tenants/{tenant}/members/{id}");
    call(host, "DELETE", &path, auth, "")
}

/// The `Authorization` value of a fresh login of `email`.
pub(crate) fn token_of(host: &FakeHost, email: &str) -> String {
    let reply = login(host, email, PASSWORD);
    assert_eq!(reply.status, 200);
    format!(
        "Bearer {}",
        json_of(&reply)["access_token"].as_str().unwrap()
    )
}

/// A new account made admin of `tenant` by the platform admin, logged in.
pub(crate) fn tenant_admin(host: &FakeHost, tenant: &str, email: &str) -> String {
    let id = account(host, email);
    assert_eq!(
        put_member(host, ROOT, tenant, &id, "tenant-admin").status,
        200
    );
    token_of(host, email)
}

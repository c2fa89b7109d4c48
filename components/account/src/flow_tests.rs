//! End-to-end tests of the service logic on the test host (the real SQL on
//! SQLite): register, login, me and admin provisioning through
//! `handler::handle`.

use crate::admin::{AdminError, ensure_admin};
use crate::body::MAX_BODY_BYTES;
use crate::handler::handle;
use crate::ports::{Decision, Level, RateLimitError, SqlError};
use crate::reply::Reply;
use crate::testing::FakeHost;
use futures::executor::block_on;
use serde_json::{Value, json};
use sluice_kit::testing::{assert_error, json_of, request};

pub(crate) fn send(
    host: &FakeHost,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let reply = block_on(handle(host, request(method, path, headers, body)));
    if reply.status == 204 {
        assert!(reply.body.is_empty() && reply.header("content-type").is_none());
    } else {
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    reply
}

pub(crate) fn post(host: &FakeHost, path: &str, body: Value) -> Reply {
    send(host, "POST", path, &[], body.to_string().as_bytes())
}

pub(crate) fn register(host: &FakeHost, email: &str, password: &str) -> Reply {
    post(
        host,
        "/api/accounts/register",
        json!({"email": email, "password": password}),
    )
}

pub(crate) fn login(host: &FakeHost, email: &str, password: &str) -> Reply {
    post(
        host,
        "/api/accounts/login",
        json!({"email": email, "password": password}),
    )
}

#[test]
fn register_creates_a_customer_with_a_hashed_password() {
    let host = FakeHost::new();
    let reply = register(&host, "  Alice@Example.COM ", "s3cret-pass");
    assert_eq!(reply.status, 201);
    let body = json_of(&reply);
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["role"], "customer");
    assert_eq!(body["tenant"], "default");
    assert_eq!(body["attributes"], json!({}));
    assert_eq!(body.as_object().unwrap().len(), 5);

    let stored = host.account("alice@example.com").unwrap();
    assert_eq!(stored.id, id);
    assert!(
        stored
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert!(!stored.password_hash.contains("s3cret-pass"));
    assert_eq!(stored.created_at, 1_700_000_000_000);
}

#[test]
fn register_into_default_by_name_and_rejects_bad_input() {
    let host = FakeHost::new();
    let reply = post(
        &host,
        "/api/accounts/register",
        json!({"email": "t@acme.io", "password": "12345678", "tenant": "default"}),
    );
    assert_eq!(reply.status, 201);
    assert_eq!(json_of(&reply)["tenant"], "default");

    let cases = [
        (
            json!({"email": "nope", "password": "12345678"}),
            "invalid_email",
        ),
        (
            json!({"email": "b@acme.io", "password": "1234567"}),
            "invalid_password",
        ),
        (
            json!({"email": "b@acme.io", "password": "12345678", "tenant": "Acme"}),
            "invalid_tenant",
        ),
        (
            json!({"email": "b@acme.io", "password": "12345678", "tenant": ""}),
            "invalid_tenant",
        ),
        (json!({"email": "b@acme.io"}), "invalid_json"),
        (
            json!({"email": "b@acme.io", "password": 12345678}),
            "invalid_json",
        ),
    ];
    for (body, code) in cases {
        assert_error(&post(&host, "/api/accounts/register", body), 400, code);
    }
    assert_eq!(host.count("accounts"), 1);
}

#[test]
fn duplicate_email_in_any_case_is_409() {
    let host = FakeHost::new();
    assert_eq!(register(&host, "bob@example.com", "password1").status, 201);
    assert_error(
        &register(&host, "BOB@Example.com", "password2"),
        409,
        "email_taken",
    );
    assert_eq!(host.count("accounts"), 1);
}

#[test]
fn malformed_and_oversized_bodies() {
    let host = FakeHost::new();
    for path in ["/api/accounts/register", "/api/accounts/login"] {
        let reply = send(&host, "POST", path, &[], b"{not json");
        assert_error(&reply, 400, "invalid_json");
        let reply = send(&host, "POST", path, &[], b"");
        assert_error(&reply, 400, "invalid_json");
        let reply = send(&host, "POST", path, &[], br#"{"password":"12345678"}"#);
        assert_error(&reply, 400, "invalid_json");
        assert!(
            json_of(&reply)["message"]
                .as_str()
                .unwrap()
                .contains("`email`")
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_error(
            &send(&host, "POST", path, &[], &big),
            413,
            "payload_too_large",
        );
    }
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let host = FakeHost::new();
    assert_error(
        &send(&host, "GET", "/api/accounts/nope", &[], b""),
        404,
        "not_found",
    );
    let reply = send(&host, "GET", "/api/accounts/login", &[], b"");
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
    let reply = send(&host, "PUT", "/api/accounts/me", &[], b"");
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
    assert!(
        host.checks.borrow().is_empty(),
        "no throttling before routing"
    );
}

#[test]
fn request_id_is_echoed() {
    let host = FakeHost::new();
    let reply = send(&host, "GET", "/nope", &[("X-Request-Id", "abc-123")], b"");
    assert_eq!(reply.header("x-request-id"), Some("abc-123"));
    let reply = send(&host, "GET", "/nope", &[("x-request-id", "bad id\n")], b"");
    assert_eq!(reply.header("x-request-id"), None);
}

#[test]
fn login_issues_a_bearer_token_and_me_returns_the_account() {
    let host = FakeHost::new();
    let id = json_of(&register(&host, "carol@example.com", "password123"))["id"].clone();

    let reply = send(
        &host,
        "POST",
        "/api/accounts/login",
        &[("X-Forwarded-For", "198.51.100.4, 10.0.0.1")],
        json!({"email": " CAROL@example.com", "password": "password123"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.status, 200);
    let body = json_of(&reply);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        token,
        format!("tok|{}|customer|default", id.as_str().unwrap())
    );

    let checks = host.checks.borrow().clone();
    assert_eq!(checks[0], ("register-client".into(), "direct".into(), 1));
    assert_eq!(checks[1], ("login-client".into(), "198.51.100.4".into(), 1));
    assert_eq!(
        checks[2],
        (
            "login-account-client".into(),
            "carol@example.com|198.51.100.4".into(),
            1
        )
    );
    assert_eq!(
        checks[3],
        ("login-account".into(), "carol@example.com".into(), 1)
    );
    assert_eq!(checks.len(), 4);

    let auth = format!("Bearer {token}");
    let reply = send(
        &host,
        "GET",
        "/api/accounts/me",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        json_of(&reply),
        json!({
            "id": id, "email": "carol@example.com", "role": "customer", "tenant": "default",
            "attributes": {}
        })
    );
}

#[test]
fn wrong_password_and_unknown_email_get_the_same_answer() {
    let host = FakeHost::new();
    register(&host, "dave@example.com", "password123");
    let wrong = login(&host, "dave@example.com", "password124");
    let unknown = login(&host, "nobody@example.com", "password123");
    let malformed = login(&host, "not-an-email", "password123");
    assert_error(&wrong, 401, "invalid_credentials");
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, malformed);
}

#[test]
fn throttled_login_is_429_with_retry_after() {
    let host = FakeHost::new();
    register(&host, "erin@example.com", "password123");

    host.limit("login-account-client", Ok(Decision::Limited(2_001)));
    let reply = login(&host, "erin@example.com", "password123");
    assert_error(&reply, 429, "rate_limited");
    assert_eq!(reply.header("retry-after"), Some("3"));
    let policies: Vec<_> = host.checks.borrow().iter().map(|c| c.0.clone()).collect();
    assert_eq!(
        policies[1..],
        ["login-client", "login-account-client"],
        "a refused attempt is not charged to the account"
    );

    host.limit("login-client", Ok(Decision::Limited(10)));
    host.checks.borrow_mut().clear();
    let reply = login(&host, "erin@example.com", "password123");
    assert_eq!(reply.header("retry-after"), Some("1"));
    let policies: Vec<_> = host.checks.borrow().iter().map(|c| c.0.clone()).collect();
    assert_eq!(
        policies,
        ["login-client"],
        "client limit stops before the account check"
    );
}

#[test]
fn throttled_register_is_429_and_stores_nothing() {
    let host = FakeHost::new();
    host.limit("register-client", Ok(Decision::Limited(60_000)));
    let reply = register(&host, "frank@example.com", "password123");
    assert_error(&reply, 429, "rate_limited");
    assert_eq!(reply.header("retry-after"), Some("60"));
    assert_eq!(host.count("accounts"), 0);
}

#[test]
fn unconfigured_policy_is_logged_and_allowed() {
    let host = FakeHost::new();
    host.limit(
        "register-client",
        Err(RateLimitError::NoSuchPolicy("register-client".into())),
    );
    assert_eq!(
        register(&host, "gina@example.com", "password123").status,
        201
    );
    assert!(host.kit.logged(Level::Warn, "not configured"));
}

#[test]
fn unusable_policy_is_an_internal_error() {
    let host = FakeHost::new();
    host.limit("login-client", Err(RateLimitError::CostExceedsBurst(1)));
    assert_error(&login(&host, "a@b.co", "password123"), 500, "internal");
    assert!(host.kit.logged(Level::Error, "burst"));
}

#[test]
fn me_rejects_missing_invalid_and_expired_tokens() {
    let host = FakeHost::new();
    let me = |headers: &[(&str, &str)]| send(&host, "GET", "/api/accounts/me", headers, b"");
    assert_error(&me(&[]), 401, "unauthorized");
    assert_error(
        &me(&[("authorization", "Basic dXNlcjpwYXNz")]),
        401,
        "unauthorized",
    );
    assert_error(
        &me(&[("authorization", "Bearer garbage")]),
        401,
        "invalid_token",
    );
    assert_error(
        &me(&[("authorization", "Bearer expired")]),
        401,
        "token_expired",
    );
    // Well-formed and valid, but the account no longer exists.
    let gone = "Bearer tok|00000000000000000000000000000000|customer|default";
    assert_error(&me(&[("authorization", gone)]), 401, "invalid_token");
}

#[test]
fn database_failures_are_503_or_500_without_details() {
    let host = FakeHost::new();
    host.kit.db.fail_with(Some(SqlError::Unavailable(
        "connection refused to db:5432".into(),
    )));
    let reply = register(&host, "hal@example.com", "password123");
    assert_error(&reply, 503, "unavailable");
    assert!(!String::from_utf8_lossy(&reply.body).contains("5432"));
    assert!(host.kit.logged(Level::Warn, "database unavailable"));

    host.kit.db.fail_with(Some(SqlError::InvalidStatement(
        "no such table: accounts".into(),
    )));
    let reply = login(&host, "hal@example.com", "password123");
    assert_error(&reply, 500, "internal");
    assert!(!String::from_utf8_lossy(&reply.body).contains("accounts"));
    assert!(host.kit.logged(Level::Error, "database error"));
}

#[test]
fn ensure_admin_creates_then_is_idempotent() {
    let host = FakeHost::new();
    let id = block_on(ensure_admin(&host, "Root@Example.com", "admin-pass")).unwrap();
    let stored = host.account("root@example.com").unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.role, "admin");
    assert_eq!(stored.tenant, "default");

    let writes = host.kit.db.statements().len();
    let again = block_on(ensure_admin(&host, "root@example.com", "admin-pass")).unwrap();
    assert_eq!(again, id);
    assert_eq!(
        host.account("root@example.com").unwrap(),
        stored,
        "nothing changed"
    );
    assert_eq!(
        host.kit.db.statements().len(),
        writes + 1,
        "one lookup, no write"
    );
}

#[test]
fn ensure_admin_promotes_an_existing_account_and_sets_its_password() {
    let host = FakeHost::new();
    let id = json_of(&register(&host, "ivy@example.com", "customer-pass"))["id"].clone();
    let admin_id = block_on(ensure_admin(&host, "ivy@example.com", "new-admin-pass")).unwrap();
    assert_eq!(admin_id, id.as_str().unwrap());
    assert_eq!(host.account("ivy@example.com").unwrap().role, "admin");
    assert_error(
        &login(&host, "ivy@example.com", "customer-pass"),
        401,
        "invalid_credentials",
    );
    let reply = login(&host, "ivy@example.com", "new-admin-pass");
    assert_eq!(reply.status, 200);
    assert!(
        json_of(&reply)["access_token"]
            .as_str()
            .unwrap()
            .ends_with("|admin|default")
    );
}

#[test]
fn ensure_admin_validates_like_register() {
    let host = FakeHost::new();
    let err = block_on(ensure_admin(&host, "root", "admin-pass")).unwrap_err();
    assert!(matches!(err, AdminError::Invalid(m) if m.contains('@')));
    let err = block_on(ensure_admin(&host, "root@example.com", "short")).unwrap_err();
    assert!(matches!(err, AdminError::Invalid(m) if m.contains("at least 8")));
    host.kit
        .db
        .fail_with(Some(SqlError::Unavailable("down".into())));
    let err = block_on(ensure_admin(&host, "root@example.com", "admin-pass")).unwrap_err();
    assert!(matches!(err, AdminError::Storage(_)));
}

//! End to end: the account API through the real gateway and binary.

mod support;

use serde_json::json;
use support::{Options, Platform, TEST_SECRET};

/// Client throttles high enough that a test's many requests from 127.0.0.1
/// pass; the per-account login throttle stays tight.
const CONFIG: &str = r#"
[services.account.rate_limits.login-client]
limit = 1000
period_ms = 60000
[services.account.rate_limits.register-client]
limit = 1000
period_ms = 60000
[services.account.rate_limits.login-account]
limit = 5
period_ms = 60000
"#;

fn options() -> Options {
    Options {
        config: CONFIG.into(),
        ..Options::default()
    }
}

fn email(name: &str) -> String {
    format!("{name}-{}@example.com", support::unique())
}

#[tokio::test]
async fn register_login_me_and_bad_input() {
    let platform = Platform::start(options());
    register_login_me(&platform).await;
    bad_input(&platform).await;
    bad_tokens(&platform).await;
    gateway_basics(&platform).await;
}

async fn register_login_me(p: &Platform) {
    let address = email("Alice");
    let reply = p
        .post(
            "/api/accounts/register",
            &json!({"email": address.to_uppercase(), "password": "correct horse"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["email"], address.to_lowercase());
    assert_eq!(reply.body["role"], "customer");
    assert_eq!(reply.body["tenant"], "default");
    let id = reply.body["id"].as_str().unwrap().to_string();

    let duplicate = p
        .post(
            "/api/accounts/register",
            &json!({"email": address, "password": "another one"}),
        )
        .await;
    duplicate.assert_error(409, "email_taken");

    let login = p
        .post(
            "/api/accounts/login",
            &json!({"email": address, "password": "correct horse"}),
        )
        .await;
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(login.body["token_type"], "Bearer");
    assert!(login.body["expires_in"].as_u64().unwrap() > 0);
    let token = login.body["access_token"].as_str().unwrap();

    let me = p.get("/api/accounts/me", Some(token)).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(
        me.body,
        json!({"id": id, "email": address.to_lowercase(), "role": "customer",
               "tenant": "default", "attributes": {}})
    );

    // A tenant is joined through its admins, never by registering into it.
    let tenant = p
        .post(
            "/api/accounts/register",
            &json!({"email": email("bob"), "password": "12345678", "tenant": "acme"}),
        )
        .await;
    tenant.assert_error(403, "tenant_invite_only");
    let default = p
        .post(
            "/api/accounts/register",
            &json!({"email": email("bob"), "password": "12345678", "tenant": "default"}),
        )
        .await;
    assert_eq!(default.status, 201, "{default:?}");

    let wrong = p
        .post(
            "/api/accounts/login",
            &json!({"email": address, "password": "wrong horse"}),
        )
        .await;
    wrong.assert_error(401, "invalid_credentials");
    let unknown = p
        .post(
            "/api/accounts/login",
            &json!({"email": email("nobody"), "password": "wrong horse"}),
        )
        .await;
    unknown.assert_error(401, "invalid_credentials");
    assert_eq!(
        wrong.body["message"], unknown.body["message"],
        "no account enumeration"
    );
}

async fn bad_input(p: &Platform) {
    let raw = |body: &'static str| {
        p.client
            .post(p.url("/api/accounts/register"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    support::Reply::from(raw("{not json").await.unwrap())
        .await
        .assert_error(400, "invalid_json");
    support::Reply::from(
        raw(r#"{"email": 5, "password": "12345678"}"#)
            .await
            .unwrap(),
    )
    .await
    .assert_error(400, "invalid_json");
    let missing = support::Reply::from(raw(r#"{"email": "a@b.co"}"#).await.unwrap()).await;
    missing.assert_error(400, "invalid_json");
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{missing:?}"
    );

    for bad in [
        "no-at-sign",
        "a@b",
        "two@@example.com",
        "sp ace@example.com",
        "",
    ] {
        p.post(
            "/api/accounts/register",
            &json!({"email": bad, "password": "12345678"}),
        )
        .await
        .assert_error(400, "invalid_email");
    }
    p.post(
        "/api/accounts/register",
        &json!({"email": email("short"), "password": "1234567"}),
    )
    .await
    .assert_error(400, "invalid_password");
    p.post(
        "/api/accounts/register",
        &json!({"email": email("tenant"), "password": "12345678", "tenant": "Not OK!"}),
    )
    .await
    .assert_error(400, "invalid_tenant");

    let huge = json!({"email": email("huge"), "password": "x".repeat(200_000)});
    p.post("/api/accounts/register", &huge)
        .await
        .assert_error(413, "payload_too_large");

    p.get("/api/accounts/nope", None)
        .await
        .assert_error(404, "not_found");
    let wrong_method = p.get("/api/accounts/register", None).await;
    wrong_method.assert_error(405, "method_not_allowed");
}

async fn bad_tokens(p: &Platform) {
    p.get("/api/accounts/me", None)
        .await
        .assert_error(401, "unauthorized");
    p.get("/api/accounts/me", Some("not-a-jwt"))
        .await
        .assert_error(401, "invalid_token");

    let token = p.register_and_login(&email("carol"), "12345678").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    // Tamper with the payload: flip the role without re-signing.
    let payload = base64_url_decode(&parts[1]);
    let tampered = String::from_utf8(payload)
        .unwrap()
        .replace("customer", "admin");
    parts[1] = base64_url_encode(tampered.as_bytes());
    p.get("/api/accounts/me", Some(&parts.join(".")))
        .await
        .assert_error(401, "invalid_token");

    // alg: none, no signature.
    let header = base64_url_encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{header}.{}.", parts[1]);
    p.get("/api/accounts/me", Some(&unsigned))
        .await
        .assert_error(401, "invalid_token");

    // Correctly signed, but expired.
    let claims = json!({"sub": "x", "role": "admin", "tenant": "default", "iss": "sluice", "iat": 1, "exp": 1000});
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();
    p.get("/api/accounts/me", Some(&expired))
        .await
        .assert_error(401, "token_expired");
}

async fn gateway_basics(p: &Platform) {
    let health = p.get("/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    let echoed = p
        .client
        .get(p.url("/api/accounts/me"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-123");
    p.get("/api/nothing-here", None)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn brute_force_login_is_throttled() {
    let platform = Platform::start(options());
    let address = email("victim");
    platform
        .register_and_login(&address, "the real password")
        .await;
    let mut limited = None;
    for _ in 0..10 {
        let reply = platform
            .post(
                "/api/accounts/login",
                &json!({"email": address, "password": "guess"}),
            )
            .await;
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
        reply.assert_error(401, "invalid_credentials");
    }
    let limited = limited.expect("repeated failed logins are throttled");
    limited.assert_error(429, "rate_limited");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Another account from the same client is not affected by this account's throttle.
    platform
        .register_and_login(&email("bystander"), "12345678")
        .await;
}

#[tokio::test]
async fn client_throttle_limits_registrations() {
    let config = r#"
[services.account.rate_limits.register-client]
limit = 3
period_ms = 60000
"#;
    let platform = Platform::start(Options {
        config: config.into(),
        ..Options::default()
    });
    let mut statuses = vec![];
    for _ in 0..5 {
        let reply = platform
            .post(
                "/api/accounts/register",
                &json!({"email": email("many"), "password": "12345678"}),
            )
            .await;
        statuses.push(reply.status);
        if reply.status == 429 {
            reply.assert_error(429, "rate_limited");
            assert!(reply.headers.contains_key("retry-after"));
        }
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
}

#[tokio::test]
async fn admin_from_environment_survives_restart() {
    let admin = email("admin");
    let env = vec![
        ("SLUICE_ADMIN_EMAIL".to_string(), admin.clone()),
        (
            "SLUICE_ADMIN_PASSWORD".to_string(),
            "admin password".to_string(),
        ),
    ];
    let mut first = Platform::start(Options {
        env: env.clone(),
        ..options()
    });
    let token = first.login(&admin, "admin password").await;
    let me = first.get("/api/accounts/me", Some(&token)).await;
    assert_eq!(me.body["role"], "admin", "{me:?}");
    let customer = email("kept");
    first.register_and_login(&customer, "12345678").await;
    let keep = first.keep_data_dir();
    assert!(first.stop().success(), "clean exit on SIGTERM");

    let second = Platform::start(Options {
        env,
        data_dir: Some(first.data_dir.clone()),
        ..options()
    });
    let token = second.login(&admin, "admin password").await;
    assert_eq!(
        second.get("/api/accounts/me", Some(&token)).await.body["role"],
        "admin"
    );
    second.login(&customer, "12345678").await;
    drop(second);
    drop(keep);
}

#[tokio::test]
async fn postgres_as_the_account_database() {
    let db = support::db::TestDb::postgres().await;
    let platform = Platform::start(Options {
        env: vec![("SLUICE_ACCOUNT_DATABASE_URL".into(), db.url.clone())],
        ..options()
    });
    register_login_me(&platform).await;
    drop(platform);
}

#[tokio::test]
async fn mariadb_as_the_account_database() {
    let db = support::db::TestDb::mysql().await;
    let platform = Platform::start(Options {
        env: vec![("SLUICE_ACCOUNT_DATABASE_URL".into(), db.url.clone())],
        ..options()
    });
    register_login_me(&platform).await;
    drop(platform);
}

fn base64_url_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn base64_url_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

//! Login throttling against the test host's counting rate limiter: an
//! attacker is refused per (account, client) and per client, while the
//! account's own budget only slows attempts down, so no one can lock an
//! account's owner out by failing for it.

use crate::admin::ensure_admin;
use crate::flow_tests::{register, send};
use crate::ports::{Decision, Level, RateLimitError};
use crate::reply::Reply;
use crate::testing::FakeHost;
use crate::throttle::MAX_BACKOFF_MS;
use futures::executor::block_on;
use serde_json::json;
use sluice_kit::testing::{assert_error, json_of};

const ATTACKER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";

fn login_from(host: &FakeHost, client: &str, email: &str, password: &str) -> Reply {
    let body = json!({"email": email, "password": password}).to_string();
    send(
        host,
        "POST",
        "/api/accounts/login",
        &[("x-forwarded-for", client)],
        body.as_bytes(),
    )
}

/// A login from the owner's client with the password the tests register.
fn login(host: &FakeHost, email: &str) -> Reply {
    login_from(host, OWNER, email, "password123")
}

/// The default policies: 30 a minute per client, 5 per (account, client),
/// 5 per account; GCRA's wait for the next unit is 60 s / limit.
fn default_budgets(host: &FakeHost) {
    host.budget("login-client", 30, 2_000);
    host.budget("login-account-client", 5, 12_000);
    host.budget("login-account", 5, 12_000);
}

#[test]
fn an_attacker_on_one_client_cannot_lock_the_admin_out() {
    let host = FakeHost::new();
    block_on(ensure_admin(&host, "root@example.com", "admin-pass")).unwrap();
    default_budgets(&host);

    for _ in 0..5 {
        let reply = login_from(&host, ATTACKER, "root@example.com", "guess-1234");
        assert_error(&reply, 401, "invalid_credentials");
    }
    // Refused before the password check: even the right password is a 429.
    let refused = login_from(&host, ATTACKER, "root@example.com", "admin-pass");
    assert_error(&refused, 429, "rate_limited");
    assert_eq!(refused.header("retry-after"), Some("12"));

    // The attacker spent the account's budget too, which costs the admin a
    // bounded wait, never the login.
    let reply = login_from(&host, OWNER, "root@example.com", "admin-pass");
    assert_eq!(reply.status, 200);
    let token = json_of(&reply)["access_token"].clone();
    assert!(token.as_str().unwrap().ends_with("|admin|default"));
    assert_eq!(host.kit.slept(), [MAX_BACKOFF_MS]);
}

#[test]
fn a_clients_own_budget_spans_all_accounts() {
    let host = FakeHost::new();
    default_budgets(&host);
    host.budget("login-client", 3, 20_000);

    for n in 0..3 {
        let email = format!("user{n}@example.com");
        let reply = login_from(&host, ATTACKER, &email, "guess-1234");
        assert_error(&reply, 401, "invalid_credentials");
    }
    host.checks.borrow_mut().clear();
    let reply = login_from(&host, ATTACKER, "user3@example.com", "guess-1234");
    assert_error(&reply, 429, "rate_limited");
    assert_eq!(reply.header("retry-after"), Some("20"));
    let checks = host.checks.borrow().clone();
    assert_eq!(checks, [("login-client".into(), ATTACKER.into(), 1)]);

    let other = login_from(&host, OWNER, "user3@example.com", "guess-1234");
    assert_error(&other, 401, "invalid_credentials");
}

#[test]
fn past_the_account_budget_attempts_wait_then_are_answered() {
    let host = FakeHost::new();
    register(&host, "erin@example.com", "password123");
    host.limit("login-account", Ok(Decision::Limited(12_000)));

    let reply = login_from(&host, OWNER, "Erin@example.com", "password123");
    assert_eq!(reply.status, 200);
    let reply = login_from(&host, ATTACKER, "erin@example.com", "password124");
    assert_error(&reply, 401, "invalid_credentials");
    let reply = login_from(&host, ATTACKER, "nobody@example.com", "password124");
    assert_error(&reply, 401, "invalid_credentials");
    host.limit("login-account", Ok(Decision::Limited(700)));
    assert_eq!(login(&host, "erin@example.com").status, 200);
    assert_eq!(host.kit.slept(), [2_000, 2_000, 2_000, 700]);

    let logs = host.kit.logs();
    let warnings: Vec<_> = logs
        .iter()
        .filter(|(l, m, _)| *l == Level::Warn && m.contains("backing off"))
        .collect();
    assert_eq!(warnings.len(), 4, "one warning per backed-off attempt");
    let account = ("account".to_string(), "erin@example.com".to_string());
    assert!(warnings[0].2.contains(&account));
    assert!(warnings[0].2.contains(&("wait_ms".into(), "2000".into())));
    let everything = format!("{logs:?}");
    assert!(!everything.contains("password12"), "no password is logged");
}

#[test]
fn the_account_client_key_uses_the_normalised_email() {
    let host = FakeHost::new();
    register(&host, "ann@example.com", "password123");
    host.budget("login-account-client", 2, 30_000);

    assert_error(
        &login_from(&host, ATTACKER, "Ann@Example.com", "wrong-pass"),
        401,
        "invalid_credentials",
    );
    assert_error(
        &login_from(&host, ATTACKER, " ANN@EXAMPLE.COM ", "wrong-pass"),
        401,
        "invalid_credentials",
    );
    let reply = login_from(&host, ATTACKER, "ann@example.com", "password123");
    assert_error(&reply, 429, "rate_limited");
    let pairs: Vec<_> = host
        .checks
        .borrow()
        .iter()
        .filter(|c| c.0 == "login-account-client")
        .map(|c| c.1.clone())
        .collect();
    assert_eq!(pairs, ["ann@example.com|203.0.113.66"; 3]);

    assert_eq!(login(&host, "ANN@example.com").status, 200);
}

#[test]
fn unconfigured_login_policies_are_logged_and_allowed() {
    let host = FakeHost::new();
    register(&host, "gus@example.com", "password123");
    for policy in ["login-client", "login-account-client", "login-account"] {
        host.limit(policy, Err(RateLimitError::NoSuchPolicy(policy.into())));
    }
    assert_eq!(login(&host, "gus@example.com").status, 200);
    assert!(host.kit.slept().is_empty());
    for policy in ["login-client", "login-account-client", "login-account"] {
        let field = ("policy".to_string(), policy.to_string());
        assert!(
            host.kit.logs().iter().any(|(l, m, f)| *l == Level::Warn
                && m.contains("not configured")
                && f.contains(&field)),
            "{policy}"
        );
    }
}

#[test]
fn unusable_login_policies_are_internal_errors() {
    for policy in ["login-account-client", "login-account"] {
        let host = FakeHost::new();
        host.limit(policy, Err(RateLimitError::CostExceedsBurst(0)));
        assert_error(&login(&host, "a@b.co"), 500, "internal");
        assert!(host.kit.logged(Level::Error, "burst"), "{policy}");
        assert!(host.kit.slept().is_empty());
    }
}

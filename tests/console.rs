//! The operator's console in a real browser: headless Chromium (Debian's,
//! driven by playwright-core, gateway/console/test/browser.mjs) logs in to
//! a running `sluice up`, checks the services and their instances, deploys
//! a component of the wrong world (the error is shown, nothing changes), a
//! good one (version 2 is active), rolls back, sees the traffic charts, and
//! keeps a screenshot in target/console.png. The page's pure functions have
//! their own tests (`node --test gateway/console/test/`), run here too.
//! scripts/test installs Chromium and the page's test dependencies.

mod support;

use sluice::builtin as built;
use std::path::Path;
use std::process::Command;
use support::{Options, Platform, token_for};

fn console_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../gateway/console"))
}

#[test]
fn the_page_functions_pass_their_tests() {
    let status = Command::new("node")
        .args(["--test", "test/"])
        .current_dir(console_dir())
        .status()
        .expect("running node (scripts/test installs what the console tests need)");
    assert!(status.success());
}

#[test]
fn an_operator_logs_in_deploys_and_rolls_back_in_a_browser() {
    let (email, password) = ("ops@example.com", "console-password-1");
    let platform = Platform::start(Options {
        env: vec![
            ("SLUICE_ADMIN_EMAIL".into(), email.into()),
            ("SLUICE_ADMIN_PASSWORD".into(), password.into()),
        ],
        ..Default::default()
    });
    let files = tempfile::tempdir().unwrap();
    let good = files.path().join("catalog-b.wasm");
    let bad = files.path().join("hello.wasm");
    std::fs::write(&good, built::CATALOG_B).unwrap();
    std::fs::write(&bad, built::HELLO).unwrap();
    let screenshot = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/console.png"
    ));
    let status = Command::new("node")
        .arg("test/browser.mjs")
        .args(["--url", &platform.url("")])
        .args(["--email", email, "--password", password])
        .arg("--component")
        .arg(&good)
        .arg("--bad-component")
        .arg(&bad)
        .arg("--screenshot")
        .arg(screenshot)
        .current_dir(console_dir())
        .status()
        .expect("running node (scripts/test installs what the console tests need)");
    assert!(status.success(), "the browser test failed (see above)");
    assert!(screenshot.exists());
}

/// The data only the gateway knows is for platform admins; the page and
/// the API's docs are for anyone (the page asks for a login).
#[tokio::test]
async fn the_console_data_is_for_admins_and_the_docs_for_anyone() {
    let platform = Platform::start(Default::default());
    for path in ["/console/cluster", "/console/traffic"] {
        platform
            .get(path, None)
            .await
            .assert_error(401, "unauthorized");
        let customer = token_for("c", "customer", "default");
        platform
            .get(path, Some(&customer))
            .await
            .assert_error(403, "forbidden");
    }
    let admin = token_for("ops", "admin", "default");
    let cluster = platform.get("/console/cluster", Some(&admin)).await;
    cluster.assert_status(200);
    let services = cluster.body["services"].as_array().unwrap();
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["account", "catalog", "order", "pricing"]);
    for service in services {
        let instances = service["instances"].as_array().unwrap();
        assert_eq!(instances.len(), 1, "{service}");
        assert_eq!(instances[0]["state"], "closed", "{service}");
    }

    // Traffic: a sample every 2 s of what changed, per route.
    for _ in 0..20 {
        platform
            .get("/api/products?limit=1", None)
            .await
            .assert_status(200);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let traffic = platform.get("/console/traffic", Some(&admin)).await;
        traffic.assert_status(200);
        let samples = traffic.body["samples"].as_array().unwrap();
        let seen = samples
            .iter()
            .find_map(|s| s["routes"].get("/api/products"));
        if let Some(products) = seen {
            assert!(products["rps"].as_f64().unwrap() > 0.0, "{products}");
            assert_eq!(products["error_rate"], 0.0, "{products}");
            assert!(products["p99_ms"].as_f64().unwrap() > 0.0, "{products}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no sample: {traffic:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    let docs = platform
        .client
        .get(platform.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger-ui-bundle.js"));
    for asset in [
        "/console",
        "/console/vendor/swagger-ui/swagger-ui-bundle.js",
    ] {
        let reply = platform
            .client
            .get(platform.url(asset))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{asset}");
    }
    platform
        .get("/console/test/browser.mjs", None)
        .await
        .assert_error(404, "not_found");
}

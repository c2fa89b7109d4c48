//! End to end: hot-swapping a service's component through the admin API
//! and `sluice deploy` — versions, rollback, restart, and a steady load
//! that sees no failure while the service is swapped back and forth.

mod support;

use sluice::builtin as built;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use support::{Options, Platform, Reply, token_for};

/// The header the variant build of catalog adds to every response.
const BUILD_HEADER: &str = "sluice-build";

fn admin() -> String {
    token_for("ops", "admin", "default")
}

/// Which catalog build served: `Some("b")` for the variant, `None` for the
/// built-in one.
async fn served_by(platform: &Platform) -> Option<String> {
    let reply = platform.get("/api/products/COF-ESP-001", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply
        .headers
        .get(BUILD_HEADER)
        .map(|v| v.to_str().unwrap().to_string())
}

async fn deploy(platform: &Platform, service: &str, bytes: &[u8]) -> Reply {
    platform
        .upload(&format!("/admin/components/{service}"), &admin(), bytes)
        .await
}

async fn rollback(platform: &Platform, service: &str) -> Reply {
    let path = format!("/admin/components/{service}/rollback");
    platform
        .send(reqwest::Method::POST, &path, Some(&admin()), None, &[])
        .await
}

/// Rolls catalog back and checks it landed on `version`, served by `build`.
async fn rolled_back_to(platform: &Platform, version: u64, build: Option<&str>) {
    let back = rollback(platform, "catalog").await;
    assert_eq!(
        (back.status, back.body["version"].as_u64()),
        (200, Some(version)),
        "{back:?}"
    );
    assert_eq!(served_by(platform).await.as_deref(), build);
}

#[tokio::test]
async fn deploy_list_roll_back_and_restart() {
    let mut platform = Platform::start(Options::default());
    assert_eq!(served_by(&platform).await, None);

    let deployed = deploy(&platform, "catalog", built::CATALOG_B).await;
    assert_eq!(deployed.status, 200, "{deployed:?}");
    assert_eq!(deployed.body["service"], "catalog");
    assert_eq!(deployed.body["version"], 2);
    assert_eq!(deployed.body["digest"].as_str().unwrap().len(), 64);
    assert_eq!(served_by(&platform).await.as_deref(), Some("b"));

    let list = platform.get("/admin/components", Some(&admin())).await;
    assert_eq!(list.status, 200, "{list:?}");
    let catalog: Vec<_> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["service"] == "catalog")
        .collect();
    assert_eq!(catalog.len(), 2, "{list:?}");
    assert_eq!(
        (
            catalog[0]["version"].as_u64(),
            catalog[0]["active"].as_bool()
        ),
        (Some(1), Some(false))
    );
    assert_eq!(
        (
            catalog[1]["version"].as_u64(),
            catalog[1]["active"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert!(catalog[1]["loaded_at"].as_str().unwrap().ends_with('Z'));
    for service in ["account", "order", "pricing"] {
        assert!(
            list.body
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["service"] == service && v["version"] == 1)
        );
    }

    rolled_back_to(&platform, 1, None).await;
    rollback(&platform, "catalog")
        .await
        .assert_error(409, "no_earlier_version");

    // The active version survives a restart, with its rollback history:
    // deploy twice (3, 4), restart, still b at 4; rollback to 3, then 1.
    deploy(&platform, "catalog", built::CATALOG_B)
        .await
        .assert_status(200);
    deploy(&platform, "catalog", built::CATALOG_B)
        .await
        .assert_status(200);
    let temp = platform.keep_data_dir();
    assert!(platform.stop().success());
    let platform = Platform::start(Options {
        data_dir: Some(platform.data_dir.clone()),
        ..Options::default()
    });
    assert_eq!(served_by(&platform).await.as_deref(), Some("b"));
    let list = platform.get("/admin/components", Some(&admin())).await;
    let active: Vec<_> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["service"] == "catalog" && v["active"] == true)
        .collect();
    assert_eq!(active[0]["version"], 4, "{list:?}");
    rolled_back_to(&platform, 3, Some("b")).await;
    rolled_back_to(&platform, 1, None).await;
    drop(temp);
}

#[tokio::test]
async fn components_that_do_not_fit_the_world_are_refused() {
    let platform = Platform::start(Options::default());
    let garbage = deploy(&platform, "catalog", b"\0asm nonsense").await;
    garbage.assert_error(422, "invalid_component");
    // The account component lacks catalog's exports.
    let account = deploy(&platform, "catalog", built::ACCOUNT).await;
    account.assert_error(422, "invalid_component");
    let message = account.body["message"].as_str().unwrap();
    assert!(message.contains("sluice:platform/stock"), "{message}");
    // The order component imports what pricing's world does not grant.
    let order = deploy(&platform, "pricing", built::ORDER).await;
    order.assert_error(422, "invalid_component");
    deploy(&platform, "nosuch", built::HELLO)
        .await
        .assert_error(404, "unknown_service");
    // Customers cannot deploy.
    let customer = token_for("c1", "customer", "default");
    let forbidden = platform
        .upload("/admin/components/catalog", &customer, built::CATALOG_B)
        .await;
    assert_eq!(forbidden.status, 403, "{forbidden:?}");
    // Nothing changed.
    assert_eq!(served_by(&platform).await, None);
    let list = platform.get("/admin/components", Some(&admin())).await;
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["version"] == 1),
        "{list:?}"
    );
}

/// `sluice deploy` and `sluice rollback` call the admin API.
#[tokio::test]
async fn the_cli_deploys_and_rolls_back() {
    let platform = Platform::start(Options::default());
    let file = platform.data_dir.join("catalog-b.wasm");
    std::fs::write(&file, built::CATALOG_B).unwrap();
    let admin_url = &platform.services["admin"];
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .args(["--admin-url", admin_url])
            .env("SLUICE_TOKEN", admin())
            .output()
            .unwrap()
    };
    let out = cli(&["deploy", "catalog", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"version\":2"));
    assert_eq!(served_by(&platform).await.as_deref(), Some("b"));
    let out = cli(&["rollback", "catalog"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(served_by(&platform).await, None);
    // A refused deploy exits non-zero with the server's reason.
    let bad = platform.data_dir.join("bad.wasm");
    std::fs::write(&bad, b"nonsense").unwrap();
    let out = cli(&["deploy", "catalog", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_component"));
}

/// Many clients keep reading from catalog while it is swapped back and
/// forth ten times: no request fails, and the answers switch builds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swapping_under_load_drops_nothing() {
    let platform = Arc::new(Platform::start(Options::default()));
    let catalog = platform.services["catalog"].clone();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, variant_seen) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, url) = (
            platform.client.clone(),
            format!("{catalog}/api/products?limit=5"),
        );
        let (stop, ok, failed, variant_seen) = (
            stop.clone(),
            ok.clone(),
            failed.clone(),
            variant_seen.clone(),
        );
        clients.spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(response) if response.status() == 200 => {
                        if response.headers().contains_key(BUILD_HEADER) {
                            variant_seen.fetch_add(1, Ordering::Relaxed);
                        }
                        match response.json::<serde_json::Value>().await {
                            Ok(body) if body["items"].as_array().is_some_and(|i| i.len() == 5) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            other => failures.push(format!("bad body: {other:?}")),
                        }
                    }
                    other => failures.push(format!("{other:?}")),
                }
            }
            failed.fetch_add(failures.len() as u64, Ordering::Relaxed);
            failures
        });
    }
    for round in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let before = ok.load(Ordering::Relaxed);
        let reply = if round % 2 == 0 {
            deploy(&platform, "catalog", built::CATALOG_B).await
        } else {
            rollback(&platform, "catalog").await
        };
        assert_eq!(reply.status, 200, "round {round}: {reply:?}");
        // The very next request gets the new build.
        let expected = (round % 2 == 0).then(|| "b".to_string());
        assert_eq!(served_by(&platform).await, expected, "round {round}");
        assert!(ok.load(Ordering::Relaxed) >= before, "round {round}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    while let Some(done) = clients.join_next().await {
        failures.extend(done.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} failed requests, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert_eq!(failed.load(Ordering::Relaxed), 0);
    let (ok, variant) = (
        ok.load(Ordering::Relaxed),
        variant_seen.load(Ordering::Relaxed),
    );
    assert!(
        ok > 200,
        "the load was too light to prove anything: {ok} requests"
    );
    assert!(
        variant > 0 && variant < ok,
        "both builds served the load: {variant} of {ok}"
    );
}

//! A tenant's toolbox, as a tenant uses it: `sluice rule new` writes a std
//! Rust project, cargo builds it for wasm32-wasip2 (no rule kit), and
//! `sluice rule check` / `sluice rule test` run the upload checks and the
//! sandbox on it locally.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sluice(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running sluice")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The toolchain this repository builds with (rust-toolchain.toml), which
/// has the wasm target; the project's own file asks for `stable`.
fn toolchain() -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rust-toolchain.toml");
    let text = std::fs::read_to_string(file).unwrap();
    let line = text.lines().find(|l| l.starts_with("channel")).unwrap();
    line.split('"').nth(1).unwrap().to_string()
}

/// The workspace's target dir, so that the template's dependencies are
/// built once, not once per run.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/rule-template")
}

#[test]
fn a_new_rule_builds_checks_and_runs() {
    let temp = tempfile::tempdir().unwrap();
    let made = sluice(&["rule", "new", "loyalty"], temp.path());
    assert!(made.status.success(), "{}", text(&made));
    let project = temp.path().join("loyalty");
    let again = sluice(&["rule", "new", "loyalty"], temp.path());
    assert!(!again.status.success(), "an existing project is kept");
    assert!(text(&again).contains("exists"), "{}", text(&again));

    let built = Command::new("cargo")
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", target_dir())
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built));
    let wasm = target_dir().join("wasm32-wasip2/release/loyalty.wasm");
    let wasm = wasm.to_str().unwrap();

    let checked = sluice(&["rule", "check", wasm], &project);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("accepts"), "{}", text(&checked));

    // quote.json: 16.50 for a gold customer, whom the template gives 10% off.
    let tested = sluice(&["rule", "test", wasm, "--input", "quote.json"], &project);
    assert!(tested.status.success(), "{}", text(&tested));
    let answer: serde_json::Value = serde_json::from_slice(&tested.stdout).unwrap();
    assert_eq!(answer["outcome"], "applied", "{answer}");
    assert_eq!(answer["unit_price"], 1485, "{answer}");
    assert!(answer["fuel_used"].as_u64().unwrap() > 0, "{answer}");

    // Something that is not a rule is refused, saying why.
    std::fs::write(project.join("junk.wasm"), b"not wasm").unwrap();
    let refused = sluice(&["rule", "check", "junk.wasm"], &project);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("refused at upload"),
        "{}",
        text(&refused)
    );
}

//! Builds the components (wasm32-wasip2, release, their own target dir) and
//! generates `builtin.rs`, which embeds each one's bytes in the host binary
//! and names each service's (the services come from the manifest,
//! `sluice-wit`). A change to a component's source or to wit/ rebuilds it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The components this build embeds: (crate, constant). A service's crate
/// has the service's name. `hello` (a plain wasi:http component) and the
/// example rules are embedded for tests and benchmarks; they serve no
/// service. Crates named `rule-*`
/// are `no_std` pricing rules, built in a cargo run of their own so that
/// the services' std features of shared dependencies don't reach them;
/// `std-rule-*` are rules written the ordinary way (std Rust, wit-bindgen).
const COMPONENTS: &[(&str, &str)] = &[
    ("account", "ACCOUNT"),
    ("catalog", "CATALOG"),
    ("pricing", "PRICING"),
    ("order", "ORDER"),
    ("hello", "HELLO"),
    ("hello-p2", "HELLO_P2"),
    ("rule-round99", "RULE_ROUND99"),
    ("rule-bulk", "RULE_BULK"),
    ("rule-loop", "RULE_LOOP"),
    ("rule-membomb", "RULE_MEMBOMB"),
    ("rule-trap", "RULE_TRAP"),
    ("rule-badprice", "RULE_BADPRICE"),
    ("rule-bigoutput", "RULE_BIGOUTPUT"),
    ("std-rule-probe", "STD_RULE_PROBE"),
    ("std-rule-net", "STD_RULE_NET"),
];

/// Builds of a service component with a label (`SLUICE_BUILD_LABEL`, shown
/// in a `sluice-build` response header): a second, visibly different
/// version to hot-swap in tests and benchmarks. (crate, constant, label)
const LABELLED: &[(&str, &str, &str)] = &[("catalog", "CATALOG_B", "b")];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("components").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    check_wasm_target();
    let target_dir = root.join("target").join("wasm");
    let (rules, others): (Vec<&str>, Vec<&str>) = COMPONENTS
        .iter()
        .map(|(krate, _)| *krate)
        .partition(|krate| krate.starts_with("rule-"));
    let started = std::time::Instant::now();
    progress(
        "building the WebAssembly components (a first build takes about 10 minutes on 2 cores, \
         with the host; later builds only what changed)",
    );
    for group in [others, rules] {
        build_components(&root, &target_dir, &group, None);
    }
    for (krate, _, label) in LABELLED {
        build_components(&root, &labelled_dir(&root, label), &[krate], Some(label));
    }
    progress(&format!(
        "components built in {:.0} s; compiling the host next",
        started.elapsed().as_secs_f64()
    ));

    let mut out = String::new();
    for (krate, constant) in COMPONENTS {
        let wasm = target_dir
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", krate.replace('-', "_")));
        assert!(wasm.exists(), "{} was not built", wasm.display());
        out.push_str(&format!(
            "/// The `{krate}` component.\npub const {constant}: &[u8] = include_bytes!({:?});\n",
            wasm.display().to_string()
        ));
    }
    for (krate, constant, label) in LABELLED {
        let wasm = labelled_dir(&root, label)
            .join("wasm32-wasip2/release")
            .join(format!("{krate}.wasm"));
        out.push_str(&format!(
            "/// `{krate}` built with the label {label:?}.\npub const {constant}: &[u8] = include_bytes!({:?});\n",
            wasm.display().to_string()
        ));
    }
    out.push_str("/// (service name, component bytes) for every service.\npub const ALL: &[(&str, &[u8])] = &[");
    for service in sluice_wit::services() {
        let (_, constant) = COMPONENTS
            .iter()
            .find(|(krate, _)| krate == service)
            .unwrap_or_else(|| {
                panic!("the service {service} has no component crate named {service}")
            });
        out.push_str(&format!("({service:?}, {constant}),"));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin.rs");
    std::fs::write(dest, out).unwrap();
}

/// Where the components built with `label` go.
fn labelled_dir(root: &Path, label: &str) -> PathBuf {
    root.join("target").join(format!("wasm-{label}"))
}

/// The terminal of an interactive build, if there is one. Cargo keeps a
/// build script's output until the script ends, so the components' long
/// first build would show nothing but a spinner: on a terminal, its
/// progress (cargo's own "Compiling account ..." lines) goes there instead.
fn terminal() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .ok()
}

/// One line of progress, on the terminal if there is one.
fn progress(line: &str) {
    use std::io::Write as _;
    if let Some(mut tty) = terminal() {
        let _ = writeln!(tty, "   sluice: {line}");
    }
}

/// Builds `crates` for wasm32-wasip2 in release, in one cargo run, with
/// `SLUICE_BUILD_LABEL` set to `label` if there is one.
fn build_components(root: &Path, target_dir: &Path, crates: &[&str], label: Option<&str>) {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(root)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(target_dir);
    for krate in crates {
        cargo.args(["-p", krate]);
    }
    // Small, fast components: no debug info, whole-program optimisation.
    cargo
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    match label {
        Some(label) => cargo.env("SLUICE_BUILD_LABEL", label),
        None => cargo.env_remove("SLUICE_BUILD_LABEL"),
    };
    // The outer build's flags and wrappers (clippy, coverage) are for the host.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "CARGO_LLVM_COV",
    ] {
        cargo.env_remove(var);
    }
    if let Some(tty) = terminal() {
        cargo.stderr(tty);
    }
    let status = cargo
        .status()
        .expect("running cargo to build the components");
    assert!(
        status.success(),
        "building the wasm components failed (see above)"
    );
}

/// Makes sure the wasm32-wasip2 target is installed: rust-toolchain.toml
/// lists it, but rustup adds listed targets only when it installs the
/// toolchain, so a toolchain that was there before lacks it. Adds it with
/// rustup when it is missing, and fails with a clear message when that is
/// not possible (a toolchain not managed by rustup).
fn check_wasm_target() {
    if wasm_target_installed() {
        return;
    }
    println!("cargo:warning=installing the wasm32-wasip2 target (rustup target add wasm32-wasip2)");
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .status()
        .is_ok_and(|status| status.success());
    if !added || !wasm_target_installed() {
        panic!(
            "\n\nThe wasm32-wasip2 Rust target is not installed, so the service components \
             cannot be built, and `rustup target add wasm32-wasip2` did not add it.\n\
             Install it for the toolchain this build uses, then build again.\n"
        );
    }
}

fn wasm_target_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Command::new(rustc)
        .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|dir| dir.exists())
}

//! The API against its contract, fuzzed: scripts/fuzz-api starts `sluice up`
//! (free ports, a temporary data dir, gateway rate limits off) and runs
//! schemathesis on every operation of the openapi.yaml the gateway serves,
//! with a fixed seed: no 5xx, every status documented, every response
//! matching its schema, schema-valid input accepted and invalid input
//! refused, 405s with `Allow` (scripts/fuzz/README.md lists the checks).

use std::process::Command;

#[test]
fn the_api_keeps_its_contract_under_fuzzing() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/fuzz-api");
    let status = Command::new(script)
        .args(["--sluice", env!("CARGO_BIN_EXE_sluice")])
        .status()
        .expect("running scripts/fuzz-api");
    assert!(
        status.success(),
        "the fuzz run found contract violations (see above; target/fuzz-report has the report)"
    );
}

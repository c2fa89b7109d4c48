//! Reads the WIT package in this folder (wit-parser) and generates
//! `worlds.rs`: every service world with the names of its imports and
//! exports, as a component of that world names them (e.g.
//! `sluice:platform/sql@0.1.0`). A service world is one that exports
//! `wasi:http/handler`: a service answers HTTP.

use std::path::PathBuf;

/// What makes a world a service's.
const SERVICE_EXPORT: &str = "wasi:http/handler@0.3.0";

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "wit") {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
    println!("cargo:rerun-if-changed={}", dir.join("deps").display());
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(&dir).expect("parsing wit/");
    let names = |keys: Vec<&wit_parser::WorldKey>| -> Vec<String> {
        keys.into_iter()
            .map(|k| resolve.name_world_key(k))
            .collect()
    };
    let mut services = Vec::new();
    let mut out = String::from(
        "/// Every service world, in the order wit/world.wit lists them: the imports it grants and the exports it requires.\npub const WORLDS: &[World] = &[",
    );
    for (_, &id) in resolve.packages[package].worlds.iter() {
        let world = &resolve.worlds[id];
        let exports = names(world.exports.keys().collect());
        if !exports.iter().any(|e| e == SERVICE_EXPORT) {
            continue;
        }
        services.push(world.name.clone());
        out.push_str(&format!(
            "World {{ name: {:?}, imports: &{:?}, exports: &{exports:?} }},",
            world.name,
            names(world.imports.keys().collect()),
        ));
    }
    out.push_str("];\n");
    out.push_str(&format!(
        "/// Every service's name, in the same order.\npub const SERVICES: &[&str] = &{services:?};\n"
    ));
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("worlds.rs");
    std::fs::write(dest, out).unwrap();
}

//! The per-request path without I/O: a fresh store, instantiate from an
//! `InstancePre` (pooling allocator, copy-on-write images), call a trivial
//! export, drop. The component is the example pricing rule `round99`; then
//! a fresh instance and its drop for each built-in component, the services'
//! against the p3 `hello`, so what a service's size costs per request shows
//! (and other builds named in `SLUICE_BENCH_COMPONENTS`, see `other_builds`).

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::bindings::rule::{GuestIndices, Input};
use sluice::builtin::{ACCOUNT, CATALOG, HELLO, ORDER, PRICING};
use sluice::engine::{CompileCache, new_engine};
use std::sync::Arc;

fn input() -> Input {
    Input {
        sku: "SKU-1".into(),
        qty: 1,
        currency: "EUR".into(),
        base_unit_price: 1250,
        unit_price: 1250,
        tenant: "default".into(),
        customer: vec![],
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let engine = new_engine(1000).unwrap();
    let linker = sluice::linker::new_linker(&engine).unwrap();
    let cache = CompileCache::new(&engine, None).unwrap();
    let component = cache.load(&engine, sluice::builtin::RULE_ROUND99).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    let indices = GuestIndices::new(&pre).unwrap();
    let caps = Arc::new(sluice::run::standalone("bench").unwrap());

    c.bench_function("new store", |b| {
        b.iter(|| sluice::state::ComponentState::new_store(&engine, caps.clone()))
    });
    c.bench_function("new store + instantiate (pooling)", |b| {
        b.to_async(&rt).iter(|| async {
            let mut store = sluice::state::ComponentState::new_store(&engine, caps.clone());
            pre.instantiate_async(&mut store).await.unwrap();
        })
    });
    c.bench_function("new store + instantiate + call (pooling)", |b| {
        let input = input();
        b.to_async(&rt).iter(|| async {
            let mut store = sluice::state::ComponentState::new_store(&engine, caps.clone());
            let instance = pre.instantiate_async(&mut store).await.unwrap();
            let rule = indices.load(&mut store, &instance).unwrap();
            let out = rule.call_apply(&mut store, &input).await.unwrap().unwrap();
            assert_eq!(out.unit_price, 1199);
        })
    });
    for (name, bytes) in [
        ("hello", HELLO),
        ("account", ACCOUNT),
        ("catalog", CATALOG),
        ("order", ORDER),
        ("pricing", PRICING),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
    .chain(other_builds())
    {
        let pre = linker
            .instantiate_pre(&cache.load(&engine, &bytes).unwrap())
            .unwrap();
        c.bench_function(&format!("new store + instantiate + drop: {name}"), |b| {
            b.to_async(&rt).iter(|| async {
                let mut store = sluice::state::ComponentState::new_store(&engine, caps.clone());
                pre.instantiate_async(&mut store).await.unwrap();
            })
        });
    }
}

/// Other builds of a component to measure beside the built-in ones, from
/// `SLUICE_BENCH_COMPONENTS="NAME=PATH ..."` (e.g. a service built at an
/// earlier commit), so a change to a component's build is measured against
/// the build before it in the same run.
fn other_builds() -> Vec<(String, Vec<u8>)> {
    let list = std::env::var("SLUICE_BENCH_COMPONENTS").unwrap_or_default();
    list.split_whitespace()
        .map(|entry| {
            let (name, path) = entry
                .split_once('=')
                .expect("SLUICE_BENCH_COMPONENTS entries are NAME=PATH");
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
            (name.to_string(), bytes)
        })
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The cost of running a tenant's pricing rule in the sandbox, as pricing
//! pays it per quote line: look up the tenant's rule, a fresh store under
//! the limits, instantiate, call `apply`; then whole quotes through
//! pricing's `quote` export (a fresh pricing instance, its SQL reads, the
//! `tenant-rules` import) for a tenant without and with a rule.

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::builtin as built;
use sluice::capabilities::links::Link;
use sluice::rules::{Outcome, RuleInput, RuleRegistry};

mod support;

fn input(tenant: &str) -> RuleInput {
    RuleInput {
        sku: "COF-FIL-002".into(),
        qty: 10,
        currency: "USD".into(),
        base_unit_price: 1650,
        unit_price: 1650,
        tenant: tenant.into(),
        customer: vec![("tier".into(), "gold".into())],
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let registry = runtime.block_on(async {
        let registry = RuleRegistry::open(None).await.unwrap();
        registry
            .put("bulk", built::RULE_BULK.to_vec())
            .await
            .unwrap();
        registry
            .put("loop", built::RULE_LOOP.to_vec())
            .await
            .unwrap();
        registry
            .put("tier", built::STD_RULE_PROBE.to_vec())
            .await
            .unwrap();
        registry
    });
    let mut group = c.benchmark_group("rule");
    for (name, tenant) in [
        ("no rule", "nobody"),
        ("bulk discount", "bulk"),
        ("std Rust tier rule (restricted WASI)", "tier"),
    ] {
        let input = input(tenant);
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let outcome = registry.run(&input).await;
                assert!(!matches!(outcome, Outcome::Failed { .. }));
            })
        });
    }
    group.sample_size(20);
    let runaway = input("loop");
    group.bench_function("runaway loop (stopped by fuel)", |b| {
        b.to_async(&runtime).iter(|| async {
            let outcome = registry.run(&runaway).await;
            assert_eq!(outcome.label(), "fuel");
        })
    });
    group.finish();
}

fn quotes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = runtime.block_on(support::node(&["catalog", "pricing"], dir.path()));
    let pricing = node.services["pricing"].clone();
    let registry = pricing.caps.tenant_rules.registry.clone().unwrap();
    runtime
        .block_on(registry.put("bulk", built::RULE_BULK.to_vec()))
        .unwrap();
    let link = Link::local(pricing);
    let mut group = c.benchmark_group("quote export");
    for (name, tenant) in [
        ("tenant without a rule", "default"),
        ("bulk discount rule", "bulk"),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let price = link
                    .quote("COF-FIL-002".into(), 10, tenant.into(), Vec::new())
                    .await
                    .unwrap();
                assert!(price.unit_price > 0);
            })
        });
    }
    group.finish();
    runtime.block_on(node.shutdown()).unwrap();
}

criterion_group!(benches, bench, quotes);
criterion_main!(benches);

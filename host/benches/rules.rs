//! The cost of running a tenant's pricing rule in the sandbox, as pricing
//! pays it per quote line: look up the tenant's rule, a fresh store under
//! the limits, instantiate, call `apply`. `sluice::rules` has no pricing
//! around it here; scripts/bench-admin measures quotes end to end.

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::components as built;
use sluice::rules::{Outcome, RuleInput, RuleRegistry};

fn input(tenant: &str) -> RuleInput {
    RuleInput {
        sku: "COF-FIL-002".into(),
        qty: 10,
        currency: "USD".into(),
        base_unit_price: 1650,
        unit_price: 1650,
        tenant: tenant.into(),
        customer: Vec::new(),
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
    });
    let mut group = c.benchmark_group("rule");
    for (name, tenant) in [("no rule", "nobody"), ("bulk discount", "bulk")] {
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

criterion_group!(benches, bench);
criterion_main!(benches);

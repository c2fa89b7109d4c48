//! The cost of one linked cross-component call: what order pays for each
//! `stock` import it calls. A node runs the catalog (SQLite in a temp dir);
//! each iteration is `stock.check` of one sku through `Link` (task
//! hand-off, fresh catalog instance, the export, its SQL read), on a
//! current-thread runtime (as on the front doors) and on a multi-thread one;
//! the same call to the catalog as another node sees it (over HTTP on
//! loopback to its internal route: `Callee::Remote`); and, for comparison,
//! the same export called in the caller's own task.

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::bindings::stock;
use sluice::capabilities::links::{CallConfig, Callee, Link, LinkFaults, RemoteService};
use sluice::discovery::StaticDiscovery;
use sluice::service::Service;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::runtime::Builder;

mod support;

const SKU: &str = "COF-ESP-001";

/// `stock.check` on a fresh instance, in the caller's task (no hand-off).
async fn direct_check(service: &Service) -> u32 {
    let (version, mut store, instance) = service.instantiate().await.unwrap();
    let guest = stock::GuestIndices::new(&version.pre)
        .unwrap()
        .load(&mut store, &instance)
        .unwrap();
    store
        .run_concurrent(async move |a| guest.call_check(a, SKU.into()).await)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let current = Builder::new_current_thread().enable_all().build().unwrap();
    let multi = Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = multi.block_on(support::node(&["catalog"], dir.path()));
    let service = node.services["catalog"].clone();
    let link = Link::local(service.clone());
    let table = BTreeMap::from([("catalog".to_string(), vec![node.service_addrs["catalog"]])]);
    let remote = Link {
        callee: Callee::Remote(Arc::new(RemoteService::new(
            "catalog",
            Arc::new(StaticDiscovery::new(table)),
            Arc::new(service.caps.token.keys.for_nodes()),
            reqwest::Client::new(),
            &Default::default(),
            CallConfig::default(),
        ))),
        faults: LinkFaults::default(),
    };

    let mut group = c.benchmark_group("linked call (stock.check)");
    for (name, rt) in [("current-thread", &current), ("multi-thread", &multi)] {
        group.bench_function(format!("linked, {name} runtime"), |b| {
            b.to_async(rt)
                .iter(|| async { link.check(SKU.into()).await.unwrap() })
        });
    }
    group.bench_function("remote (HTTP on loopback), current-thread runtime", |b| {
        b.to_async(&current)
            .iter(|| async { remote.check(SKU.into()).await.unwrap() })
    });
    group.bench_function("same export in the caller's task", |b| {
        b.to_async(&current).iter(|| direct_check(&service))
    });
    group.finish();
    multi.block_on(node.shutdown()).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Verifying a bearer token (`TokenKeys::verify`): a token these keys have
//! verified before (the memo of verified tokens: the gateway's edge checked
//! it, or the client sent it on an earlier request) against one they have
//! not (base64, HMAC-SHA256 and JSON, then kept), in the same run.

use criterion::{Criterion, criterion_group, criterion_main};
use sluice::capabilities::token::{Secret, TokenConfig, TokenKeys, VERIFIED_TOKENS_KEPT};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let config = TokenConfig {
        secret: Some(Secret::new("bench-secret-0123456789abcdef0123456789abcdef")),
        ..TokenConfig::default()
    };
    // A secret is configured, so the data dir is never written.
    let keys = TokenKeys::load_or_generate(&config, std::path::Path::new("/nonexistent")).unwrap();

    // Many more tokens than the memo keeps, cycled: each is verified anew.
    let fresh: Vec<String> = (0..8 * VERIFIED_TOKENS_KEPT)
        .map(|n| {
            keys.issue(&format!("acct-{n}"), "customer", "default")
                .token
        })
        .collect();
    let mut next = 0;
    c.bench_function("token verify, not verified before", |b| {
        b.iter(|| {
            next = (next + 1) % fresh.len();
            black_box(keys.verify(&fresh[next]).unwrap())
        })
    });

    let kept = keys.issue("acct-kept", "customer", "default").token;
    keys.verify(&kept).unwrap();
    c.bench_function("token verify, verified before", |b| {
        b.iter(|| black_box(keys.verify(&kept).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

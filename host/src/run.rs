//! `sluice run FILE.wasm`: serve any plain wasi:http component (p2 or p3)
//! with the same engine and front door as the services. It gets no
//! database and no rate-limit policies; the other capabilities work.

use crate::capabilities::{ServiceCapabilities, cache, clock, token};
use crate::engine::{CompileCache, new_engine};
use crate::frontdoor::FrontDoors;
use crate::service::{Service, Version};
use anyhow::{Context as _, Result};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

pub async fn run(file: &Path, addr: SocketAddr, shutdown: impl Future<Output = ()>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let engine = new_engine(1000)?;
    let linker = crate::linker::new_linker(&engine)?;
    let version = Version::prepare(&linker, &CompileCache::new(&engine, None)?, &bytes, 1)
        .with_context(|| format!("loading {}", file.display()))?;
    let caps = standalone("run")?;
    let service = Arc::new(Service::new(&engine, caps, version));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let doors = FrontDoors::spawn(
        service,
        addr,
        crate::frontdoor::default_threads(),
        &Default::default(),
        stopped,
    )?;
    println!(
        "sluice: serving {} on http://{}",
        file.display(),
        doors.addr
    );
    shutdown.await;
    let _ = stop.send(true);
    doors.join().await
}

/// Capabilities for a component outside the platform (`sluice run`,
/// benchmarks, tests): an in-process cache, a token key kept in the system
/// temp dir, the system clock, nothing else.
pub fn standalone(service: &str) -> Result<ServiceCapabilities> {
    let scratch = std::env::temp_dir().join("sluice-run");
    Ok(ServiceCapabilities::new(
        service,
        cache::build(&cache::CacheConfig::default())?,
        Arc::new(token::TokenKeys::load_or_generate(
            &token::TokenConfig::default(),
            &scratch,
        )?),
        clock::ClockState::default(),
    ))
}

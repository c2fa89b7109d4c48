//! The one wasmtime `Engine` of a host process, and the on-disk cache of
//! compiled components (keyed by content hash and engine).

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy,
};

/// How often the epoch ticks; a running guest yields to other tasks at most
/// this long after it started computing (see `ComponentState::new_store`).
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Linear memory a service instance may grow to.
pub const MAX_MEMORY_BYTES: usize = 128 << 20;

/// Builds the engine: async, component-model-async, pooling allocator with
/// copy-on-write memory images, epoch interruption for fairness, the
/// profiler of [`profiler_from_env`].
pub fn new_engine(max_instances: u32) -> Result<Engine> {
    build_engine(max_instances, profiler_from_env())
}

/// The profiler of an engine of this process (the services' and the rule
/// sandbox's): with `SLUICE_PROFILE=perfmap` in the environment, the
/// guests' compiled functions are named in `/tmp/perf-PID.map`, so
/// `perf report` shows them by name instead of as addresses.
pub(crate) fn profiler_from_env() -> ProfilingStrategy {
    match std::env::var("SLUICE_PROFILE").as_deref() {
        Ok("perfmap") => ProfilingStrategy::PerfMap,
        _ => ProfilingStrategy::None,
    }
}

fn build_engine(max_instances: u32, profiler: ProfilingStrategy) -> Result<Engine> {
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(max_instances)
        .total_core_instances(max_instances * 4)
        .total_memories(max_instances * 2)
        .total_tables(max_instances * 4)
        .total_stacks(max_instances)
        .max_memory_size(MAX_MEMORY_BYTES)
        .max_core_instances_per_component(50)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(1 << 16)
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut config = Config::new();
    config
        .wasm_component_model_async(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
        .memory_init_cow(true)
        .epoch_interruption(true)
        .profiler(profiler);
    let engine = Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("creating the wasmtime engine")?;
    spawn_epoch_ticker(engine.weak(), EPOCH_TICK, "sluice-epoch");
    Ok(engine)
}

/// Ticks `engine`'s epoch every `tick` on a thread of its own, until the
/// engine is dropped.
pub(crate) fn spawn_epoch_ticker(engine: wasmtime::EngineWeak, tick: Duration, name: &str) {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(tick);
            }
        })
        .expect("spawning the epoch thread");
}

/// The hex SHA-256 of a component's bytes: its identity in logs, the
/// compile cache and the admin API.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The artifact at `path` if its SHA-256 is the one recorded in `check`;
/// `None` (recompile) when either is missing or they differ — a torn,
/// corrupted or swapped artifact is never loaded as native code.
fn verified(path: &Path, check: &Path) -> Option<Vec<u8>> {
    let artifact = std::fs::read(path).ok()?;
    let expected = std::fs::read_to_string(check).ok()?;
    if digest(&artifact) == expected.trim() {
        Some(artifact)
    } else {
        tracing::warn!(path = %path.display(), "the compiled artifact does not match its digest; recompiling");
        None
    }
}

/// Compiled components kept on disk so a restart or a repeated deploy of the
/// same bytes skips compilation. Each artifact has its SHA-256 beside it,
/// checked before the native code is loaded.
#[derive(Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir` (created if missing); `None` compiles every time.
    pub fn new(engine: &Engine, dir: Option<&Path>) -> Result<Self> {
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the compile cache {}", dir.display()))?;
        }
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        Ok(CompileCache {
            dir: dir.map(Path::to_path_buf),
            engine_key: format!("{:016x}", hasher.finish()),
        })
    }

    /// The compiled component for `bytes`, from the cache or compiled now.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<Component> {
        self.load_as(engine, bytes, &digest(bytes))
    }

    /// As [`load`](Self::load), for a caller that already has the bytes'
    /// [`digest`] (hashing a component of a few MB takes milliseconds).
    pub fn load_as(&self, engine: &Engine, bytes: &[u8], digest: &str) -> Result<Component> {
        let Some(dir) = &self.dir else {
            return Ok(Component::new(engine, bytes)?);
        };
        let path = dir.join(format!("{digest}-{}.cwasm", self.engine_key));
        let check = path.with_extension("cwasm.sha256");
        if let Some(artifact) = verified(&path, &check) {
            // SAFETY: the bytes are what `Component::serialize` of an engine
            // with the same compatibility hash wrote for these component
            // bytes (their digest is in the name, and the artifact's digest
            // was just checked against the one written beside it).
            match unsafe { Component::deserialize(engine, &artifact) } {
                Ok(component) => return Ok(component),
                Err(e) => tracing::warn!(path = %path.display(), "recompiling: {e:#}"),
            }
        }
        let component = Component::new(engine, bytes)?;
        let artifact = component.serialize()?;
        crate::files::write_atomically(&path, &artifact)?;
        crate::files::write_atomically(&check, self::digest(&artifact).as_bytes())?;
        Ok(component)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfmap_engine_names_the_compiled_guest_functions_for_perf() {
        let engine = build_engine(4, ProfilingStrategy::PerfMap).unwrap();
        Component::new(&engine, crate::builtin::HELLO).unwrap();
        let path = format!("/tmp/perf-{}.map", std::process::id());
        let map = std::fs::read_to_string(&path).expect("perf's map of this process");
        let _ = std::fs::remove_file(&path);
        // One line per compiled function: "ADDRESS SIZE NAME".
        assert!(
            map.lines()
                .any(|l| l.contains("wasm[") && l.split(' ').count() >= 3),
            "no wasm function in the map:\n{map}"
        );
    }
}

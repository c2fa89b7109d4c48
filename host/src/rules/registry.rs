//! The tenants' rules: uploaded, checked, kept in the data dir (one file per
//! tenant, so they survive a restart) and, on a pricing node, in pricing's
//! database for every other pricing node ([`super::shared`]); run on
//! request.

use super::last_run::{LastRun, LastRuns};
use super::limits::{Budget, MAX_COMPONENT_BYTES, MAX_CONCURRENT_RUNS, MAX_MEMORY_BYTES, TICK};
use super::metrics::RuleMetrics;
use super::sandbox::{Outcome, Ran, Rule, RuleInput, RuleState};
use super::shared::RuleStore;
use crate::engine::{digest, spawn_epoch_ticker};
use crate::files::write_atomically;
use anyhow::{Context as _, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Why an uploaded rule was refused.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    /// The tenant name cannot name a rule (400).
    #[error("a tenant is 1 to 64 letters, digits, '-' or '_'")]
    BadTenant,
    /// The component is over the size limit (413).
    #[error("the rule is {0} bytes; a rule may be at most {MAX_COMPONENT_BYTES} bytes")]
    TooLarge(usize),
    /// Not a component of the `pricing-rule` world, or it breaks the limits
    /// on instantiation (422).
    #[error("{0}")]
    Invalid(String),
    /// The host could not store it (500).
    #[error("storing the rule failed: {0}")]
    Storage(String),
}

/// Every tenant's rule, and the engine they run in.
pub struct RuleRegistry {
    engine: Engine,
    linker: Linker<RuleState>,
    dir: Option<PathBuf>,
    rules: RwLock<HashMap<String, Arc<Rule>>>,
    /// Each tenant's last run on this node, for the tenant to look at.
    last: LastRuns,
    /// Pricing's database, shared with the other pricing nodes.
    shared: std::sync::OnceLock<RuleStore>,
    /// One permit per instance slot of the pool: runs beyond it wait.
    slots: tokio::sync::Semaphore,
    budget: Budget,
    pub metrics: RuleMetrics,
}

impl RuleRegistry {
    /// A registry keeping rules in `dir` (`None`: in memory only), loading
    /// those already there. A stored rule that no longer loads is logged and
    /// left out.
    pub async fn open(dir: Option<&Path>) -> Result<RuleRegistry> {
        RuleRegistry::with_budget(dir, Budget::default()).await
    }

    /// As [`open`](Self::open), with another fuel budget and deadline.
    pub async fn with_budget(dir: Option<&Path>, budget: Budget) -> Result<RuleRegistry> {
        // Rules are small and run often: a pooling allocator with
        // copy-on-write images makes a fresh instance per run cheap (slots
        // sized to the memory cap; more runs at once than slots wait).
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(MAX_CONCURRENT_RUNS)
            .total_core_instances(MAX_CONCURRENT_RUNS * 2)
            .total_memories(MAX_CONCURRENT_RUNS)
            .total_tables(MAX_CONCURRENT_RUNS * 2)
            .total_stacks(MAX_CONCURRENT_RUNS)
            .max_memory_size(MAX_MEMORY_BYTES)
            .max_memories_per_component(1)
            .linear_memory_keep_resident(64 << 10)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
            .memory_init_cow(true)
            .profiler(crate::engine::profiler_from_env());
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("creating the rule engine")?;
        spawn_epoch_ticker(engine.weak(), TICK, "sluice-rule-epoch");
        let mut linker = Linker::new(&engine);
        super::wasi::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking the rules' WASI")?;
        let registry = RuleRegistry {
            linker,
            engine,
            dir: dir.map(Path::to_path_buf),
            rules: RwLock::default(),
            last: LastRuns::default(),
            shared: std::sync::OnceLock::new(),
            slots: tokio::sync::Semaphore::new(MAX_CONCURRENT_RUNS as usize),
            budget,
            metrics: RuleMetrics::default(),
        };
        let Some(dir) = dir else {
            return Ok(registry);
        };
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(tenant) = stored_tenant(&path) else {
                continue;
            };
            let bytes = std::fs::read(&path)?;
            match registry.load(&tenant, &bytes).await {
                Ok(rule) => registry.insert(&tenant, rule),
                Err(e) => {
                    tracing::error!(%tenant, path = %path.display(), "stored rule left out: {e}")
                }
            }
        }
        Ok(registry)
    }

    /// Shares the rules through `store` from now on: the rules this node
    /// kept alone (from before they were shared) are published, then the
    /// registry is brought to the store.
    pub async fn attach(&self, store: RuleStore) -> Result<()> {
        let known: Vec<String> = store.list().await?.into_iter().map(|(t, _)| t).collect();
        let local: Vec<(String, Arc<Rule>)> = self
            .read()
            .iter()
            .filter(|(tenant, _)| !known.contains(tenant))
            .map(|(t, r)| (t.clone(), r.clone()))
            .collect();
        for (tenant, rule) in local {
            if let Some(bytes) = self.stored_bytes(&tenant) {
                store.put(&tenant, &rule.digest, &bytes).await?;
            }
        }
        let _ = self.shared.set(store);
        self.sync().await.map(drop)
    }

    /// Brings this node's rules to the shared store: loads those whose
    /// digest changed, drops those removed. How many changed.
    pub async fn sync(&self) -> Result<usize> {
        let Some(store) = self.shared.get() else {
            return Ok(0);
        };
        let mut changed = 0;
        for (tenant, digest) in store.list().await? {
            if self.digest(&tenant) == digest {
                continue;
            }
            match digest {
                None => self.drop_local(&tenant).map_err(anyhow::Error::from)?,
                Some(digest) => {
                    // Changed again since the list: the next round has it.
                    let Some(bytes) = store.bytes(&tenant, &digest).await? else {
                        continue;
                    };
                    let rule = self.load(&tenant, &bytes).await?;
                    self.keep_local(&tenant, &bytes)
                        .map_err(anyhow::Error::from)?;
                    self.insert(&tenant, rule);
                }
            }
            tracing::info!(%tenant, "tenant rule synced");
            changed += 1;
        }
        Ok(changed)
    }

    /// Checks, stores and activates `tenant`'s rule; returns its digest.
    pub async fn put(&self, tenant: &str, bytes: Vec<u8>) -> Result<String, Rejected> {
        if !valid_tenant(tenant) {
            return Err(Rejected::BadTenant);
        }
        let rule = self.load(tenant, &bytes).await?;
        let digest = rule.digest.clone();
        if let Some(store) = self.shared.get() {
            store
                .put(tenant, &digest, &bytes)
                .await
                .map_err(|e| Rejected::Storage(format!("{e:#}")))?;
        }
        self.keep_local(tenant, &bytes)?;
        self.insert(tenant, rule);
        tracing::info!(%tenant, %digest, "tenant rule active");
        Ok(digest)
    }

    /// Removes `tenant`'s rule; false if it had none.
    pub async fn remove(&self, tenant: &str) -> Result<bool, Rejected> {
        if !valid_tenant(tenant) {
            return Err(Rejected::BadTenant);
        }
        let had = self.digest(tenant).is_some();
        if had && let Some(store) = self.shared.get() {
            store
                .delete(tenant)
                .await
                .map_err(|e| Rejected::Storage(format!("{e:#}")))?;
        }
        self.drop_local(tenant)?;
        if had {
            tracing::info!(%tenant, "tenant rule removed");
        }
        Ok(had)
    }

    /// Writes `tenant`'s rule file, if rules are kept on disk.
    fn keep_local(&self, tenant: &str, bytes: &[u8]) -> Result<(), Rejected> {
        if let Some(dir) = &self.dir {
            write_atomically(&dir.join(format!("{tenant}.wasm")), bytes)
                .map_err(|e| Rejected::Storage(format!("{e:#}")))?;
        }
        Ok(())
    }

    /// Forgets `tenant`'s rule here: its file and the loaded rule.
    fn drop_local(&self, tenant: &str) -> Result<(), Rejected> {
        if let Some(dir) = &self.dir {
            let path = dir.join(format!("{tenant}.wasm"));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Rejected::Storage(format!("{}: {e}", path.display()))),
            }
        }
        self.last.forget(tenant);
        self.write().remove(tenant);
        Ok(())
    }

    /// The bytes of `tenant`'s rule file, if kept on disk.
    fn stored_bytes(&self, tenant: &str) -> Option<Vec<u8>> {
        let dir = self.dir.as_ref()?;
        std::fs::read(dir.join(format!("{tenant}.wasm"))).ok()
    }

    /// The digest of `tenant`'s rule, if it has one.
    pub fn digest(&self, tenant: &str) -> Option<String> {
        self.read().get(tenant).map(|rule| rule.digest.clone())
    }

    /// Runs `input.tenant`'s rule, counting the outcome.
    pub async fn run(&self, input: &RuleInput) -> Outcome {
        self.run_traced(input).await.outcome
    }

    /// As [`run`](Self::run), with the rule's log, fuel and time; the log
    /// goes to the host's log too, and the run is kept as the tenant's last.
    pub async fn run_traced(&self, input: &RuleInput) -> Ran {
        let Some(rule) = self.read().get(&input.tenant).cloned() else {
            return Ran {
                outcome: Outcome::NoRule,
                log: String::new(),
                fuel_used: 0,
                elapsed: std::time::Duration::ZERO,
            };
        };
        // The wait for a sandbox is bounded like the run itself: a quote
        // then falls back to its price without the rule, counted `busy`.
        let ran = match tokio::time::timeout(self.budget.deadline, self.slots.acquire()).await {
            Ok(slot) => {
                let _slot = slot.expect("the semaphore is never closed");
                rule.run(&self.engine, self.budget, input).await
            }
            Err(_) => Ran {
                outcome: Outcome::Failed {
                    kind: "busy",
                    message: format!(
                        "no rule sandbox was free within {} ms",
                        self.budget.deadline.as_millis()
                    ),
                },
                log: String::new(),
                fuel_used: 0,
                elapsed: self.budget.deadline,
            },
        };
        if let Outcome::Failed { kind, message } = &ran.outcome {
            tracing::warn!(tenant = %input.tenant, digest = %rule.digest, %kind, "tenant rule stopped: {message}");
        }
        if !ran.log.is_empty() {
            tracing::info!(tenant = %input.tenant, digest = %rule.digest, log = %ran.log, "tenant rule output");
        }
        self.metrics.count(&input.tenant, ran.outcome.label());
        self.last.remember(&input.tenant, &ran);
        ran
    }

    /// `tenant`'s last run on this node, if its rule ran since it was put.
    pub fn last_run(&self, tenant: &str) -> Option<LastRun> {
        self.last.get(tenant)
    }

    /// Compiles (on a blocking thread: cranelift takes milliseconds) and
    /// checks a rule.
    async fn load(&self, tenant: &str, bytes: &[u8]) -> Result<Rule, Rejected> {
        if bytes.len() > MAX_COMPONENT_BYTES {
            return Err(Rejected::TooLarge(bytes.len()));
        }
        let engine = self.engine.clone();
        let owned = bytes.to_vec();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &owned))
            .await
            .map_err(|e| Rejected::Storage(e.to_string()))?
            .map_err(|e| Rejected::Invalid(format!("not a valid component: {e}")))?;
        let rule = Rule::new(&self.engine, &self.linker, &component, digest(bytes))
            .map_err(Rejected::Invalid)?;
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        rule.check_instantiates(&self.engine, self.budget)
            .await
            .map_err(|why| Rejected::Invalid(format!("the rule cannot start: {why}")))?;
        tracing::debug!(%tenant, "rule checked");
        Ok(rule)
    }

    fn insert(&self, tenant: &str, rule: Rule) {
        self.last.forget(tenant);
        self.write().insert(tenant.to_string(), Arc::new(rule));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Rule>>> {
        self.rules.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Rule>>> {
        self.rules.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Tenants name files: letters, digits, '-' and '_', 1 to 64 of them.
fn valid_tenant(tenant: &str) -> bool {
    (1..=64).contains(&tenant.len())
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The tenant a file in the rules dir belongs to (`{tenant}.wasm`).
fn stored_tenant(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let tenant = name.strip_suffix(".wasm")?;
    valid_tenant(tenant).then(|| tenant.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names() {
        assert!(valid_tenant("acme"));
        assert!(valid_tenant("Acme_2-x"));
        assert!(!valid_tenant(""));
        assert!(!valid_tenant("../etc"));
        assert!(!valid_tenant("a.b"));
        assert!(!valid_tenant(&"a".repeat(65)));
    }

    #[tokio::test]
    async fn the_wait_for_a_sandbox_is_bounded_and_counted() {
        let registry = RuleRegistry::open(None).await.unwrap();
        registry
            .put("bulk", crate::builtin::RULE_BULK.to_vec())
            .await
            .unwrap();
        let input = crate::rules::RuleInput {
            sku: "COF-FIL-002".into(),
            qty: 10,
            currency: "USD".into(),
            base_unit_price: 1650,
            unit_price: 1650,
            tenant: "bulk".into(),
            customer: Vec::new(),
        };
        let every_slot = registry
            .slots
            .acquire_many(MAX_CONCURRENT_RUNS)
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let outcome = registry.run(&input).await;
        assert_eq!(outcome.label(), "busy", "{outcome:?}");
        assert!(started.elapsed() < 10 * registry.budget.deadline, "bounded");
        drop(every_slot);
        assert_eq!(registry.run(&input).await.label(), "applied");
        let mut prom = sluice_gateway::Prom::default();
        registry.metrics.render(&mut prom);
        let metrics = prom.finish();
        assert!(metrics.contains(r#"outcome="busy"} 1"#), "{metrics}");
    }

    #[test]
    fn stored_files() {
        assert_eq!(
            stored_tenant(Path::new("/d/acme.wasm")).as_deref(),
            Some("acme")
        );
        assert_eq!(stored_tenant(Path::new("/d/acme.tmp")), None);
        assert_eq!(stored_tenant(Path::new("/d/notes.txt")), None);
    }
}

//! Hot swap: deploying a new version of a service's component, rolling back,
//! on every node that runs the service.
//!
//! A deploy checks the component against the service's world (exports it
//! must have, imports it may have), compiles it on a blocking thread through
//! the compile cache, links it, and applies its schema migrations (new ones
//! only; migrations add, so the running version keeps working), all off the
//! request path; only then does the service's active version change, with
//! one atomic pointer swap. Requests that started before keep the version
//! they took; later ones get the new one. Nothing waits and nothing is
//! dropped.
//!
//! The versions and which one is active are the service's desired state
//! ([`crate::desired`]), kept in its own database, which every node running
//! it shares. A deploy or rollback changes it (compare-and-set), applies it
//! here, then waits (`[deploy] wait_ms`) until every live node of the
//! service — as discovery lists them — reports serving it, and names those
//! that did not. Every node polls the revision (`[deploy] poll_ms`) and
//! converges: it loads the active version's bytes from the database if it
//! has not loaded it yet (compiled through its own cache), swaps, reports.
//! A node starting later, or one that was down, starts on the active
//! version. Version 1 is always the component built into the binary.

use crate::desired::{Desired, DesiredStore, Serving};
use crate::discovery::Discovery;
use crate::engine::{CompileCache, digest};
use crate::manifest::World;
use crate::manifest::world;
use crate::service::{Service, Version};
use crate::state::ComponentState;
use anyhow::{Context as _, Result, anyhow};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};
use tokio::sync::watch;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

/// The largest component a deploy accepts.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

/// Why a deploy or rollback was refused.
#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    /// Not a component for this service's world (422).
    #[error("{0}")]
    Invalid(String),
    /// Nothing to roll back to (409).
    #[error("{0} is at its first version; there is nothing to roll back to")]
    NoEarlier(String),
    /// The host could not keep it (500).
    #[error("{0}")]
    Storage(String),
}

/// `[deploy]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeployConfig {
    /// How often a node checks for a new desired state, milliseconds.
    pub poll_ms: u64,
    /// How long a deploy or rollback waits for every live node, ms.
    pub wait_ms: u64,
}

impl Default for DeployConfig {
    fn default() -> Self {
        DeployConfig {
            poll_ms: 1_000,
            wait_ms: 20_000,
        }
    }
}

/// What a deploy or rollback reached.
pub struct Rollout {
    /// The version now active here.
    pub version: Arc<Version>,
    /// Every live node and the version it serves.
    pub nodes: Vec<Serving>,
    /// Live nodes not yet serving it (they keep converging).
    pub behind: Vec<String>,
}

/// Deploys, rolls back and converges the services of one node.
pub struct Deployer {
    linker: Arc<Linker<ComponentState>>,
    cache: CompileCache,
    discovery: Arc<dyn Discovery>,
    config: DeployConfig,
    /// Per service: where its desired state is and what this node serves.
    local: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<Local>>>>,
}

/// One service on this node. Its lock serialises this node's changes of
/// the service (a deploy here and the poll that converges).
struct Local {
    store: DesiredStore,
    /// The desired revision this node serves (0: nothing deployed yet).
    revision: i64,
    /// This node's advertised address for the service, once it listens.
    node: Option<String>,
}

impl Deployer {
    pub fn new(
        linker: Arc<Linker<ComponentState>>,
        cache: CompileCache,
        discovery: Arc<dyn Discovery>,
        config: DeployConfig,
    ) -> Self {
        Deployer {
            linker,
            cache,
            discovery,
            config,
            local: Mutex::new(BTreeMap::new()),
        }
    }

    /// At start-up: finds `service`'s desired state in its database and
    /// activates the version it names. The active version failing to load
    /// is an error, never a silent return to the built-in one.
    pub async fn attach(&self, service: &Service) -> Result<()> {
        let db = service
            .caps
            .sql
            .db
            .clone()
            .or_else(|| service.caps.shards.shards.first().cloned())
            .ok_or_else(|| anyhow!("{} has no database to keep its versions in", service.name))?;
        let store = DesiredStore::open(db, &service.name).await?;
        let mut local = Local {
            store,
            revision: 0,
            node: None,
        };
        self.converge_locked(service, &mut local).await?;
        self.lock_map().insert(
            service.name.clone(),
            Arc::new(tokio::sync::Mutex::new(local)),
        );
        Ok(())
    }

    /// Once `service` listens: names this node by its advertised address
    /// and reports what it serves.
    pub async fn announce(&self, service: &Service, node: String) -> Result<()> {
        let local = self.local(&service.name)?;
        let mut local = local.lock().await;
        local.node = Some(node);
        report(service, &local).await
    }

    /// Checks, compiles and links `bytes` as the next version of `service`,
    /// makes it the desired active version, activates it here and waits for
    /// the other nodes.
    pub async fn deploy(&self, service: &Service, bytes: Vec<u8>) -> Result<Rollout, SwapError> {
        let prepared = self.prepare(&service.name, bytes.clone()).await?;
        service
            .migrate_to(&prepared)
            .await
            .map_err(|e| SwapError::Invalid(format!("its schema migrations failed: {e:#}")))?;
        let local = self.local(&service.name).map_err(storage)?;
        let mut local = local.lock().await;
        local
            .store
            .put_bytes(&prepared.digest, &bytes)
            .await
            .map_err(storage)?;
        let digest = prepared.digest.clone();
        let (revision, desired) = change(&local.store, |now| Some(now.with_deployed(&digest).0))
            .await?
            .ok_or_else(|| SwapError::Storage("the deploy could not be recorded".into()))?;
        let mut prepared = Some(prepared);
        self.apply(service, &mut local, revision, &desired, &mut prepared)
            .await
            .map_err(storage)?;
        drop(local);
        let version = service.current();
        tracing::info!(service = %service.name, version = version.number, digest = %version.digest, "deployed");
        Ok(self.rollout(service, revision, version).await)
    }

    /// Makes the version before the active one active again, everywhere.
    pub async fn rollback(&self, service: &Service) -> Result<Rollout, SwapError> {
        let local = self.local(&service.name).map_err(storage)?;
        let mut local = local.lock().await;
        let (revision, desired) = change(&local.store, Desired::rolled_back)
            .await?
            .ok_or_else(|| SwapError::NoEarlier(service.name.clone()))?;
        self.apply(service, &mut local, revision, &desired, &mut None)
            .await
            .map_err(storage)?;
        drop(local);
        let version = service.current();
        tracing::info!(service = %service.name, version = version.number, "rolled back");
        Ok(self.rollout(service, revision, version).await)
    }

    /// The desired state of `service` and what each live node serves.
    pub async fn status(&self, service: &Service) -> Result<(Desired, Vec<Serving>)> {
        let local = self.local(&service.name)?;
        let store = local.lock().await.store.clone();
        let desired = store
            .read()
            .await?
            .map_or_else(Desired::builtin, |(_, d)| d);
        Ok((desired, self.live(&service.name, &store).await?))
    }

    /// Polls every service's desired state and converges to it until
    /// `stopped` turns true.
    pub async fn run_until_stopped(
        self: Arc<Self>,
        services: Vec<Arc<Service>>,
        stopped: watch::Receiver<bool>,
    ) -> Result<()> {
        let period = Duration::from_millis(self.config.poll_ms);
        crate::periodic::every(period, stopped, || async {
            for service in &services {
                let Ok(local) = self.local(&service.name) else {
                    continue;
                };
                let mut local = local.lock().await;
                if let Err(error) = self.converge_locked(service, &mut local).await {
                    tracing::warn!(service = %service.name, error = format!("{error:#}"), "converging failed");
                }
            }
        })
        .await
    }

    /// Applies the desired state if it is newer than what this node serves.
    async fn converge_locked(&self, service: &Service, local: &mut Local) -> Result<()> {
        let Some((revision, desired)) = local.store.read().await? else {
            return Ok(());
        };
        if revision > local.revision {
            self.apply(service, local, revision, &desired, &mut None)
                .await?;
            tracing::info!(service = %service.name, version = desired.active, revision, "converged");
        }
        Ok(())
    }

    /// Activates `desired` here: loads its active version if this node has
    /// not yet (`prepared` when the deploy made it here), then reports.
    async fn apply(
        &self,
        service: &Service,
        local: &mut Local,
        revision: i64,
        desired: &Desired,
        prepared: &mut Option<Version>,
    ) -> Result<()> {
        let loaded = |n: u32| service.versions().iter().any(|v| v.number == n);
        if !loaded(desired.active) {
            let digest = desired.digest_of(desired.active).ok_or_else(|| {
                anyhow!(
                    "version {} of {} is not recorded",
                    desired.active,
                    service.name
                )
            })?;
            let mut version = match prepared.take() {
                Some(version) if version.digest == digest => version,
                _ => {
                    let bytes = local.store.bytes(digest).await?;
                    self.prepare(&service.name, bytes).await.with_context(|| {
                        format!("loading version {} of {}", desired.active, service.name)
                    })?
                }
            };
            version.number = desired.active;
            if let Some(entry) = desired.versions.iter().find(|v| v.number == desired.active) {
                version.loaded_at = UNIX_EPOCH + Duration::from_secs(entry.loaded_at);
            }
            service.restore(version);
        }
        if !service.resume(&desired.history) {
            anyhow::bail!(
                "version {} of {} is not loaded",
                desired.active,
                service.name
            );
        }
        local.revision = revision;
        report(service, local).await
    }

    /// Waits until every live node serves `revision` (or the wait is over).
    async fn rollout(&self, service: &Service, revision: i64, version: Arc<Version>) -> Rollout {
        let deadline = Instant::now() + Duration::from_millis(self.config.wait_ms);
        loop {
            let store = match self.local(&service.name) {
                Ok(local) => local.lock().await.store.clone(),
                Err(_) => break,
            };
            let nodes = self.live(&service.name, &store).await.unwrap_or_default();
            let behind: Vec<String> = nodes
                .iter()
                .filter(|n| n.revision < revision)
                .map(|n| n.node.clone())
                .collect();
            if behind.is_empty() || Instant::now() >= deadline {
                return Rollout {
                    version,
                    nodes,
                    behind,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Rollout {
            version,
            nodes: Vec::new(),
            behind: Vec::new(),
        }
    }

    /// Every live node of `service` (from discovery) with what it reported;
    /// a live node that never reported shows revision 0, version 0.
    async fn live(&self, service: &str, store: &DesiredStore) -> Result<Vec<Serving>> {
        let reported = store.serving().await?;
        let live = self.discovery.instances(service).await.unwrap_or_default();
        Ok(live
            .iter()
            .map(|addr| {
                let node = addr.to_string();
                reported
                    .iter()
                    .find(|s| s.node == node)
                    .cloned()
                    .unwrap_or(Serving {
                        node,
                        revision: 0,
                        version: 0,
                    })
            })
            .collect())
    }

    fn local(&self, service: &str) -> Result<Arc<tokio::sync::Mutex<Local>>> {
        self.lock_map()
            .get(service)
            .cloned()
            .ok_or_else(|| anyhow!("{service} does not run on this node"))
    }

    fn lock_map(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<tokio::sync::Mutex<Local>>>> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks and compiles a component for `service` on a blocking thread.
    async fn prepare(&self, service: &str, bytes: Vec<u8>) -> Result<Version, SwapError> {
        if bytes.len() > MAX_COMPONENT_BYTES {
            return Err(SwapError::Invalid(format!(
                "the component is {} bytes, over the {MAX_COMPONENT_BYTES}-byte limit",
                bytes.len()
            )));
        }
        let world = world(service)
            .ok_or_else(|| SwapError::Invalid(format!("there is no service named {service}")))?;
        let (linker, cache) = (self.linker.clone(), self.cache.clone());
        tokio::task::spawn_blocking(move || {
            let engine = linker.engine();
            let digest = digest(&bytes);
            let component = cache
                .load_as(engine, &bytes, &digest)
                .map_err(|e| SwapError::Invalid(format!("not a valid component: {e:#}")))?;
            check_world(engine, &component, world)?;
            Version::link(&linker, &component, digest, 0)
                .map_err(|e| SwapError::Invalid(format!("{e:#}")))
        })
        .await
        .map_err(|e| SwapError::Storage(e.to_string()))?
    }
}

/// Changes the desired state with `next` (`None`: no change possible),
/// retrying on top of whatever another node wrote first.
async fn change(
    store: &DesiredStore,
    next: impl Fn(&Desired) -> Option<Desired>,
) -> Result<Option<(i64, Desired)>, SwapError> {
    for _ in 0..10 {
        let seen = store.read().await.map_err(storage)?;
        let now = seen
            .as_ref()
            .map_or_else(Desired::builtin, |(_, d)| d.clone());
        let Some(desired) = next(&now) else {
            return Ok(None);
        };
        if let Some(revision) = store
            .write(seen.map(|(r, _)| r), &desired)
            .await
            .map_err(storage)?
        {
            return Ok(Some((revision, desired)));
        }
    }
    Err(SwapError::Storage(
        "the desired state kept changing under this change; try again".into(),
    ))
}

/// Records what this node serves, once it has a name.
async fn report(service: &Service, local: &Local) -> Result<()> {
    if let Some(node) = &local.node {
        local
            .store
            .report(node, local.revision, service.current().number)
            .await?;
    }
    Ok(())
}

fn storage(e: impl std::fmt::Display) -> SwapError {
    SwapError::Storage(format!("{e:#}"))
}

/// Whether `component` fits `world`: it exports everything the world
/// exports, and imports nothing of sluice's that the world does not grant.
/// (WASI interfaces are linked for every component with nothing granted.)
pub fn check_world(engine: &Engine, component: &Component, world: &World) -> Result<(), SwapError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    for required in world.exports {
        if !exports.iter().any(|e| e == required) {
            return Err(SwapError::Invalid(format!(
                "the {} world exports {required}, and this component does not",
                world.name
            )));
        }
    }
    for (name, _) in ty.imports(engine) {
        if !name.starts_with("wasi:") && !world.imports.contains(&name) {
            return Err(SwapError::Invalid(format!(
                "the component imports {name}, which the {} world does not grant",
                world.name
            )));
        }
    }
    Ok(())
}

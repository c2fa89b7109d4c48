//! A service: its capabilities and the component version that serves it.
//! Requests take the active version when they start; swapping the version
//! changes only what later requests get.

use crate::bindings::{accounts, schema};
use crate::capabilities::ServiceCapabilities;
use crate::capabilities::sql::{Dialect, Migration, apply_migrations};
use crate::engine::{CompileCache, digest};
use crate::state::ComponentState;
use anyhow::{Context as _, Result, anyhow};
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;
use wasmtime::component::{Component, Instance, InstancePre, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::handler::ProxyPre;

/// One loaded, linked version of a service's component.
pub struct Version {
    /// 1 for the first version a host loads, then increasing.
    pub number: u32,
    /// SHA-256 of the component bytes, hex.
    pub digest: String,
    /// When this version was loaded.
    pub loaded_at: SystemTime,
    pub pre: InstancePre<ComponentState>,
    /// The HTTP entry point: WASIp3 `handler` or WASIp2 `incoming-handler`.
    pub proxy: ProxyPre<ComponentState>,
}

impl Version {
    /// Compiles (or loads from the cache) and links a component.
    pub fn prepare(
        linker: &Linker<ComponentState>,
        cache: &CompileCache,
        bytes: &[u8],
        number: u32,
    ) -> Result<Version> {
        let digest = digest(bytes);
        let component = cache
            .load_as(linker.engine(), bytes, &digest)
            .context("compiling the component")?;
        Version::link(linker, &component, digest, number)
    }

    /// Links a compiled component whose bytes have the SHA-256 `digest`.
    pub fn link(
        linker: &Linker<ComponentState>,
        component: &Component,
        digest: String,
        number: u32,
    ) -> Result<Version> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .context("linking the component's imports")?;
        let proxy = match wasmtime_wasi_http::p3::bindings::ServicePre::new(pre.clone()) {
            Ok(p3) => ProxyPre::P3(p3),
            Err(_) => ProxyPre::P2(
                wasmtime_wasi_http::p2::bindings::ProxyPre::new(pre.clone())
                    .map_err(anyhow::Error::from)
                    .context("the component exports no wasi:http handler (p3 or p2)")?,
            ),
        };
        Ok(Version {
            number,
            digest,
            loaded_at: SystemTime::now(),
            pre,
            proxy,
        })
    }
}

/// A running service.
pub struct Service {
    pub name: String,
    pub caps: Arc<ServiceCapabilities>,
    engine: Engine,
    /// What new requests get: one atomic load per request, no lock.
    active: ArcSwap<Version>,
    /// Every loaded version and the order they were made active in.
    versions: Mutex<Versions>,
    /// Stores made so far, one per instance (`sluice_instances_total`).
    instances: AtomicU64,
}

#[derive(Default)]
struct Versions {
    /// By number, oldest first.
    all: Vec<Arc<Version>>,
    /// Version numbers in the order they were activated; the last is the
    /// active one. A rollback pops it.
    history: Vec<u32>,
}

impl Service {
    /// The engine this service's instances are made in (one per process).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn new(engine: &Engine, caps: ServiceCapabilities, version: Version) -> Service {
        let version = Arc::new(version);
        Service {
            name: caps.service.clone(),
            caps: Arc::new(caps),
            engine: engine.clone(),
            active: ArcSwap::new(version.clone()),
            versions: Mutex::new(Versions {
                history: vec![version.number],
                all: vec![version],
            }),
            instances: AtomicU64::new(0),
        }
    }

    /// The version new requests get.
    pub fn current(&self) -> Arc<Version> {
        self.active.load_full()
    }

    /// Every loaded version, oldest first.
    pub fn versions(&self) -> Vec<Arc<Version>> {
        self.lock().all.clone()
    }

    /// Numbers `version` as the newest and makes it active. Requests
    /// already running keep the version they started with.
    pub fn install(&self, mut version: Version) -> Arc<Version> {
        let mut versions = self.lock();
        version.number = versions.all.last().map_or(1, |v| v.number + 1);
        let version = Arc::new(version);
        versions.all.push(version.clone());
        versions.history.push(version.number);
        self.active.store(version.clone());
        version
    }

    /// Makes the version active before the current one active again, if
    /// there was one.
    pub fn roll_back(&self) -> Option<Arc<Version>> {
        let mut versions = self.lock();
        if versions.history.len() < 2 {
            return None;
        }
        versions.history.pop();
        let number = *versions.history.last()?;
        let version = versions.all.iter().find(|v| v.number == number)?.clone();
        self.active.store(version.clone());
        Some(version)
    }

    /// Adds a version loaded back from disk, keeping its number, without
    /// activating it.
    pub fn restore(&self, version: Version) {
        let mut versions = self.lock();
        versions.all.push(Arc::new(version));
        versions.all.sort_by_key(|v| v.number);
    }

    /// Version numbers in the order they were activated, the active last.
    pub fn history(&self) -> Vec<u32> {
        self.lock().history.clone()
    }

    /// At start-up: takes up the activation history saved before and
    /// activates its last version. Versions no longer loaded are dropped
    /// from it; false if the last one is not loaded.
    pub fn resume(&self, history: &[u32]) -> bool {
        let mut versions = self.lock();
        let loaded = |n: &u32| versions.all.iter().find(|v| v.number == *n).cloned();
        let Some(active) = history.last().and_then(loaded) else {
            return false;
        };
        let history: Vec<u32> = history
            .iter()
            .copied()
            .filter(|n| loaded(n).is_some())
            .collect();
        versions.history = history;
        self.active.store(active);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Versions> {
        self.versions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh store for one instance of this service.
    pub fn new_store(&self) -> Store<ComponentState> {
        self.instances.fetch_add(1, Ordering::Relaxed);
        ComponentState::new_store(&self.engine, self.caps.clone())
    }

    /// How many instances of this service were made since it started: per
    /// request, per linked-call session, per housekeeping round, and at
    /// start-up (migrations, the admin account).
    pub fn instances_made(&self) -> u64 {
        self.instances.load(Ordering::Relaxed)
    }

    /// A fresh instance of the active version, in its own store: for calling
    /// the component's typed exports (`GuestIndices::new(&version.pre)`).
    pub async fn instantiate(&self) -> Result<(Arc<Version>, Store<ComponentState>, Instance)> {
        let version = self.current();
        let mut store = self.new_store();
        let instance = version.pre.instantiate_async(&mut store).await?;
        Ok((version, store, instance))
    }

    /// Applies the active version's schema migrations to the service's
    /// database and to each of its shards, each in its own dialect, if it
    /// has both a database and migrations. Idempotent.
    pub async fn migrate(&self) -> Result<()> {
        self.migrate_to(&self.current()).await
    }

    /// As [`migrate`](Self::migrate), with `version`'s migrations: a deploy
    /// applies the new version's before any request reaches it.
    pub async fn migrate_to(&self, version: &Version) -> Result<()> {
        let databases = self.caps.sql.db.iter().chain(&self.caps.shards.shards);
        for (n, db) in databases.enumerate() {
            let migrations = self.migrations(version, db.dialect()).await?;
            let applied = apply_migrations(db.as_ref(), &migrations)
                .await
                .with_context(|| format!("migrating database {n} of {}", self.name))?;
            if !applied.is_empty() {
                tracing::info!(service = %self.name, database = n, ?applied, "applied migrations");
            }
        }
        Ok(())
    }

    /// The migrations `version` exports for `dialect` (none if it exports
    /// no `schema`).
    async fn migrations(&self, version: &Version, dialect: Dialect) -> Result<Vec<Migration>> {
        let Ok(indices) = schema::GuestIndices::new(&version.pre) else {
            return Ok(Vec::new());
        };
        let mut store = self.new_store();
        let instance = version.pre.instantiate_async(&mut store).await?;
        let guest = indices.load(&mut store, &instance)?;
        Ok(guest
            .call_migrations(&mut store, dialect.into())
            .await?
            .into_iter()
            .map(|m| Migration {
                version: m.version,
                name: m.name,
                statements: m.statements,
            })
            .collect())
    }

    /// Asks the account component to create (or keep) the operator's admin.
    pub async fn ensure_admin(&self, email: &str, password: &str) -> Result<String> {
        let version = self.current();
        let indices = accounts::GuestIndices::new(&version.pre)
            .map_err(anyhow::Error::from)
            .context("this component does not export sluice:platform/accounts")?;
        let mut store = self.new_store();
        let instance = version.pre.instantiate_async(&mut store).await?;
        let guest = indices.load(&mut store, &instance)?;
        let (email, password) = (email.to_string(), password.to_string());
        let result = store
            .run_concurrent(async move |accessor| {
                guest.call_ensure_admin(accessor, email, password).await
            })
            .await??;
        result.map_err(|e| match e {
            accounts::Error::Invalid(m) => anyhow!("the admin account is invalid: {m}"),
            accounts::Error::Storage(m) => anyhow!("storing the admin account failed: {m}"),
        })
    }
}

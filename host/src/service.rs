//! A service: its capabilities and the component version that serves it.
//! Requests take the active version when they start; swapping the version
//! changes only what later requests get.

use crate::bindings::{accounts, schema};
use crate::capabilities::ServiceCapabilities;
use crate::capabilities::sql::{Migration, apply_migrations};
use crate::engine::{CompileCache, digest};
use crate::state::ComponentState;
use anyhow::{Context as _, Result, anyhow};
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::time::SystemTime;
use wasmtime::component::{Instance, InstancePre, Linker};
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
        let engine = linker.engine();
        let component = cache
            .load(engine, bytes)
            .context("compiling the component")?;
        let pre = linker
            .instantiate_pre(&component)
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
            digest: digest(bytes),
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
    active: ArcSwap<Version>,
}

impl Service {
    pub fn new(engine: &Engine, caps: ServiceCapabilities, version: Version) -> Service {
        Service {
            name: caps.service.clone(),
            caps: Arc::new(caps),
            engine: engine.clone(),
            active: ArcSwap::from_pointee(version),
        }
    }

    /// The version new requests get.
    pub fn current(&self) -> Arc<Version> {
        self.active.load_full()
    }

    /// A fresh store for one instance of this service.
    pub fn new_store(&self) -> Store<ComponentState> {
        ComponentState::new_store(&self.engine, self.caps.clone())
    }

    /// A fresh instance of the active version, in its own store: for calling
    /// the component's typed exports (`GuestIndices::new(&version.pre)`).
    pub async fn instantiate(&self) -> Result<(Arc<Version>, Store<ComponentState>, Instance)> {
        let version = self.current();
        let mut store = self.new_store();
        let instance = version.pre.instantiate_async(&mut store).await?;
        Ok((version, store, instance))
    }

    /// Applies the component's schema migrations to its database, if it has
    /// both. Idempotent.
    pub async fn migrate(&self) -> Result<()> {
        let Some(db) = self.caps.sql.db.clone() else {
            return Ok(());
        };
        let version = self.current();
        let Ok(indices) = schema::GuestIndices::new(&version.pre) else {
            return Ok(());
        };
        let mut store = self.new_store();
        let instance = version.pre.instantiate_async(&mut store).await?;
        let guest = indices.load(&mut store, &instance)?;
        let dialect = crate::bindings::sql::Dialect::from(db.dialect());
        let migrations: Vec<Migration> = guest
            .call_migrations(&mut store, dialect)
            .await?
            .into_iter()
            .map(|m| Migration {
                version: m.version,
                name: m.name,
                statements: m.statements,
            })
            .collect();
        let applied = apply_migrations(db.as_ref(), &migrations)
            .await
            .with_context(|| format!("migrating the {} database", self.name))?;
        if !applied.is_empty() {
            tracing::info!(service = %self.name, ?applied, "applied migrations");
        }
        Ok(())
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

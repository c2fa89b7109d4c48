//! Hot swap: deploying a new version of a service's component, rolling back,
//! and keeping the versions on disk so a restart serves what was active.
//!
//! A deploy checks the component against the service's world (exports it
//! must have, imports it may have), compiles it on a blocking thread through
//! the compile cache, links it, and applies its schema migrations (new ones
//! only; migrations add, so the running version keeps working), all off the
//! request path; only then does the service's active version change, with
//! one atomic pointer swap.
//! Requests that started before keep the version they took; later ones get
//! the new one. Nothing waits and nothing is dropped.
//!
//! On disk, under `data_dir/components/{service}/`: each uploaded version's
//! bytes (`{digest}.wasm`) and `versions.json` (numbers, digests, load
//! times, which is active). Version 1 is always the component built into the
//! binary.

use crate::components::World;
use crate::engine::{CompileCache, digest};
use crate::files::write_atomically;
use crate::manifest::world;
use crate::service::{Service, Version};
use crate::state::ComponentState;
use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
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

/// Deploys and rolls back the services of one node.
pub struct Deployer {
    linker: Arc<Linker<ComponentState>>,
    cache: CompileCache,
    dir: PathBuf,
}

/// `versions.json`: the uploaded versions of one service.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    active: u32,
    /// Version numbers in the order they were activated (what rollback
    /// walks back through), the active one last.
    #[serde(default)]
    history: Vec<u32>,
    versions: Vec<SavedVersion>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedVersion {
    number: u32,
    digest: String,
    /// Seconds since the Unix epoch.
    loaded_at: u64,
}

impl Deployer {
    /// A deployer keeping versions under `data_dir/components`.
    pub fn new(linker: Arc<Linker<ComponentState>>, cache: CompileCache, data_dir: &Path) -> Self {
        Deployer {
            linker,
            cache,
            dir: data_dir.join("components"),
        }
    }

    /// Checks, compiles and links `bytes` as the next version of `service`,
    /// keeps it on disk and makes it the active one.
    pub async fn deploy(
        &self,
        service: &Service,
        bytes: Vec<u8>,
    ) -> Result<Arc<Version>, SwapError> {
        let version = self.prepare(&service.name, bytes.clone()).await?;
        service
            .migrate_to(&version)
            .await
            .map_err(|e| SwapError::Invalid(format!("its schema migrations failed: {e:#}")))?;
        let dir = self.dir.join(&service.name);
        let path = dir.join(format!("{}.wasm", version.digest));
        write_atomically(&path, &bytes).map_err(|e| SwapError::Storage(format!("{e:#}")))?;
        let version = service.install(version);
        self.save(service)?;
        tracing::info!(service = %service.name, version = version.number, digest = %version.digest, "deployed");
        Ok(version)
    }

    /// Makes the version before the active one active again.
    pub fn rollback(&self, service: &Service) -> Result<Arc<Version>, SwapError> {
        let version = service
            .roll_back()
            .ok_or_else(|| SwapError::NoEarlier(service.name.clone()))?;
        self.save(service)?;
        tracing::info!(service = %service.name, version = version.number, "rolled back");
        Ok(version)
    }

    /// At start-up: loads the versions uploaded before (the built-in one is
    /// already version 1) and activates the one that was active, with the
    /// rollback history it had. The active
    /// version failing to load is an error, never a silent return to the
    /// built-in one.
    pub async fn restore(&self, service: &Service) -> Result<()> {
        let path = self.dir.join(&service.name).join("versions.json");
        let saved: Saved = match std::fs::read(&path) {
            Ok(json) => serde_json::from_slice(&json)
                .with_context(|| format!("reading {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        for entry in &saved.versions {
            let file = self
                .dir
                .join(&service.name)
                .join(format!("{}.wasm", entry.digest));
            let loaded = match std::fs::read(&file) {
                Ok(bytes) => self
                    .prepare(&service.name, bytes)
                    .await
                    .map_err(anyhow::Error::from),
                Err(e) => Err(anyhow::Error::from(e)),
            };
            match loaded {
                Ok(mut version) => {
                    version.number = entry.number;
                    version.loaded_at = UNIX_EPOCH + Duration::from_secs(entry.loaded_at);
                    service.restore(version);
                }
                Err(e) if entry.number == saved.active => {
                    return Err(e.context(format!(
                        "the active version {} of {} ({}) cannot be loaded",
                        entry.number,
                        service.name,
                        file.display()
                    )));
                }
                Err(e) => {
                    tracing::warn!(service = %service.name, version = entry.number, "an old version is left out: {e:#}")
                }
            }
        }
        let history = match saved.history.last() {
            Some(&last) if last == saved.active => saved.history.clone(),
            _ => vec![1, saved.active],
        };
        if !service.resume(&history) {
            anyhow::bail!(
                "{}: the active version {} is not among the saved ones",
                path.display(),
                saved.active
            );
        }
        tracing::info!(service = %service.name, version = saved.active, "restored the active version");
        Ok(())
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

    fn save(&self, service: &Service) -> Result<(), SwapError> {
        let versions = service.versions();
        let saved = Saved {
            active: service.current().number,
            history: service.history(),
            versions: versions
                .iter()
                .filter(|v| v.number > 1)
                .map(|v| SavedVersion {
                    number: v.number,
                    digest: v.digest.clone(),
                    loaded_at: v
                        .loaded_at
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs(),
                })
                .collect(),
        };
        let path = self.dir.join(&service.name).join("versions.json");
        let json = serde_json::to_vec_pretty(&saved).expect("versions serialize");
        write_atomically(&path, &json).map_err(|e| SwapError::Storage(format!("{e:#}")))
    }
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

/// `at` as RFC 3339 UTC, to the second.
pub fn rfc3339(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let at = UNIX_EPOCH + Duration::from_secs(1_795_996_800 + 3_723);
        assert_eq!(rfc3339(at), "2026-11-30T01:02:03Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}

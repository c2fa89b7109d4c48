//! Housekeeping: work a service does without a request (wit/housekeeping.wit).
//! Each node calls the `housekeeping.run` export of every service it runs,
//! in a fresh instance of the active version, once per interval, one round
//! at a time. Catalog gives back the units of expired stock holds there;
//! order settles orders whose request died half-way. A version that does
//! not export `housekeeping` (an older deploy) is skipped, not failed.

use crate::bindings::housekeeping;
use crate::service::Service;
use anyhow::Result;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// `[housekeeping]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HousekeepingConfig {
    /// Pause between two rounds of a service, milliseconds.
    pub interval_ms: u64,
}

impl Default for HousekeepingConfig {
    fn default() -> Self {
        HousekeepingConfig { interval_ms: 1_000 }
    }
}

/// Runs rounds of `service`'s housekeeping until `stopped` turns true.
/// A failed round is logged and the next one runs at the next tick.
pub async fn run_until_stopped(
    service: Arc<Service>,
    config: HousekeepingConfig,
    stopped: watch::Receiver<bool>,
) -> Result<()> {
    let period = Duration::from_millis(config.interval_ms);
    crate::periodic::every(period, stopped, || async {
        match round(&service).await {
            Ok(Some(0)) | Ok(None) => {}
            Ok(Some(settled)) => {
                tracing::info!(service = %service.name, settled, "housekeeping round")
            }
            Err(error) => tracing::warn!(
                service = %service.name,
                error = format!("{error:#}"),
                "housekeeping round failed"
            ),
        }
    })
    .await
}

/// One round: how many records it settled, or `None` if the active version
/// exports no `housekeeping`.
pub async fn round(service: &Service) -> Result<Option<u32>> {
    let version = service.current();
    let Ok(indices) = housekeeping::GuestIndices::new(&version.pre) else {
        return Ok(None);
    };
    let mut store = service.new_store();
    let instance = version.pre.instantiate_async(&mut store).await?;
    let guest = indices.load(&mut store, &instance)?;
    let settled = store
        .run_concurrent(async move |accessor| guest.call_run(accessor).await)
        .await??;
    settled.map(Some).map_err(|why| anyhow::anyhow!(why))
}

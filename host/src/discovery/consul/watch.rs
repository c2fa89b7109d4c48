//! The cache of healthy instances per service and the blocking-query loop
//! that keeps one service's entry fresh. The loop follows Consul's rules
//! for blocking queries: carry `X-Consul-Index` into the next `index`,
//! reset it when it goes backwards, never block on index 0, and back off
//! after errors. After an error the next query does not block (index 0),
//! so a restarted agent, whose index starts over, is read at once rather
//! than after a whole `wait`. A failure never empties the cache: during an
//! outage the last known instances stay in use.

use super::api::ConsulApi;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Shortest time between two queries, whatever Consul answers.
const MIN_INTERVAL: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
pub(super) struct Cache {
    services: RwLock<HashMap<String, Vec<SocketAddr>>>,
}

impl Cache {
    pub(super) fn get(&self, service: &str) -> Option<Vec<SocketAddr>> {
        let services = self.services.read().unwrap_or_else(|e| e.into_inner());
        services.get(service).cloned()
    }

    pub(super) fn set(&self, service: &str, instances: Vec<SocketAddr>) {
        let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
        services.insert(service.to_owned(), instances);
    }
}

/// The index to send next, given the one sent and the one returned.
pub(super) fn next_index(sent: u64, returned: u64) -> u64 {
    if returned < sent { 0 } else { returned.max(1) }
}

/// Keeps `cache`'s entry for `service` fresh, from `index` on, forever.
pub(super) async fn watch(
    api: Arc<ConsulApi>,
    cache: Arc<Cache>,
    service: String,
    mut index: u64,
    wait: Duration,
) {
    let mut backoff = MIN_BACKOFF;
    let mut failing = false;
    loop {
        let started = tokio::time::Instant::now();
        match api.healthy(&service, Some((index, wait))).await {
            Ok(healthy) => {
                if failing {
                    tracing::info!(%service, "consul reachable again");
                    failing = false;
                }
                cache.set(&service, healthy.instances);
                index = next_index(index, healthy.index);
                backoff = MIN_BACKOFF;
                tokio::time::sleep_until(started + MIN_INTERVAL).await;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%service, %error, "consul unreachable; keeping the last known instances");
                    failing = true;
                }
                index = 0;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_rules() {
        assert_eq!(next_index(0, 0), 1, "never block on 0");
        assert_eq!(next_index(5, 7), 7);
        assert_eq!(next_index(5, 5), 5);
        assert_eq!(next_index(9, 3), 0, "went backwards: start over");
    }
}

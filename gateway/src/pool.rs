//! The instances of each routed service as the gateway tracks them: where
//! they are (asked of the [`Resolver`] per request), their breakers, and
//! their requests in flight. [`Pools::pick`] hands out a [`Lease`] on one
//! instance; the lease reports the outcome to the breaker and counts as
//! outstanding until dropped.

use crate::balancer;
use crate::breaker::{Breaker, State};
use crate::config::{BalancerKind, BreakerConfig};
use crate::errors::GatewayError;
use crate::metrics::Prom;
use crate::resolver::Resolver;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

pub struct Pools {
    pools: HashMap<String, Pool>,
    kind: BalancerKind,
    breaker: Arc<BreakerConfig>,
}

#[derive(Default)]
struct Pool {
    turn: AtomicUsize,
    instances: RwLock<HashMap<SocketAddr, Arc<Instance>>>,
}

struct Instance {
    addr: SocketAddr,
    breaker: Mutex<Breaker>,
    outstanding: AtomicUsize,
}

/// The right to send one request to one instance.
pub struct Lease {
    instance: Arc<Instance>,
    breaker: Arc<BreakerConfig>,
    reported: bool,
}

impl Pools {
    pub fn new<'a>(
        services: impl IntoIterator<Item = &'a str>,
        kind: BalancerKind,
        breaker: &BreakerConfig,
    ) -> Self {
        let pools = services
            .into_iter()
            .map(|service| (service.to_owned(), Pool::default()))
            .collect();
        Pools {
            pools,
            kind,
            breaker: Arc::new(breaker.clone()),
        }
    }

    /// An instance of `service` whose breaker admits a request, preferring
    /// instances not in `tried`. `NoHealthyInstance` when the resolver knows
    /// none or every one is ejected.
    pub fn pick(
        &self,
        service: &str,
        resolver: &dyn Resolver,
        tried: &[SocketAddr],
    ) -> Result<Lease, GatewayError> {
        let none = || GatewayError::NoHealthyInstance {
            service: service.to_owned(),
        };
        let pool = self.pools.get(service).ok_or_else(none)?;
        let addrs = resolver.instances(service);
        if addrs.is_empty() {
            return Err(none());
        }
        let instances = pool.instances_for(&addrs);
        let fresh: Vec<&Arc<Instance>> = instances
            .iter()
            .filter(|instance| !tried.contains(&instance.addr))
            .collect();
        let candidates = if fresh.is_empty() {
            instances.iter().collect()
        } else {
            fresh
        };
        let turn = pool.turn.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let order = balancer::order(self.kind, candidates.len(), turn, |i| {
            candidates[i].outstanding.load(Ordering::Relaxed)
        });
        let chosen = order
            .into_iter()
            .map(|i| candidates[i])
            .find(|instance| lock(&instance.breaker).try_acquire(now))
            .ok_or_else(none)?;
        chosen.outstanding.fetch_add(1, Ordering::AcqRel);
        Ok(Lease {
            instance: Arc::clone(chosen),
            breaker: Arc::clone(&self.breaker),
            reported: false,
        })
    }

    /// The breaker state ("closed", "open", "half-open") and requests in
    /// flight of each instance of `service` the gateway has sent to.
    pub(crate) fn states(&self, service: &str) -> HashMap<SocketAddr, (&'static str, usize)> {
        let Some(pool) = self.pools.get(service) else {
            return HashMap::new();
        };
        let instances = pool.instances.read().unwrap_or_else(|e| e.into_inner());
        instances
            .values()
            .map(|instance| {
                let state = match lock(&instance.breaker).state() {
                    State::Closed => "closed",
                    State::Open(_) => "open",
                    State::HalfOpen { .. } => "half-open",
                };
                let in_flight = instance.outstanding.load(Ordering::Relaxed);
                (instance.addr, (state, in_flight))
            })
            .collect()
    }

    pub(crate) fn render(&self, prom: &mut Prom) {
        let mut rows = Vec::new();
        let mut services: Vec<_> = self.pools.iter().collect();
        services.sort_by_key(|(name, _)| name.as_str());
        for (service, pool) in services {
            let instances = pool.instances.read().unwrap_or_else(|e| e.into_inner());
            let mut instances: Vec<_> = instances.values().cloned().collect();
            instances.sort_by_key(|instance| instance.addr);
            for instance in instances {
                let breaker = lock(&instance.breaker);
                let state: u64 = match breaker.state() {
                    State::Closed => 0,
                    State::Open(_) => 1,
                    State::HalfOpen { .. } => 2,
                };
                let outstanding = instance.outstanding.load(Ordering::Relaxed);
                let row = (service.clone(), instance.addr.to_string());
                rows.push((row, state, breaker.total_ejections(), outstanding));
            }
        }
        let families = [
            (
                "sluice_gateway_breaker_state",
                "gauge",
                "Breaker per instance: 0 closed, 1 open (ejected), 2 half-open.",
            ),
            (
                "sluice_gateway_ejections_total",
                "counter",
                "Times an instance was ejected by its breaker.",
            ),
            (
                "sluice_gateway_upstream_in_flight",
                "gauge",
                "Requests in flight per instance.",
            ),
        ];
        for (column, (name, kind, help)) in families.into_iter().enumerate() {
            prom.header(name, kind, help);
            for ((service, addr), state, ejections, outstanding) in &rows {
                let labels = [("service", service.as_str()), ("instance", addr.as_str())];
                let value = [*state, *ejections, *outstanding as u64][column];
                prom.sample(name, &labels, value);
            }
        }
    }
}

impl Pool {
    /// The tracked instances at `addrs`, tracking new ones and forgetting
    /// those the resolver no longer reports once they pile up.
    fn instances_for(&self, addrs: &[SocketAddr]) -> Vec<Arc<Instance>> {
        {
            let known = self.instances.read().unwrap_or_else(|e| e.into_inner());
            let found: Vec<_> = addrs
                .iter()
                .filter_map(|addr| known.get(addr))
                .cloned()
                .collect();
            if found.len() == addrs.len() {
                return found;
            }
        }
        let mut known = self.instances.write().unwrap_or_else(|e| e.into_inner());
        if known.len() > 2 * addrs.len() + 8 {
            known.retain(|addr, _| addrs.contains(addr));
        }
        addrs
            .iter()
            .map(|addr| {
                Arc::clone(known.entry(*addr).or_insert_with(|| {
                    Arc::new(Instance {
                        addr: *addr,
                        breaker: Mutex::default(),
                        outstanding: AtomicUsize::new(0),
                    })
                }))
            })
            .collect()
    }
}

impl Lease {
    pub fn addr(&self) -> SocketAddr {
        self.instance.addr
    }

    /// The attempt's outcome, for the breaker: `false` for a connection
    /// failure, a timeout or a 502/503/504.
    pub fn report(&mut self, healthy: bool) {
        let mut breaker = lock(&self.instance.breaker);
        if healthy {
            breaker.on_success();
        } else {
            breaker.on_failure(Instant::now(), &self.breaker);
        }
        self.reported = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.instance.outstanding.fetch_sub(1, Ordering::AcqRel);
        if !self.reported {
            lock(&self.instance.breaker).on_abandoned();
        }
    }
}

fn lock(breaker: &Mutex<Breaker>) -> std::sync::MutexGuard<'_, Breaker> {
    breaker.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolver::StaticResolver;
    use std::time::Duration;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn pools(kind: BalancerKind) -> Pools {
        let breaker = BreakerConfig {
            consecutive_failures: 2,
            cool_down: Duration::from_secs(60),
            max_cool_down: Duration::from_secs(60),
        };
        Pools::new(["x", "y"], kind, &breaker)
    }

    fn resolver() -> StaticResolver {
        StaticResolver::new()
            .with("x", vec![addr(1), addr(2)])
            .with("y", vec![addr(1), addr(2)])
    }

    #[test]
    fn rotates_per_service() {
        let (pools, resolver) = (pools(BalancerKind::RoundRobin), resolver());
        let picks: Vec<_> = (0..4)
            .map(|_| pools.pick("x", &resolver, &[]).unwrap().addr())
            .collect();
        assert_eq!(picks, [addr(1), addr(2), addr(1), addr(2)]);
        assert_eq!(pools.pick("y", &resolver, &[]).unwrap().addr(), addr(1));
        let unknown = pools.pick("z", &resolver, &[]).err().unwrap();
        assert_eq!(unknown.code(), "no_healthy_instance");
    }

    #[test]
    fn skips_ejected_instances_and_fails_when_all_are() {
        let (pools, resolver) = (pools(BalancerKind::RoundRobin), resolver());
        for _ in 0..2 {
            let mut lease = pools.pick("x", &resolver, &[addr(2)]).unwrap();
            assert_eq!(lease.addr(), addr(1));
            lease.report(false);
        }
        for _ in 0..3 {
            assert_eq!(pools.pick("x", &resolver, &[]).unwrap().addr(), addr(2));
        }
        for _ in 0..2 {
            pools.pick("x", &resolver, &[]).unwrap().report(false);
        }
        assert!(pools.pick("x", &resolver, &[]).is_err());
        assert!(
            pools.pick("y", &resolver, &[]).is_ok(),
            "breakers are per service"
        );
    }

    #[test]
    fn prefers_untried_and_least_outstanding_instances() {
        let (pools, resolver) = (pools(BalancerKind::LeastOutstanding), resolver());
        let busy = pools.pick("x", &resolver, &[]).unwrap();
        for _ in 0..3 {
            let next = pools.pick("x", &resolver, &[]).unwrap();
            assert_ne!(next.addr(), busy.addr());
        }
        let retry = pools.pick("x", &resolver, &[addr(2)]).unwrap();
        assert_eq!(retry.addr(), addr(1));
        drop(retry);
        let only_tried = StaticResolver::new().with("x", vec![addr(2)]);
        let again = pools.pick("x", &only_tried, &[addr(2)]).unwrap();
        assert_eq!(again.addr(), addr(2), "a tried instance beats none");
    }
}

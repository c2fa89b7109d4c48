//! Load balancing: which instance of a service gets the next request.
//! Round robin, one counter per service.

use crate::resolver::Resolver;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Round-robin picker over the instances a [`Resolver`] reports.
#[derive(Debug, Default)]
pub(crate) struct Balancer {
    next: HashMap<String, AtomicUsize>,
}

impl Balancer {
    /// A balancer for a fixed set of services (the ones the routes name).
    pub(crate) fn new<'a>(services: impl IntoIterator<Item = &'a str>) -> Self {
        let next = services
            .into_iter()
            .map(|service| (service.to_owned(), AtomicUsize::new(0)))
            .collect();
        Balancer { next }
    }

    /// The next instance of `service`, or `None` when it has none.
    pub(crate) fn pick(&self, service: &str, resolver: &dyn Resolver) -> Option<SocketAddr> {
        let instances = resolver.instances(service);
        if instances.is_empty() {
            return None;
        }
        let turn = self
            .next
            .get(service)
            .map_or(0, |next| next.fetch_add(1, Ordering::Relaxed));
        Some(instances[turn % instances.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolver::StaticResolver;

    #[test]
    fn rotates_per_service() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let resolver = StaticResolver::new()
            .with("x", vec![a, b])
            .with("y", vec![a, b]);
        let balancer = Balancer::new(["x", "y"]);
        let picks: Vec<_> = (0..4)
            .map(|_| balancer.pick("x", &resolver).unwrap())
            .collect();
        assert_eq!(picks, [a, b, a, b]);
        assert_eq!(balancer.pick("y", &resolver), Some(a));
        assert_eq!(balancer.pick("z", &resolver), None);
    }
}

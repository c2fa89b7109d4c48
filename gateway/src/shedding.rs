//! Load shedding: caps on requests in flight, through the whole gateway and
//! to each service. A request over a cap is refused at once (503
//! `overloaded` with `Retry-After`) instead of queueing without bound. A
//! request counts from admission until its response body is done.

use crate::config::SheddingConfig;
use crate::errors::GatewayError;
use crate::metrics::Prom;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

pub(crate) struct Shedder {
    global: Arc<Gauge>,
    services: HashMap<String, Arc<Gauge>>,
    retry_after: Duration,
}

/// One counter of requests in flight, with its cap.
struct Gauge {
    in_flight: AtomicUsize,
    cap: usize,
    shed: AtomicU64,
}

impl Gauge {
    fn new(cap: usize) -> Arc<Self> {
        Arc::new(Gauge {
            in_flight: AtomicUsize::new(0),
            cap,
            shed: AtomicU64::new(0),
        })
    }

    /// Takes a slot unless the cap is reached.
    fn try_acquire(self: &Arc<Self>) -> Option<Slot> {
        let previous = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if previous >= self.cap {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            self.shed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(Slot(Arc::clone(self)))
    }
}

/// A taken slot; dropping it frees the slot.
struct Slot(Arc<Gauge>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The slots of one admitted request.
pub(crate) struct Admission {
    _global: Slot,
    _service: Option<Slot>,
}

impl Shedder {
    pub(crate) fn new<'a>(
        config: &SheddingConfig,
        services: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let services = services
            .into_iter()
            .map(|name| {
                (
                    name.to_owned(),
                    Gauge::new(config.max_in_flight_per_service),
                )
            })
            .collect();
        Shedder {
            global: Gauge::new(config.max_in_flight),
            services,
            retry_after: Duration::from_secs(u64::from(config.retry_after_secs.max(1))),
        }
    }

    /// Admits a request to `service`, or refuses it when a cap is reached.
    pub(crate) fn admit(&self, service: &str) -> Result<Admission, GatewayError> {
        let overloaded = || GatewayError::Overloaded {
            retry_after: self.retry_after,
        };
        let global = self.global.try_acquire().ok_or_else(overloaded)?;
        let service = match self.services.get(service) {
            Some(gauge) => Some(gauge.try_acquire().ok_or_else(overloaded)?),
            None => None,
        };
        Ok(Admission {
            _global: global,
            _service: service,
        })
    }

    /// Requests refused so far, by either cap.
    pub(crate) fn shed_total(&self) -> u64 {
        let services: u64 = self
            .services
            .values()
            .map(|gauge| gauge.shed.load(Ordering::Relaxed))
            .sum();
        self.global.shed.load(Ordering::Relaxed) + services
    }

    pub(crate) fn render(&self, prom: &mut Prom) {
        let mut services: Vec<_> = self.services.iter().collect();
        services.sort_by_key(|(name, _)| name.as_str());
        let name = "sluice_gateway_in_flight";
        prom.header(name, "gauge", "Requests in flight, overall and by service.");
        prom.sample(name, &[], self.global.in_flight.load(Ordering::Relaxed));
        for (service, gauge) in &services {
            let count = gauge.in_flight.load(Ordering::Relaxed);
            prom.sample(name, &[("service", service)], count);
        }
        let name = "sluice_gateway_shed_total";
        prom.header(name, "counter", "Requests refused 503 overloaded, by cap.");
        prom.sample(
            name,
            &[("scope", "global")],
            self.global.shed.load(Ordering::Relaxed),
        );
        for (service, gauge) in &services {
            let count = gauge.shed.load(Ordering::Relaxed);
            prom.sample(name, &[("scope", "service"), ("service", service)], count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_global_and_per_service_in_flight() {
        let config = SheddingConfig {
            max_in_flight: 3,
            max_in_flight_per_service: 2,
            retry_after_secs: 2,
        };
        let shedder = Shedder::new(&config, ["a", "b"]);
        let a1 = shedder.admit("a").unwrap();
        let _a2 = shedder.admit("a").unwrap();
        let refused = shedder.admit("a").err().unwrap();
        assert_eq!(refused.code(), "overloaded");
        assert_eq!(refused.retry_after(), Some(Duration::from_secs(2)));
        let _b1 = shedder.admit("b").unwrap();
        assert!(shedder.admit("b").is_err(), "global cap of 3 reached");
        drop(a1);
        let _b2 = shedder.admit("b").expect("a slot came back");
        assert_eq!(shedder.global.in_flight.load(Ordering::Relaxed), 3);
    }
}

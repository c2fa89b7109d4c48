//! `GET /metrics`: request counts by route and status and a latency
//! histogram by route, kept in lock-free counters, plus the Prometheus text
//! writer every other part uses to report its own state (rate limiting,
//! breakers, in-flight requests).

use crate::routing::RouteTable;
use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Status codes 100..=599 are counted; others fold into 599's slot.
const STATUSES: usize = 500;
/// The route label of requests no route matched (and the gateway's own).
pub(crate) const NO_ROUTE: &str = "none";

/// One route's counters at one moment: requests answered, 5xx among them,
/// 429s, and the latency histogram (per bucket, not cumulative).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RouteCounts {
    pub(crate) label: String,
    pub(crate) count: u64,
    pub(crate) errors: u64,
    pub(crate) limited: u64,
    pub(crate) buckets: [u64; BUCKETS.len()],
}

/// Upper bounds of the latency buckets, in seconds (for readers of
/// [`RouteCounts::buckets`]).
pub(crate) const BUCKET_BOUNDS: [f64; BUCKETS.len()] = BUCKETS;

/// Counters per route (by route id), the last slot for unrouted requests.
pub(crate) struct Metrics {
    routes: Vec<RouteStats>,
    retries: AtomicU64,
}

struct RouteStats {
    label: String,
    statuses: Box<[AtomicU64]>,
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl RouteStats {
    fn new(label: &str) -> Self {
        RouteStats {
            label: label.to_owned(),
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub(crate) fn new(routes: &RouteTable) -> Self {
        let mut stats: Vec<(usize, RouteStats)> = routes
            .iter()
            .map(|route| (route.id, RouteStats::new(route.label())))
            .collect();
        stats.sort_by_key(|(id, _)| *id);
        let mut routes: Vec<RouteStats> = stats.into_iter().map(|(_, stats)| stats).collect();
        routes.push(RouteStats::new(NO_ROUTE));
        Metrics {
            routes,
            retries: AtomicU64::new(0),
        }
    }

    /// Counts one answered request of route `route_id` (`None`: no route).
    pub(crate) fn record(&self, route_id: Option<usize>, status: u16, elapsed: Duration) {
        let last = self.routes.len() - 1;
        let stats = &self.routes[route_id.map_or(last, |id| id.min(last))];
        let slot = usize::from(status.clamp(100, 599) - 100);
        stats.statuses[slot].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            stats.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        stats.sum_micros.fetch_add(micros, Ordering::Relaxed);
        stats.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters of every route now, for the console's traffic history.
    pub(crate) fn snapshot(&self) -> Vec<RouteCounts> {
        self.routes
            .iter()
            .map(|stats| {
                let status = |code: usize| stats.statuses[code - 100].load(Ordering::Relaxed);
                RouteCounts {
                    label: stats.label.clone(),
                    count: stats.count.load(Ordering::Relaxed),
                    errors: (500..=599).map(status).sum(),
                    limited: status(429),
                    buckets: std::array::from_fn(|i| stats.buckets[i].load(Ordering::Relaxed)),
                }
            })
            .collect()
    }

    /// Counts one retried attempt.
    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn render(&self, prom: &mut Prom) {
        prom.header(
            "sluice_gateway_requests_total",
            "counter",
            "Requests answered, by route prefix and status.",
        );
        for stats in &self.routes {
            for (slot, count) in stats.statuses.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count > 0 {
                    let status = (slot + 100).to_string();
                    prom.sample(
                        "sluice_gateway_requests_total",
                        &[("route", &stats.label), ("status", &status)],
                        count,
                    );
                }
            }
        }
        prom.header(
            "sluice_gateway_request_duration_seconds",
            "histogram",
            "Time to the response head, by route prefix.",
        );
        for stats in &self.routes {
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(&stats.buckets) {
                cumulative += count.load(Ordering::Relaxed);
                prom.sample(
                    "sluice_gateway_request_duration_seconds_bucket",
                    &[("route", &stats.label), ("le", &bound.to_string())],
                    cumulative,
                );
            }
            let count = stats.count.load(Ordering::Relaxed);
            let labels = [("route", stats.label.as_str())];
            prom.sample(
                "sluice_gateway_request_duration_seconds_bucket",
                &[("route", &stats.label), ("le", "+Inf")],
                count,
            );
            let sum = stats.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            prom.sample("sluice_gateway_request_duration_seconds_sum", &labels, sum);
            prom.sample(
                "sluice_gateway_request_duration_seconds_count",
                &labels,
                count,
            );
        }
        prom.header(
            "sluice_gateway_retries_total",
            "counter",
            "Upstream attempts that were retries.",
        );
        prom.sample(
            "sluice_gateway_retries_total",
            &[],
            self.retries.load(Ordering::Relaxed),
        );
    }
}

/// A Prometheus text-format (0.0.4) document being written: the
/// gateway's `/metrics`, and a node's on its admin API.
#[derive(Default)]
pub struct Prom {
    out: String,
}

impl Prom {
    /// Starts a metric family.
    pub fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{label}=\"{}\"", escape(value));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Route;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let table = RouteTable::new(
            &[Route::new("/a", "a"), Route::new("/bb", "b")],
            Duration::from_secs(1),
        )
        .unwrap();
        let metrics = Metrics::new(&table);
        metrics.record(Some(0), 200, Duration::from_millis(3));
        metrics.record(Some(0), 200, Duration::from_millis(30));
        metrics.record(Some(1), 503, Duration::from_secs(20));
        metrics.record(None, 404, Duration::ZERO);
        let mut prom = Prom::default();
        metrics.render(&mut prom);
        let text = prom.finish();
        for line in [
            r#"sluice_gateway_requests_total{route="/a",status="200"} 2"#,
            r#"sluice_gateway_requests_total{route="/bb",status="503"} 1"#,
            r#"sluice_gateway_requests_total{route="none",status="404"} 1"#,
            r#"sluice_gateway_request_duration_seconds_bucket{route="/a",le="0.005"} 1"#,
            r#"sluice_gateway_request_duration_seconds_bucket{route="/a",le="0.05"} 2"#,
            r#"sluice_gateway_request_duration_seconds_bucket{route="/bb",le="10"} 0"#,
            r#"sluice_gateway_request_duration_seconds_bucket{route="/bb",le="+Inf"} 1"#,
            r#"sluice_gateway_request_duration_seconds_count{route="/a"} 2"#,
            "# TYPE sluice_gateway_request_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
    }

    #[test]
    fn escapes_label_values() {
        let mut prom = Prom::default();
        prom.sample("m", &[("l", "a\"b\\c\nd")], 1);
        assert_eq!(prom.finish(), "m{l=\"a\\\"b\\\\c\\nd\"} 1\n");
    }
}

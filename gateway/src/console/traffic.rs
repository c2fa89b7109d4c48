//! The console's live traffic: every [`INTERVAL`] the gateway reads its own
//! counters (requests, 5xx and 429 by route, the latency histogram, requests
//! shed) and keeps what changed since the last reading as one [`Sample`],
//! [`KEPT`] of them: the last five minutes, with no server beyond the
//! gateway. Quantiles come from the histogram's buckets, interpolated
//! within a bucket as Prometheus's `histogram_quantile` does.

use crate::metrics::{BUCKET_BOUNDS, RouteCounts};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the counters are read.
pub(crate) const INTERVAL: Duration = Duration::from_secs(2);

/// Samples kept: five minutes.
pub(crate) const KEPT: usize = 150;

/// What changed in one interval.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Sample {
    /// The end of the interval, Unix milliseconds.
    pub(crate) at: u64,
    /// The routes that answered requests in the interval.
    pub(crate) routes: BTreeMap<String, RouteSample>,
    /// Requests refused by load shedding, per second.
    pub(crate) shed: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RouteSample {
    /// Requests answered per second.
    pub(crate) rps: f64,
    /// The share of them answered 5xx, 0..=1.
    pub(crate) error_rate: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    /// Requests refused 429 per second.
    pub(crate) limited: f64,
}

/// The counters as last read.
struct Reading {
    when: Instant,
    routes: Vec<RouteCounts>,
    shed: u64,
}

/// The last [`KEPT`] samples.
#[derive(Default)]
pub(crate) struct Traffic {
    state: Mutex<(Option<Reading>, VecDeque<Sample>)>,
}

impl Traffic {
    /// Takes a reading of the counters; from the second one on, keeps what
    /// changed since the one before as a sample.
    pub(crate) fn record(&self, routes: Vec<RouteCounts>, shed: u64) {
        let reading = Reading {
            when: Instant::now(),
            routes,
            shed,
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, samples) = &mut *state;
        if let Some(last) = last.as_ref() {
            samples.push_back(sample(last, &reading, unix_millis()));
            if samples.len() > KEPT {
                samples.pop_front();
            }
        }
        *last = Some(reading);
    }

    /// The samples kept, oldest first.
    pub(crate) fn samples(&self) -> Vec<Sample> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.1.iter().cloned().collect()
    }
}

fn sample(before: &Reading, now: &Reading, at: u64) -> Sample {
    let seconds = now.when.duration_since(before.when).as_secs_f64().max(1e-3);
    let mut routes = BTreeMap::new();
    for current in &now.routes {
        let previous = before.routes.iter().find(|r| r.label == current.label);
        let delta = |f: fn(&RouteCounts) -> u64| f(current).saturating_sub(previous.map_or(0, f));
        let count = delta(|r| r.count);
        let limited = delta(|r| r.limited);
        if count == 0 {
            continue;
        }
        let buckets: Vec<u64> = (0..BUCKET_BOUNDS.len())
            .map(|i| {
                let was = previous.map_or(0, |p| p.buckets[i]);
                current.buckets[i].saturating_sub(was)
            })
            .collect();
        routes.insert(
            current.label.clone(),
            RouteSample {
                rps: count as f64 / seconds,
                error_rate: delta(|r| r.errors) as f64 / count as f64,
                p50_ms: quantile(0.5, &buckets, count) * 1e3,
                p99_ms: quantile(0.99, &buckets, count) * 1e3,
                limited: limited as f64 / seconds,
            },
        );
    }
    Sample {
        at,
        routes,
        shed: now.shed.saturating_sub(before.shed) as f64 / seconds,
    }
}

/// The `q` quantile, in seconds, of `count` observations of which
/// `buckets[i]` fell at or under `BUCKET_BOUNDS[i]` (and above the bound
/// before); those over the last bound count as the last bound.
fn quantile(q: f64, buckets: &[u64], count: u64) -> f64 {
    let rank = q * count as f64;
    let mut seen = 0.0;
    for (i, &in_bucket) in buckets.iter().enumerate() {
        let in_bucket = in_bucket as f64;
        if in_bucket > 0.0 && seen + in_bucket >= rank {
            let lower = if i == 0 { 0.0 } else { BUCKET_BOUNDS[i - 1] };
            let upper = BUCKET_BOUNDS[i];
            return lower + (upper - lower) * ((rank - seen) / in_bucket);
        }
        seen += in_bucket;
    }
    BUCKET_BOUNDS[BUCKET_BOUNDS.len() - 1]
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(label: &str, count: u64, errors: u64, limited: u64, fast: u64) -> RouteCounts {
        let mut buckets = [0; BUCKET_BOUNDS.len()];
        buckets[0] = fast; // at most 1 ms
        buckets[6] = count - fast; // 50..100 ms
        RouteCounts {
            label: label.into(),
            count,
            errors,
            limited,
            buckets,
        }
    }

    fn reading(seconds_ago: u64, routes: Vec<RouteCounts>, shed: u64) -> Reading {
        Reading {
            when: Instant::now() - Duration::from_secs(seconds_ago),
            routes,
            shed,
        }
    }

    #[test]
    fn a_sample_is_what_changed_per_second() {
        let before = reading(2, vec![counts("/api/a", 100, 0, 0, 100)], 4);
        let now = reading(
            0,
            vec![
                counts("/api/a", 300, 20, 10, 200),
                counts("/api/idle", 0, 0, 0, 0),
            ],
            10,
        );
        let sample = sample(&before, &now, 7);
        assert_eq!(sample.at, 7);
        assert_eq!(sample.routes.len(), 1, "idle routes are left out");
        let a = &sample.routes["/api/a"];
        assert!((a.rps - 100.0).abs() < 1.0, "{a:?}");
        assert!((a.error_rate - 0.1).abs() < 1e-9);
        assert!((a.limited - 5.0).abs() < 0.1);
        assert!((sample.shed - 3.0).abs() < 0.1);
        // 100 of the 200 new requests took at most 1 ms, 100 took 50..100 ms.
        assert!(a.p50_ms <= 1.0, "{a:?}");
        assert!(a.p99_ms > 50.0 && a.p99_ms <= 100.0, "{a:?}");
    }

    #[test]
    fn quantiles_interpolate_within_a_bucket() {
        let mut buckets = [0; BUCKET_BOUNDS.len()];
        buckets[1] = 10; // 1..2.5 ms
        assert!((quantile(0.5, &buckets, 10) - 0.00175).abs() < 1e-9);
        assert_eq!(quantile(1.0, &buckets, 10), 0.0025);
        let slow = [0; BUCKET_BOUNDS.len()];
        assert_eq!(quantile(0.5, &slow, 3), 10.0, "past the last bound");
    }

    #[test]
    fn only_the_last_five_minutes_are_kept() {
        let traffic = Traffic::default();
        for n in 0..(KEPT as u64 + 10) {
            traffic.record(vec![counts("/r", n + 1, 0, 0, n + 1)], 0);
        }
        let samples = traffic.samples();
        assert_eq!(samples.len(), KEPT);
        assert!(samples.iter().all(|s| s.routes.contains_key("/r")));
    }
}

//! Rate limiting at the edge: each route belongs to a class, and a class
//! limits each client IP and each authenticated user on its own (GCRA).
//! The buckets live in this process ([`local`]) or in Redis ([`redis`]),
//! shared by every gateway replica; while Redis is unreachable the local
//! buckets decide ([`degrade`]). Every answer of a limited route carries
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.

mod degrade;
mod gcra;
mod local;
mod redis;

pub(crate) use gcra::Decision;

use self::degrade::Degradation;
use self::gcra::Gcra;
use self::local::LocalLimiter;
use self::redis::RedisGcra;
use crate::config::{LimiterBackend, QuotaConfig, RateLimitConfig};
use crate::errors::retry_after_secs;
use crate::metrics::Prom;
use crate::routing::{RouteEntry, RouteTable};
use anyhow::{Context as _, bail};
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Every class's buckets, found by route id.
pub(crate) struct RateLimits {
    by_route: Vec<Option<Arc<Class>>>,
    classes: Vec<Arc<Class>>,
    redis: Option<Shared>,
}

/// The Redis side: the script runner and whether it is usable.
struct Shared {
    gcra: RedisGcra,
    health: Degradation,
}

struct Class {
    name: String,
    ip: Option<Bucket<IpAddr>>,
    user: Option<Bucket<String>>,
}

/// One scope of one class: its quota, its local buckets, its Redis keys.
struct Bucket<K: Hash + Eq + Clone> {
    gcra: Gcra,
    local: LocalLimiter<K>,
    redis_prefix: String,
    rejected: AtomicU64,
}

impl RateLimits {
    /// Builds the classes the routes use; a route naming an unknown class
    /// is a configuration error. With a Redis backend, tries to connect
    /// once (a failure only starts the gateway degraded).
    pub(crate) async fn new(config: &RateLimitConfig, routes: &RouteTable) -> anyhow::Result<Self> {
        let configured = config.effective_classes();
        let mut classes: HashMap<&str, Arc<Class>> = HashMap::new();
        for (name, class) in &configured {
            let class = Class {
                name: name.clone(),
                ip: Bucket::configured(config, name, "ip", &class.per_ip)?,
                user: Bucket::configured(config, name, "user", &class.per_user)?,
            };
            classes.insert(name, Arc::new(class));
        }
        let mut by_route = Vec::new();
        for route in routes.iter() {
            let Some(class) = classes.get(route.config.rate_limit.as_str()) else {
                bail!(
                    "route {:?} names rate-limit class {:?}, which is not configured",
                    route.config.prefix,
                    route.config.rate_limit
                );
            };
            if by_route.len() <= route.id {
                by_route.resize(route.id + 1, None);
            }
            by_route[route.id] = Some(Arc::clone(class));
        }
        if config.backend == LimiterBackend::Off {
            by_route.iter_mut().for_each(|class| *class = None);
        }
        let redis = match config.backend {
            LimiterBackend::Redis => Some(Shared::connect(config).await?),
            LimiterBackend::Off | LimiterBackend::Local => None,
        };
        let mut classes: Vec<_> = classes.into_values().collect();
        classes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(RateLimits {
            by_route,
            classes,
            redis,
        })
    }

    /// Charges the client IP's bucket of the route's class, if it has one.
    pub(crate) async fn check_ip(&self, route: &RouteEntry, ip: IpAddr) -> Option<Decision> {
        let bucket = self.class(route)?.ip.as_ref()?;
        Some(self.check(bucket, &ip).await)
    }

    /// Charges the user's bucket of the route's class, if it has one.
    pub(crate) async fn check_user(&self, route: &RouteEntry, subject: &str) -> Option<Decision> {
        let bucket = self.class(route)?.user.as_ref()?;
        Some(self.check(bucket, &subject.to_owned()).await)
    }

    fn class(&self, route: &RouteEntry) -> Option<&Class> {
        self.by_route.get(route.id)?.as_deref()
    }

    async fn check<K>(&self, bucket: &Bucket<K>, key: &K) -> Decision
    where
        K: Hash + Eq + Clone + Display,
    {
        let decision = match &self.redis {
            Some(shared) if shared.health.should_try() => {
                let redis_key = format!("{}{key}", bucket.redis_prefix);
                match shared.gcra.check(&redis_key, bucket.gcra).await {
                    Ok(decision) => {
                        shared.health.succeeded();
                        decision
                    }
                    Err(error) => {
                        shared.health.failed(&error);
                        bucket.local.check(key)
                    }
                }
            }
            _ => bucket.local.check(key),
        };
        if !decision.allowed {
            bucket.rejected.fetch_add(1, Ordering::Relaxed);
        }
        decision
    }

    pub(crate) fn render(&self, prom: &mut Prom) {
        let name = "sluice_gateway_rate_limited_total";
        prom.header(name, "counter", "Requests refused 429, by class and scope.");
        for class in &self.classes {
            let scopes = [
                ("ip", class.ip.as_ref().map(Bucket::rejected)),
                ("user", class.user.as_ref().map(Bucket::rejected)),
            ];
            for (scope, rejected) in scopes {
                if let Some(rejected) = rejected {
                    prom.sample(name, &[("class", &class.name), ("scope", scope)], rejected);
                }
            }
        }
        let name = "sluice_gateway_rate_limit_keys";
        prom.header(
            name,
            "gauge",
            "Keys held by the local limiter, by class and scope.",
        );
        for class in &self.classes {
            if let Some(ip) = &class.ip {
                let labels = [("class", class.name.as_str()), ("scope", "ip")];
                prom.sample(name, &labels, ip.local.key_count());
            }
            if let Some(user) = &class.user {
                let labels = [("class", class.name.as_str()), ("scope", "user")];
                prom.sample(name, &labels, user.local.key_count());
            }
        }
        if let Some(shared) = &self.redis {
            let name = "sluice_gateway_rate_limit_redis_degraded";
            prom.header(
                name,
                "gauge",
                "1 while Redis is unreachable and limits are local.",
            );
            prom.sample(name, &[], u8::from(shared.health.is_degraded()));
            let name = "sluice_gateway_rate_limit_redis_errors_total";
            prom.header(
                name,
                "counter",
                "Redis limiter calls that failed or timed out.",
            );
            prom.sample(name, &[], shared.health.failures());
        }
    }
}

impl Shared {
    async fn connect(config: &RateLimitConfig) -> anyhow::Result<Self> {
        let shared = Shared {
            gcra: RedisGcra::new(&config.redis_url, config.redis_timeout)?,
            health: Degradation::new(config.redis_probe_interval),
        };
        if let Err(error) = shared.gcra.connection().await {
            shared.health.failed(&error);
        }
        Ok(shared)
    }
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    /// The bucket of a configured quota; none without one.
    fn configured(
        config: &RateLimitConfig,
        class: &str,
        scope: &str,
        quota: &Option<QuotaConfig>,
    ) -> anyhow::Result<Option<Self>> {
        quota
            .as_ref()
            .map(|quota| Self::new(config, class, scope, quota))
            .transpose()
    }

    fn new(
        config: &RateLimitConfig,
        class: &str,
        scope: &str,
        quota: &QuotaConfig,
    ) -> anyhow::Result<Self> {
        let gcra = Gcra::new(class, quota).with_context(|| format!("its per_{scope} quota"))?;
        Ok(Bucket {
            gcra,
            local: LocalLimiter::new(gcra, config.max_keys, config.sweep_interval),
            redis_prefix: format!("{}{class}:{scope}:", config.redis_key_prefix),
            rejected: AtomicU64::new(0),
        })
    }

    fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// Sets the `RateLimit-*` headers of `decision` on a response.
pub(crate) fn apply_headers(decision: &Decision, headers: &mut HeaderMap) {
    let reset = if decision.reset.is_zero() {
        0
    } else {
        retry_after_secs(decision.reset)
    };
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(decision.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(RATELIMIT_RESET, HeaderValue::from(reset));
}

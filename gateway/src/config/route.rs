//! One routing rule and its per-route options: who may call it (protected,
//! admin, per method), how long it may take, its rate-limit class, how
//! often an idempotent request may be retried, and injected faults.

use super::millis;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Requests whose path is `prefix` or lies below it go to an instance of
/// `service`. Every option has a default: `Route::new(prefix, service)` is a
/// public route with the gateway's timeout, the `default` rate-limit class
/// and one retry for idempotent methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub prefix: String,
    pub service: String,
    /// Methods that need a valid bearer token (`true`, `false`, or a list
    /// such as `["POST", "DELETE"]`).
    #[serde(default, skip_serializing_if = "Methods::is_none")]
    pub protected: Methods,
    /// Methods that need a token with role `admin` (implies protected).
    #[serde(default, skip_serializing_if = "Methods::is_none")]
    pub admin: Methods,
    /// Deadline for the upstream's response head, all attempts included;
    /// default: the gateway's `upstream_timeout_ms`.
    #[serde(
        default,
        rename = "timeout_ms",
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// The rate-limit class (a key of `rate_limit.classes`).
    #[serde(default = "default_class")]
    pub rate_limit: String,
    /// Extra attempts for an idempotent request (GET, HEAD, PUT, DELETE,
    /// OPTIONS) after a connection failure or a 502/503/504, each on
    /// another instance when there is one, within the retry budget.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Faults injected for resilience testing; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<FaultConfig>,
}

/// The class of every route that names none.
pub const DEFAULT_CLASS: &str = "default";

fn default_class() -> String {
    DEFAULT_CLASS.to_owned()
}

fn default_retries() -> u32 {
    1
}

impl Route {
    pub fn new(prefix: impl Into<String>, service: impl Into<String>) -> Self {
        Route {
            prefix: prefix.into(),
            service: service.into(),
            protected: Methods::None,
            admin: Methods::None,
            timeout: None,
            rate_limit: default_class(),
            retries: default_retries(),
            faults: None,
        }
    }

    /// Requires a valid token for `methods`.
    pub fn protected(mut self, methods: Methods) -> Self {
        self.protected = methods;
        self
    }

    /// Requires role `admin` for `methods`.
    pub fn admin(mut self, methods: Methods) -> Self {
        self.admin = methods;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn rate_limit(mut self, class: impl Into<String>) -> Self {
        self.rate_limit = class.into();
        self
    }

    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = Some(faults);
        self
    }
}

/// A set of HTTP methods, written `true` (all), `false` (none) or as a list
/// of method names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "MethodsRepr", into = "MethodsRepr")]
pub enum Methods {
    #[default]
    None,
    All,
    /// These methods (upper case).
    Only(Vec<String>),
}

impl Methods {
    /// The given methods, upper-cased.
    pub fn only<S: AsRef<str>>(methods: impl IntoIterator<Item = S>) -> Self {
        Methods::Only(
            methods
                .into_iter()
                .map(|method| method.as_ref().to_ascii_uppercase())
                .collect(),
        )
    }

    /// POST, PUT, PATCH and DELETE: the methods that change something.
    pub fn writes() -> Self {
        Self::only(["POST", "PUT", "PATCH", "DELETE"])
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Methods::None) || matches!(self, Methods::Only(list) if list.is_empty())
    }

    pub fn contains(&self, method: &http::Method) -> bool {
        match self {
            Methods::None => false,
            Methods::All => true,
            Methods::Only(list) => list.iter().any(|name| name == method.as_str()),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum MethodsRepr {
    Flag(bool),
    List(Vec<String>),
}

impl From<MethodsRepr> for Methods {
    fn from(repr: MethodsRepr) -> Self {
        match repr {
            MethodsRepr::Flag(false) => Methods::None,
            MethodsRepr::Flag(true) => Methods::All,
            MethodsRepr::List(list) => Methods::only(list),
        }
    }
}

impl From<Methods> for MethodsRepr {
    fn from(methods: Methods) -> Self {
        match methods {
            Methods::None => MethodsRepr::Flag(false),
            Methods::All => MethodsRepr::Flag(true),
            Methods::Only(list) => MethodsRepr::List(list),
        }
    }
}

/// Faults injected into a share of a route's requests, after auth and
/// rate limiting and before an upstream is chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Extra latency added to `delay_percent` % of requests.
    #[serde(rename = "delay_ms", with = "millis")]
    pub delay: Duration,
    pub delay_percent: f64,
    /// Status answered (as a JSON error, `fault_injected`) instead of
    /// forwarding, for `abort_percent` % of requests.
    pub abort_status: u16,
    pub abort_percent: f64,
}

//! Each tenant's last rule run on this node: how it ended, what the rule
//! logged, the fuel and time it took. A tenant reads it at
//! `GET /admin/tenants/{tenant}/pricing-rule` to see why a quote did not
//! get its rule; it is forgotten when the rule changes.

use super::sandbox::{Outcome, Ran};
use std::collections::HashMap;
use std::sync::Mutex;

/// How a tenant's last run went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LastRun {
    /// `applied`, `declined`, `fuel`, `deadline`, … (the metric's label).
    pub outcome: &'static str,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What it wrote to stdout and stderr (capped).
    pub log: String,
    pub fuel_used: u64,
    pub micros: u64,
}

/// The last run of every tenant whose rule ran here.
#[derive(Default)]
pub struct LastRuns(Mutex<HashMap<String, LastRun>>);

impl LastRuns {
    pub fn get(&self, tenant: &str) -> Option<LastRun> {
        self.lock().get(tenant).cloned()
    }

    pub fn remember(&self, tenant: &str, ran: &Ran) {
        let (outcome, error) = match &ran.outcome {
            Outcome::Failed { kind, message } => (*kind, Some(message.clone())),
            other => (other.label(), None),
        };
        let last = LastRun {
            outcome,
            error,
            log: ran.log.clone(),
            fuel_used: ran.fuel_used,
            micros: ran.elapsed.as_micros() as u64,
        };
        self.lock().insert(tenant.to_string(), last);
    }

    pub fn forget(&self, tenant: &str) {
        self.lock().remove(tenant);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LastRun>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

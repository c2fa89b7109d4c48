//! Counters of rule runs by tenant and outcome, in Prometheus text format.

use sluice_gateway::Prom;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How rule runs ended: `applied`, or why the rule was not applied.
#[derive(Default)]
pub struct RuleMetrics {
    runs: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl RuleMetrics {
    pub fn count(&self, tenant: &str, outcome: &'static str) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        *runs.entry((tenant.to_string(), outcome)).or_default() += 1;
    }

    /// The runs of `tenant` that ended with `outcome`.
    pub fn get(&self, tenant: &str, outcome: &'static str) -> u64 {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.get(&(tenant.to_string(), outcome))
            .copied()
            .unwrap_or(0)
    }

    /// `sluice_rule_runs_total{tenant,outcome}` in Prometheus text format.
    pub fn render(&self, prom: &mut Prom) {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        let name = "sluice_rule_runs_total";
        prom.header(name, "counter", "Tenant pricing rule runs by outcome.");
        for ((tenant, outcome), n) in runs.iter() {
            prom.sample(name, &[("tenant", tenant), ("outcome", outcome)], n);
        }
    }
}

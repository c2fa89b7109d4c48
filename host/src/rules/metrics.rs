//! Counters of rule runs by tenant and outcome, in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
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
    pub fn render(&self, out: &mut String) {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP sluice_rule_runs_total Tenant pricing rule runs by outcome.\n");
        out.push_str("# TYPE sluice_rule_runs_total counter\n");
        for ((tenant, outcome), n) in runs.iter() {
            let _ = writeln!(
                out,
                "sluice_rule_runs_total{{tenant=\"{tenant}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
}

//! `tenant-rules`: how pricing runs a tenant's own rule. The host looks up
//! the rule of `input.tenant` in the node's [`RuleRegistry`] and runs it in
//! the rule sandbox (its own engine and store, see `crate::rules`) on a task
//! of its own — a guest awaiting a host import cannot drive another store
//! from inside that import.

use crate::bindings::{rule, tenant_rules};
use crate::rules::{Outcome, RuleRegistry};
use crate::state::ComponentState;
use std::sync::Arc;
use wasmtime::component::{Accessor, HasData, Linker};

/// The registry a service's rule runs come from; `None` for services that
/// run no rules (every run answers `no-rule`).
#[derive(Clone, Default)]
pub struct TenantRulesState {
    pub registry: Option<Arc<RuleRegistry>>,
}

/// Marker: the state lives in `ServiceCapabilities::tenant_rules`.
pub struct TenantRulesCapability;

impl HasData for TenantRulesCapability {
    type Data<'a> = &'a TenantRulesState;
}

impl tenant_rules::Host for &TenantRulesState {}

impl<T> tenant_rules::HostWithStore<T> for TenantRulesCapability {
    #[tracing::instrument(level = "debug", name = "tenant_rules.run", skip_all)]
    async fn run(
        accessor: &Accessor<T, Self>,
        input: tenant_rules::Input,
    ) -> tenant_rules::Outcome {
        let Some(registry) = accessor.with(|mut access| access.get().registry.clone()) else {
            return tenant_rules::Outcome::NoRule;
        };
        let input = rule::Input {
            sku: input.sku,
            qty: input.qty,
            currency: input.currency,
            base_unit_price: input.base_unit_price,
            unit_price: input.unit_price,
            tenant: input.tenant,
            customer: input.customer,
        };
        match tokio::spawn(async move { registry.run(&input).await }).await {
            Ok(Outcome::NoRule) => tenant_rules::Outcome::NoRule,
            Ok(Outcome::Applied(out)) => tenant_rules::Outcome::Applied(tenant_rules::Output {
                unit_price: out.unit_price,
                reason: out.reason,
            }),
            Ok(Outcome::Failed { message, .. }) => tenant_rules::Outcome::Failed(message),
            Err(e) => tenant_rules::Outcome::Failed(format!("the rule runner failed: {e}")),
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    tenant_rules::add_to_linker::<_, TenantRulesCapability>(linker, |s| &s.caps.tenant_rules)
}

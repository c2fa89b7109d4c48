//! The wasm-only glue: bindings for world `sluice:platform/pricing` (the
//! shared imports come from the kit, whose `Imports` implement the shared
//! [`ports`](crate::ports)); pricing's own links, catalog's `products` and
//! `tenant-rules`, as its [`Products`] and [`TenantRules`] ports; and the
//! exports (`wasi:http/handler`, `schema`, `quote`) handed to the plain
//! modules.

sluice_kit::service_bindings!("sluice:platform/pricing", {});

use crate::claims::{ClaimError, ClaimLine};
use crate::ports::{LookupError, Product, Products, TenantRules};
use crate::quote::{AdjustmentKind, QuoteError};
use crate::rules::{RuleInput, RuleOutcome, RuleOutput};
use exports::sluice::platform::quote;
use sluice::platform::{products, rule, tenant_rules};
use sluice_kit::guest::Imports;

struct Component;

export!(Component);

sluice_kit::export_http_handler!(Component, crate::handler::handle);
sluice_kit::export_schema!(Component, crate::migrations::migrations);

impl quote::Guest for Component {
    async fn quote(
        sku: String,
        qty: u32,
        tenant: String,
        customer: Vec<(String, String)>,
    ) -> Result<quote::Price, quote::Error> {
        match crate::quote::quote(&Imports, &sku, qty, &tenant, &customer).await {
            Ok(q) => Ok(quote::Price {
                sku: q.sku,
                qty: q.qty,
                tenant: q.tenant,
                currency: q.currency,
                base_unit_price: q.base_unit_price,
                unit_price: q.unit_price,
                total: q.total,
                applied: q
                    .applied
                    .into_iter()
                    .map(|a| quote::Adjustment {
                        kind: match a.kind {
                            AdjustmentKind::Promotion => quote::AdjustmentKind::Promotion,
                            AdjustmentKind::TenantRule => quote::AdjustmentKind::TenantRule,
                        },
                        id: a.id,
                        units: a.units,
                        detail: a.detail,
                    })
                    .collect(),
                rule_error: q.rule_error,
            }),
            Err(QuoteError::UnknownSku(s)) => Err(quote::Error::UnknownSku(s)),
            Err(QuoteError::InvalidQuantity(n)) => Err(quote::Error::InvalidQuantity(n)),
            Err(QuoteError::InvalidTenant(t)) => Err(quote::Error::InvalidTenant(t)),
            Err(QuoteError::Store(e)) => Err(quote::Error::Unavailable(e.to_string())),
            Err(QuoteError::Catalog(e)) => Err(quote::Error::Unavailable(e.to_string())),
            Err(QuoteError::BadProduct(why)) => Err(quote::Error::Unavailable(why)),
            Err(QuoteError::Overflow) => {
                Err(quote::Error::Unavailable("the total overflows".into()))
            }
        }
    }

    async fn claim(
        claim_id: String,
        lines: Vec<quote::ClaimLine>,
    ) -> Result<(), quote::ClaimError> {
        let lines: Vec<ClaimLine> = lines
            .into_iter()
            .map(|l| ClaimLine {
                promotion_id: l.promotion_id,
                units: l.units,
            })
            .collect();
        crate::claims::claim(&Imports, &claim_id, &lines)
            .await
            .map_err(claim_error)
    }

    async fn unclaim(claim_id: String) -> Result<(), quote::ClaimError> {
        crate::claims::unclaim(&Imports, &claim_id)
            .await
            .map_err(claim_error)
    }
}

fn claim_error(e: ClaimError) -> quote::ClaimError {
    match e {
        ClaimError::UnknownPromotion(id) => quote::ClaimError::UnknownPromotion(id),
        ClaimError::NotActive(id) => quote::ClaimError::NotActive(id),
        ClaimError::Insufficient(id, left) => quote::ClaimError::Insufficient((id, left)),
        ClaimError::Conflict(m) => quote::ClaimError::Conflict(m),
        ClaimError::Invalid(m) => quote::ClaimError::Invalid(m),
        ClaimError::Store(e) => quote::ClaimError::Unavailable(e.to_string()),
    }
}

/// Catalog's product lookup (`products.lookup`).
impl Products for Imports {
    async fn lookup_product(&self, sku: &str) -> Result<Option<Product>, LookupError> {
        match products::lookup(sku.to_string()).await {
            Ok(found) => Ok(found.map(|p| Product {
                sku: p.sku,
                name: p.name,
                base_price: p.base_price,
                currency: p.currency,
            })),
            Err(products::Error::Unavailable(m)) => Err(LookupError::Unavailable(m)),
        }
    }
}

/// The tenant's sandboxed `pricing-rule` component (`tenant-rules.run`);
/// the tenant is the input's.
impl TenantRules for Imports {
    async fn run_tenant_rule(&self, _tenant: &str, input: &RuleInput) -> RuleOutcome {
        let input = rule::Input {
            sku: input.sku.clone(),
            qty: input.qty,
            currency: input.currency.clone(),
            base_unit_price: input.base_unit_price,
            unit_price: input.unit_price,
            tenant: input.tenant.clone(),
            customer: input.customer.clone(),
        };
        match tenant_rules::run(input).await {
            tenant_rules::Outcome::NoRule => RuleOutcome::NoRule,
            tenant_rules::Outcome::Applied(out) => RuleOutcome::Applied(RuleOutput {
                unit_price: out.unit_price,
                reason: out.reason,
            }),
            tenant_rules::Outcome::Failed(why) => RuleOutcome::Failed(why),
        }
    }
}

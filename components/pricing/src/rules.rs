//! The tenant's own pricing rule: the last step of every quote.
//!
//! The host runs the tenant's uploaded `pricing-rule` component in a
//! sandbox (fuel, memory cap, deadline) through the `tenant-rules` link
//! ([`TenantRules::run_tenant_rule`](crate::ports::TenantRules::run_tenant_rule))
//! and maps its answer (`rule.output` or an error, a trap, a timeout) onto
//! [`RuleOutcome`]. Everything after that — validating the answer, falling
//! back to the price without the rule, and reporting the failure in the
//! quote's `rule_error` — is here, tested with a scripted rule.
//!
//! Semantics: the rule sees the quote so far once per line (one line, or
//! two when a capped promotion covers only some units) with that line's
//! unit price, and returns a new unit price for it. It is applied to all
//! lines or to none: if any call fails, or returns a price outside
//! `0..=MAX_UNIT_PRICE`, the quote keeps its price without the rule and
//! says why in `rule_error`.

use crate::money::MAX_UNIT_PRICE;
use crate::ports::{Host, Level};
use crate::pricing::Line;

/// The quote so far, as the tenant's rule sees it (`rule.input`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    pub sku: String,
    /// The whole quantity of the quote.
    pub qty: u32,
    pub currency: String,
    pub base_unit_price: i64,
    /// The unit price of the line being priced.
    pub unit_price: i64,
    pub tenant: String,
    /// The customer's attributes from their verified token, e.g.
    /// `("tier", "gold")`, sorted by key; empty for an anonymous quote.
    pub customer: Vec<(String, String)>,
}

/// The rule's answer for one line (`rule.output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutput {
    /// The new unit price, in minor units.
    pub unit_price: i64,
    /// A short reason, shown in the quote's `applied` list.
    pub reason: String,
}

/// What running the tenant's rule gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOutcome {
    /// The tenant has no rule.
    NoRule,
    /// The rule answered.
    Applied(RuleOutput),
    /// The rule returned an error, trapped, ran out of fuel or time; the
    /// string says which.
    Failed(String),
}

/// The quote's lines after the tenant's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruled {
    pub lines: Vec<Line>,
    /// The rule's reason, when it was applied.
    pub applied: Option<String>,
    /// Why the rule was not applied, when it failed.
    pub error: Option<String>,
}

/// Runs `tenant`'s rule on every line of a quote (see the module docs).
/// `input` carries the quote's fields; its `unit_price` is set per line.
pub async fn apply(host: &impl Host, input: RuleInput, lines: Vec<Line>) -> Ruled {
    let mut ruled = Vec::with_capacity(lines.len());
    let mut reasons: Vec<String> = Vec::new();
    for line in &lines {
        let input = RuleInput {
            unit_price: line.unit_price,
            ..input.clone()
        };
        let failure = match host.run_tenant_rule(&input.tenant, &input).await {
            RuleOutcome::NoRule => {
                return Ruled {
                    lines,
                    applied: None,
                    error: None,
                };
            }
            RuleOutcome::Applied(out) if (0..=MAX_UNIT_PRICE).contains(&out.unit_price) => {
                ruled.push(Line {
                    units: line.units,
                    unit_price: out.unit_price,
                });
                if !reasons.contains(&out.reason) {
                    reasons.push(out.reason);
                }
                continue;
            }
            RuleOutcome::Applied(out) => format!(
                "the rule returned the unit price {}, outside 0..={MAX_UNIT_PRICE}",
                out.unit_price
            ),
            RuleOutcome::Failed(why) => why,
        };
        host.log(
            Level::Warn,
            "tenant rule failed; quoting without it",
            &[
                ("tenant", &input.tenant),
                ("sku", &input.sku),
                ("error", &failure),
            ],
        );
        return Ruled {
            lines,
            applied: None,
            error: Some(failure),
        };
    }
    Ruled {
        lines: ruled,
        applied: Some(reasons.join("; ")),
        error: None,
    }
}

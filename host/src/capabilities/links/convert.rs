//! The imported and exported sides of `stock` and `quote` are distinct Rust
//! types in the host bindings; these carry values across, field by field.

use crate::bindings::linked::{products as p_in, quote as q_in, stock as s_in};
use crate::bindings::{products as p_out, quote as q_out, stock as s_out};

impl From<s_in::Line> for s_out::Line {
    fn from(l: s_in::Line) -> Self {
        s_out::Line {
            sku: l.sku,
            qty: l.qty,
        }
    }
}

impl From<s_out::Error> for s_in::Error {
    fn from(e: s_out::Error) -> Self {
        match e {
            s_out::Error::UnknownSku(s) => s_in::Error::UnknownSku(s),
            s_out::Error::Insufficient(s) => s_in::Error::Insufficient(s),
            s_out::Error::Invalid(s) => s_in::Error::Invalid(s),
            s_out::Error::Conflict(s) => s_in::Error::Conflict(s),
            s_out::Error::Unavailable(s) => s_in::Error::Unavailable(s),
        }
    }
}

impl From<q_out::Price> for q_in::Price {
    fn from(p: q_out::Price) -> Self {
        q_in::Price {
            sku: p.sku,
            qty: p.qty,
            tenant: p.tenant,
            currency: p.currency,
            base_unit_price: p.base_unit_price,
            unit_price: p.unit_price,
            total: p.total,
            applied: p.applied.into_iter().map(Into::into).collect(),
            rule_error: p.rule_error,
        }
    }
}

impl From<q_out::Adjustment> for q_in::Adjustment {
    fn from(a: q_out::Adjustment) -> Self {
        q_in::Adjustment {
            kind: match a.kind {
                q_out::AdjustmentKind::Promotion => q_in::AdjustmentKind::Promotion,
                q_out::AdjustmentKind::TenantRule => q_in::AdjustmentKind::TenantRule,
            },
            id: a.id,
            units: a.units,
            detail: a.detail,
        }
    }
}

impl From<q_out::Error> for q_in::Error {
    fn from(e: q_out::Error) -> Self {
        match e {
            q_out::Error::UnknownSku(s) => q_in::Error::UnknownSku(s),
            q_out::Error::InvalidQuantity(n) => q_in::Error::InvalidQuantity(n),
            q_out::Error::InvalidTenant(s) => q_in::Error::InvalidTenant(s),
            q_out::Error::Unavailable(s) => q_in::Error::Unavailable(s),
        }
    }
}

impl From<q_in::ClaimLine> for q_out::ClaimLine {
    fn from(l: q_in::ClaimLine) -> Self {
        q_out::ClaimLine {
            promotion_id: l.promotion_id,
            units: l.units,
        }
    }
}

impl From<q_out::ClaimError> for q_in::ClaimError {
    fn from(e: q_out::ClaimError) -> Self {
        match e {
            q_out::ClaimError::UnknownPromotion(s) => q_in::ClaimError::UnknownPromotion(s),
            q_out::ClaimError::NotActive(s) => q_in::ClaimError::NotActive(s),
            q_out::ClaimError::Insufficient(t) => q_in::ClaimError::Insufficient(t),
            q_out::ClaimError::Conflict(s) => q_in::ClaimError::Conflict(s),
            q_out::ClaimError::Invalid(s) => q_in::ClaimError::Invalid(s),
            q_out::ClaimError::Unavailable(s) => q_in::ClaimError::Unavailable(s),
        }
    }
}

impl From<p_out::Product> for p_in::Product {
    fn from(p: p_out::Product) -> Self {
        p_in::Product {
            sku: p.sku,
            name: p.name,
            base_price: p.base_price,
            currency: p.currency,
        }
    }
}

impl From<p_out::Error> for p_in::Error {
    fn from(e: p_out::Error) -> Self {
        match e {
            p_out::Error::Unavailable(s) => p_in::Error::Unavailable(s),
        }
    }
}

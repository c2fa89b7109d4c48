//! Request parameters: the quantity and tenant of a quote (the query string
//! and path segments they come from are read with the kit's
//! [`sluice_kit::http`]).

use crate::errors::{ApiError, PricingError};

/// The largest quantity one quote (and one order line) may ask for.
pub const MAX_QTY: u32 = 1000;
/// Longest accepted tenant name.
pub const MAX_TENANT_CHARS: usize = 64;
/// The tenant of a caller who names none.
pub const DEFAULT_TENANT: &str = "default";

/// The quantity: `None` (no `qty` parameter) is 1; otherwise only ASCII
/// digits (no sign, no spaces, no decimals) with a value in 1..=1000.
/// Anything else is [`PricingError::InvalidQuantity`].
pub fn quantity(raw: Option<&str>) -> Result<u32, ApiError> {
    let invalid = || ApiError::Service(PricingError::InvalidQuantity);
    let Some(raw) = raw else { return Ok(1) };
    if raw.is_empty() || raw.len() > 10 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let qty: u64 = raw.parse().map_err(|_| invalid())?;
    match u32::try_from(qty) {
        Ok(qty) if check_quantity(qty) => Ok(qty),
        _ => Err(invalid()),
    }
}

/// Whether `qty` is a quantity a quote accepts: 1..=1000.
pub fn check_quantity(qty: u32) -> bool {
    (1..=MAX_QTY).contains(&qty)
}

/// Whether `tenant` is a valid tenant name: 1..=64 of `[a-z0-9_-]` (the
/// account service's rule).
pub fn check_tenant(tenant: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
    !tenant.is_empty() && tenant.len() <= MAX_TENANT_CHARS && tenant.bytes().all(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_kit::http::{query_param, split_target};

    const INVALID: Result<u32, ApiError> = Err(ApiError::Service(PricingError::InvalidQuantity));

    #[test]
    fn quantity_defaults_to_one() {
        assert_eq!(quantity(None), Ok(1));
    }

    #[test]
    fn quantity_accepts_1_to_1000() {
        assert_eq!(quantity(Some("1")), Ok(1));
        assert_eq!(quantity(Some("3")), Ok(3));
        assert_eq!(quantity(Some("007")), Ok(7));
        assert_eq!(quantity(Some("1000")), Ok(1000));
    }

    #[test]
    fn quantity_rejects_zero_negative_non_numeric_and_too_many() {
        for raw in [
            "0",
            "000",
            "-1",
            "-0",
            "+5",
            "1001",
            "4294967296",
            "99999999999999999999",
            "",
            " 3",
            "3 ",
            "abc",
            "3abc",
            "1.5",
            "1e2",
            "0x10",
            "١",
        ] {
            assert_eq!(quantity(Some(raw)), INVALID, "{raw:?}");
        }
    }

    #[test]
    fn tenants_follow_the_account_rules() {
        assert!(check_tenant("default"));
        assert!(check_tenant("acme-1_x"));
        assert!(check_tenant(&"a".repeat(64)));
        for bad in ["", "Acme", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(!check_tenant(bad), "{bad:?}");
        }
    }

    /// What pricing relies on of the kit's query reading that the kit's
    /// own tests do not spell out.
    #[test]
    fn query_params_are_found_and_decoded() {
        let q = "qty=3&tenant=acme%2D1&empty=";
        assert_eq!(query_param(q, "tenant").as_deref(), Some("acme-1"));
        assert_eq!(query_param(q, "empty").as_deref(), Some(""));
        assert_eq!(query_param("", "qty"), None);
        assert_eq!(query_param("q%74y=4", "qty").as_deref(), Some("4"));
        assert_eq!(split_target("/a"), ("/a", ""));
    }
}

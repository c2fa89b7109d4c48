//! The pricing service's errors: the kit's [`ApiError`](sluice_kit::errors::ApiError)
//! (which maps every error to HTTP in one place) with pricing's own.

use sluice_kit::errors::ServiceError;

/// Everything a pricing request can fail with, as the client sees it.
pub type ApiError = sluice_kit::errors::ApiError<PricingError>;

/// Pricing's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PricingError {
    /// `qty` is not an integer in 1..=1000.
    InvalidQuantity,
    /// `?tenant=` is not a valid tenant name.
    InvalidTenant,
    /// A promotion breaks a rule; the string says which.
    InvalidPromotion(String),
    /// Catalog has no product with this sku (a quote, or a promotion's sku).
    UnknownSku(String),
    /// No promotion has this id.
    UnknownPromotion(String),
    /// `?tenant=` names another tenant than the caller's token's (or
    /// "default" without a token), and the caller is no platform admin.
    TenantPreviewForbidden,
}

impl ServiceError for PricingError {
    const FORBIDDEN: &'static str = "this needs an admin account";
    const UNAVAILABLE: &'static str =
        "pricing is unavailable (its database or the catalog); try again later";

    fn status(&self) -> u16 {
        match self {
            PricingError::InvalidQuantity
            | PricingError::InvalidTenant
            | PricingError::InvalidPromotion(_) => 400,
            PricingError::TenantPreviewForbidden => 403,
            PricingError::UnknownSku(_) | PricingError::UnknownPromotion(_) => 404,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PricingError::InvalidQuantity => "invalid_quantity",
            PricingError::InvalidTenant => "invalid_tenant",
            PricingError::InvalidPromotion(_) => "invalid_promotion",
            PricingError::UnknownSku(_) => "unknown_sku",
            PricingError::UnknownPromotion(_) => "unknown_promotion",
            PricingError::TenantPreviewForbidden => "tenant_preview_forbidden",
        }
    }

    fn message(&self) -> String {
        match self {
            PricingError::InvalidQuantity => "qty must be a whole number from 1 to 1000".into(),
            PricingError::InvalidTenant => {
                "tenant must be 1 to 64 characters of a-z, 0-9, _ and -".into()
            }
            PricingError::InvalidPromotion(why) => why.clone(),
            PricingError::UnknownSku(sku) => format!("no product has the sku {sku:?}"),
            PricingError::UnknownPromotion(id) => format!("no promotion has the id {id:?}"),
            PricingError::TenantPreviewForbidden => {
                "a quote uses the tenant of the caller's token (\"default\" without one); \
                 only a platform admin may preview another tenant with ?tenant="
                    .into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Pricing's own errors; the kit's tests check every shared one.
    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases = [
            (PricingError::InvalidQuantity, 400, "invalid_quantity"),
            (PricingError::InvalidTenant, 400, "invalid_tenant"),
            (
                PricingError::InvalidPromotion("x".into()),
                400,
                "invalid_promotion",
            ),
            (PricingError::UnknownSku("S".into()), 404, "unknown_sku"),
            (
                PricingError::UnknownPromotion("p".into()),
                404,
                "unknown_promotion",
            ),
            (
                PricingError::TenantPreviewForbidden,
                403,
                "tenant_preview_forbidden",
            ),
        ];
        for (err, status, code) in cases {
            let reply = ApiError::Service(err.clone()).to_reply();
            let json: Value = serde_json::from_slice(&reply.body).unwrap();
            assert_eq!((reply.status, &json["error"]), (status, &Value::from(code)));
            assert!(
                json["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{err:?}"
            );
        }
    }

    #[test]
    fn messages_name_the_subject() {
        assert!(
            PricingError::UnknownSku("NOPE-1".into())
                .message()
                .contains("NOPE-1")
        );
        assert_eq!(
            PricingError::InvalidPromotion("why".into()).message(),
            "why"
        );
        assert_eq!(ApiError::Forbidden.message(), "this needs an admin account");
        assert!(ApiError::Unavailable.message().contains("the catalog"));
    }
}

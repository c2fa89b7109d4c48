//! The order service's errors: the kit's [`ApiError`](sluice_kit::errors::ApiError)
//! (which maps every error to HTTP in one place) with order's own, and
//! [`reply`], which adds what order's error replies say beyond the kit's: the
//! `"sku"`, `"promotion"` or `"status"` an error names, and `Retry-After`
//! on `unavailable`.

use crate::cancel::CANCEL_WINDOW_MS;
use crate::status::Status;
use sluice_kit::errors::ServiceError;

/// Everything an order request can fail with, as the client sees it.
pub type ApiError = sluice_kit::errors::ApiError<OrderError>;

/// Order's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderError {
    /// The items break a rule (none, too many skus, a bad sku, a quantity
    /// outside 1..=1000 after merging).
    InvalidItems(String),
    /// The `Idempotency-Key` header is not 1..=128 visible ASCII characters.
    InvalidIdempotencyKey,
    /// `?limit=` is not a whole number in 1..=200.
    InvalidLimit,
    /// `?scope=` is neither absent nor `all`.
    InvalidScope,
    /// The pricing service rejected the token's tenant.
    InvalidTenant(String),
    /// No product has this sku.
    UnknownSku(String),
    /// The sku has fewer units in stock than ordered.
    InsufficientStock(String),
    /// The idempotency key was used before with other items.
    IdempotencyKeyReused,
    /// Another request with the same key is still running (`Retry-After`).
    IdempotencyInProgress,
    /// A promotion's capped units ran out while the order was placed.
    PromotionSoldOut(String),
    /// A promotion ended or was deleted while the order was placed.
    PromotionEnded(String),
    /// The stock reservation id conflicts with an earlier one.
    Conflict(String),
    /// The order's status does not allow this: `order` is `status` and so
    /// cannot be `action` (e.g. "cancelled").
    InvalidTransition {
        order: String,
        status: Status,
        action: &'static str,
    },
    /// A customer's cancel came more than 30 minutes after the order.
    CancelWindowClosed,
    /// The lines are priced in more than one currency.
    MixedCurrency,
    /// The order took so long that its stock hold expired (or housekeeping
    /// gave it up) before it was written; nothing was kept (`Retry-After`).
    HoldExpired,
}

impl ServiceError for OrderError {
    const FORBIDDEN: &'static str = "this needs an admin account";
    const UNAVAILABLE: &'static str = "a service the order needs is unavailable; try again";
    /// A dependency or a shard that is away may be back in a moment.
    const UNAVAILABLE_RETRY_AFTER: Option<u32> = Some(1);

    fn status(&self) -> u16 {
        use OrderError::*;
        match self {
            InvalidItems(_)
            | InvalidIdempotencyKey
            | InvalidLimit
            | InvalidScope
            | InvalidTenant(_) => 400,
            UnknownSku(_) => 404,
            InsufficientStock(_)
            | IdempotencyKeyReused
            | IdempotencyInProgress
            | PromotionSoldOut(_)
            | PromotionEnded(_)
            | Conflict(_)
            | InvalidTransition { .. }
            | CancelWindowClosed => 409,
            MixedCurrency => 422,
            HoldExpired => 503,
        }
    }

    fn code(&self) -> &'static str {
        use OrderError::*;
        match self {
            InvalidItems(_) => "invalid_items",
            InvalidIdempotencyKey => "invalid_idempotency_key",
            InvalidLimit => "invalid_limit",
            InvalidScope => "invalid_scope",
            InvalidTenant(_) => "invalid_tenant",
            UnknownSku(_) => "unknown_sku",
            InsufficientStock(_) => "insufficient_stock",
            IdempotencyKeyReused => "idempotency_key_reused",
            IdempotencyInProgress => "idempotency_in_progress",
            PromotionSoldOut(_) => "promotion_sold_out",
            PromotionEnded(_) => "promotion_ended",
            Conflict(_) => "conflict",
            InvalidTransition { .. } => "invalid_transition",
            CancelWindowClosed => "cancel_window_closed",
            MixedCurrency => "mixed_currency",
            HoldExpired => "hold_expired",
        }
    }

    fn message(&self) -> String {
        use OrderError::*;
        match self {
            InvalidItems(why) | Conflict(why) => why.clone(),
            InvalidIdempotencyKey => {
                "Idempotency-Key must be 1 to 128 visible ASCII characters".into()
            }
            InvalidLimit => "limit must be a whole number from 1 to 200".into(),
            InvalidScope => "scope must be `all` or absent".into(),
            InvalidTenant(t) => format!("the tenant {t:?} cannot be priced"),
            UnknownSku(sku) => format!("no product has the sku {sku:?}"),
            InsufficientStock(sku) => format!("not enough stock of {sku:?}"),
            IdempotencyKeyReused => {
                "this Idempotency-Key was used for an order with other items".into()
            }
            IdempotencyInProgress => {
                "an order with this Idempotency-Key is still being placed; try again".into()
            }
            PromotionSoldOut(id) => format!("the promotion {id:?} has sold out"),
            PromotionEnded(id) => format!("the promotion {id:?} has ended"),
            InvalidTransition {
                order,
                status,
                action,
            } => format!("order {order} is {status}; a {status} order cannot be {action}"),
            CancelWindowClosed => format!(
                "an order can be cancelled only within {} minutes of placing it",
                CANCEL_WINDOW_MS / 60_000
            ),
            MixedCurrency => "the items are priced in more than one currency".into(),
            HoldExpired => {
                "the stock hold expired before the order was written; place the order again".into()
            }
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            OrderError::HoldExpired | OrderError::IdempotencyInProgress => {
                vec![("retry-after", "1".into())]
            }
            _ => Vec::new(),
        }
    }

    /// The sku, promotion or status the error names, as an extra member of
    /// the error body.
    fn named(&self) -> Option<(&'static str, &str)> {
        match self {
            OrderError::UnknownSku(s) | OrderError::InsufficientStock(s) => Some(("sku", s)),
            OrderError::PromotionSoldOut(p) | OrderError::PromotionEnded(p) => {
                Some(("promotion", p))
            }
            OrderError::InvalidTransition { status, .. } => Some(("status", status.as_str())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn body(err: &ApiError) -> Value {
        serde_json::from_slice(&err.to_reply().body).unwrap()
    }

    fn order(e: OrderError) -> ApiError {
        ApiError::Service(e)
    }

    fn cancelled() -> ApiError {
        order(OrderError::InvalidTransition {
            order: "0-ab".into(),
            status: Status::Cancelled,
            action: "cancelled",
        })
    }

    #[test]
    fn statuses_codes_and_named_subjects() {
        let cases = [
            (
                order(OrderError::InvalidItems("x".into())),
                400,
                "invalid_items",
            ),
            (
                order(OrderError::InvalidIdempotencyKey),
                400,
                "invalid_idempotency_key",
            ),
            (
                order(OrderError::InsufficientStock("S-1".into())),
                409,
                "insufficient_stock",
            ),
            (
                order(OrderError::UnknownSku("S-2".into())),
                404,
                "unknown_sku",
            ),
            (
                order(OrderError::PromotionSoldOut("p1".into())),
                409,
                "promotion_sold_out",
            ),
            (order(OrderError::MixedCurrency), 422, "mixed_currency"),
            (ApiError::Unavailable, 503, "unavailable"),
            (order(OrderError::HoldExpired), 503, "hold_expired"),
            (
                order(OrderError::CancelWindowClosed),
                409,
                "cancel_window_closed",
            ),
            (cancelled(), 409, "invalid_transition"),
            (
                ApiError::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.to_reply().status, status, "{err:?}");
            let json = body(&err);
            assert_eq!(json["error"], code);
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let json = body(&order(OrderError::InsufficientStock("S-1".into())));
        assert_eq!(json["sku"], "S-1");
        assert!(json["message"].as_str().unwrap().contains("S-1"));
        assert_eq!(
            body(&order(OrderError::PromotionSoldOut("p1".into())))["promotion"],
            "p1"
        );
        assert_eq!(body(&ApiError::NotFound).as_object().unwrap().len(), 2);
        let json = body(&cancelled());
        assert_eq!(
            json["message"],
            "order 0-ab is cancelled; a cancelled order cannot be cancelled"
        );
        assert_eq!(json["status"], "cancelled");
        assert!(
            body(&order(OrderError::CancelWindowClosed))["message"]
                .as_str()
                .unwrap()
                .contains("30 minutes")
        );
        assert!(
            body(&ApiError::Unavailable)["message"]
                .as_str()
                .unwrap()
                .contains("a service the order needs")
        );
    }

    #[test]
    fn extra_headers() {
        for err in [ApiError::Unavailable, order(OrderError::HoldExpired)] {
            assert_eq!(err.to_reply().header("retry-after"), Some("1"));
        }
        assert_eq!(
            ApiError::TokenExpired.to_reply().header("www-authenticate"),
            Some("Bearer")
        );
        let limited = ApiError::MethodNotAllowed { allow: "GET" }.to_reply();
        assert_eq!(limited.header("allow"), Some("GET"));
    }
}

//! The order service's one error type, and the one place that maps errors
//! to HTTP: a status code and a `{"error","message"}` JSON body (plus
//! `"sku"` or `"promotion"` when an error names one, `"status"` when an
//! order's status forbids the request).

use crate::cancel::CANCEL_WINDOW_MS;
use crate::ports::TokenError;
use crate::status::Status;
use serde::Serialize;
use sluice_kit::body::TooLarge;
use sluice_kit::reply::Reply;

/// Everything a request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not JSON of the expected shape; the string says why.
    InvalidJson(String),
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
    /// No `Authorization: Bearer` header.
    Unauthorized,
    /// The token is malformed or badly signed.
    InvalidToken,
    /// The token is past its expiry.
    TokenExpired,
    /// A valid token without the admin role where one is needed.
    Forbidden,
    /// No product has this sku.
    UnknownSku(String),
    /// No such path, or no such order visible to the caller.
    NotFound,
    /// The path exists but not with this method.
    MethodNotAllowed { allow: &'static str },
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
    /// The body is larger than the service accepts.
    PayloadTooLarge { limit: usize },
    /// The lines are priced in more than one currency.
    MixedCurrency,
    /// A database or another service could not be reached (`Retry-After`).
    Unavailable,
    /// The order took so long that its stock hold expired (or housekeeping
    /// gave it up) before it was written; nothing was kept (`Retry-After`).
    HoldExpired,
    /// Anything else that went wrong on our side (already logged).
    Internal,
}

/// The JSON error body.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
}

impl ApiError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            InvalidJson(_)
            | InvalidItems(_)
            | InvalidIdempotencyKey
            | InvalidLimit
            | InvalidScope
            | InvalidTenant(_) => 400,
            Unauthorized | InvalidToken | TokenExpired => 401,
            Forbidden => 403,
            UnknownSku(_) | NotFound => 404,
            MethodNotAllowed { .. } => 405,
            InsufficientStock(_)
            | IdempotencyKeyReused
            | IdempotencyInProgress
            | PromotionSoldOut(_)
            | PromotionEnded(_)
            | Conflict(_)
            | InvalidTransition { .. }
            | CancelWindowClosed => 409,
            PayloadTooLarge { .. } => 413,
            MixedCurrency => 422,
            Internal => 500,
            Unavailable | HoldExpired => 503,
        }
    }

    /// The machine-readable code, the `error` field of the body.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidJson(_) => "invalid_json",
            InvalidItems(_) => "invalid_items",
            InvalidIdempotencyKey => "invalid_idempotency_key",
            InvalidLimit => "invalid_limit",
            InvalidScope => "invalid_scope",
            InvalidTenant(_) => "invalid_tenant",
            Unauthorized => "unauthorized",
            InvalidToken => "invalid_token",
            TokenExpired => "token_expired",
            Forbidden => "forbidden",
            UnknownSku(_) => "unknown_sku",
            NotFound => "not_found",
            MethodNotAllowed { .. } => "method_not_allowed",
            InsufficientStock(_) => "insufficient_stock",
            IdempotencyKeyReused => "idempotency_key_reused",
            IdempotencyInProgress => "idempotency_in_progress",
            PromotionSoldOut(_) => "promotion_sold_out",
            PromotionEnded(_) => "promotion_ended",
            Conflict(_) => "conflict",
            InvalidTransition { .. } => "invalid_transition",
            CancelWindowClosed => "cancel_window_closed",
            PayloadTooLarge { .. } => "payload_too_large",
            MixedCurrency => "mixed_currency",
            Unavailable => "unavailable",
            HoldExpired => "hold_expired",
            Internal => "internal",
        }
    }

    /// A human sentence, the `message` field of the body.
    pub fn message(&self) -> String {
        use ApiError::*;
        match self {
            InvalidJson(why) => format!("invalid JSON body: {why}"),
            InvalidItems(why) => why.clone(),
            InvalidIdempotencyKey => {
                "Idempotency-Key must be 1 to 128 visible ASCII characters".into()
            }
            InvalidLimit => "limit must be a whole number from 1 to 200".into(),
            InvalidScope => "scope must be `all` or absent".into(),
            InvalidTenant(t) => format!("the tenant {t:?} cannot be priced"),
            Unauthorized => "an `Authorization: Bearer <token>` header is required".into(),
            InvalidToken => "the token is not valid".into(),
            TokenExpired => "the token has expired".into(),
            Forbidden => "this needs an admin account".into(),
            UnknownSku(sku) => format!("no product has the sku {sku:?}"),
            NotFound => "no such resource".into(),
            MethodNotAllowed { allow } => format!("method not allowed here; allowed: {allow}"),
            InsufficientStock(sku) => format!("not enough stock of {sku:?}"),
            IdempotencyKeyReused => {
                "this Idempotency-Key was used for an order with other items".into()
            }
            IdempotencyInProgress => {
                "an order with this Idempotency-Key is still being placed; try again".into()
            }
            PromotionSoldOut(id) => format!("the promotion {id:?} has sold out"),
            PromotionEnded(id) => format!("the promotion {id:?} has ended"),
            Conflict(why) => why.clone(),
            InvalidTransition {
                order,
                status,
                action,
            } => format!("order {order} is {status}; a {status} order cannot be {action}"),
            CancelWindowClosed => format!(
                "an order can be cancelled only within {} minutes of placing it",
                CANCEL_WINDOW_MS / 60_000
            ),
            PayloadTooLarge { limit } => format!("the request body is larger than {limit} bytes"),
            MixedCurrency => "the items are priced in more than one currency".into(),
            Unavailable => "a service the order needs is unavailable; try again".into(),
            HoldExpired => {
                "the stock hold expired before the order was written; place the order again".into()
            }
            Internal => "internal error".into(),
        }
    }

    /// The full HTTP response for this error, extra headers included.
    pub fn to_reply(&self) -> Reply {
        let (sku, promotion) = match self {
            ApiError::UnknownSku(s) | ApiError::InsufficientStock(s) => (Some(s.as_str()), None),
            ApiError::PromotionSoldOut(p) | ApiError::PromotionEnded(p) => (None, Some(p.as_str())),
            _ => (None, None),
        };
        let status = match self {
            ApiError::InvalidTransition { status, .. } => Some(status.as_str()),
            _ => None,
        };
        let body = ErrorBody {
            error: self.code(),
            message: self.message(),
            sku,
            promotion,
            status,
        };
        let reply = Reply::json(self.status(), &body);
        match self {
            ApiError::MethodNotAllowed { allow } => reply.with_header("allow", *allow),
            ApiError::Unauthorized | ApiError::InvalidToken | ApiError::TokenExpired => {
                reply.with_header("www-authenticate", "Bearer")
            }
            ApiError::Unavailable | ApiError::HoldExpired | ApiError::IdempotencyInProgress => {
                reply.with_header("retry-after", "1")
            }
            _ => reply,
        }
    }
}

impl From<ApiError> for Reply {
    fn from(err: ApiError) -> Reply {
        err.to_reply()
    }
}

impl From<TooLarge> for ApiError {
    fn from(e: TooLarge) -> ApiError {
        ApiError::PayloadTooLarge { limit: e.limit }
    }
}

/// A token the host's `token` capability rejected: 401 `invalid_token` or
/// `token_expired`.
impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> ApiError {
        match e {
            TokenError::Invalid => ApiError::InvalidToken,
            TokenError::Expired => ApiError::TokenExpired,
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

    #[test]
    fn statuses_codes_and_named_subjects() {
        let cases = [
            (ApiError::InvalidItems("x".into()), 400, "invalid_items"),
            (
                ApiError::InvalidIdempotencyKey,
                400,
                "invalid_idempotency_key",
            ),
            (
                ApiError::InsufficientStock("S-1".into()),
                409,
                "insufficient_stock",
            ),
            (ApiError::UnknownSku("S-2".into()), 404, "unknown_sku"),
            (
                ApiError::PromotionSoldOut("p1".into()),
                409,
                "promotion_sold_out",
            ),
            (ApiError::MixedCurrency, 422, "mixed_currency"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::HoldExpired, 503, "hold_expired"),
            (ApiError::CancelWindowClosed, 409, "cancel_window_closed"),
            (
                ApiError::InvalidTransition {
                    order: "0-ab".into(),
                    status: Status::Cancelled,
                    action: "cancelled",
                },
                409,
                "invalid_transition",
            ),
            (
                ApiError::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status(), status, "{err:?}");
            let json = body(&err);
            assert_eq!(json["error"], code);
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let json = body(&ApiError::InsufficientStock("S-1".into()));
        assert_eq!(json["sku"], "S-1");
        assert!(json["message"].as_str().unwrap().contains("S-1"));
        assert_eq!(
            body(&ApiError::PromotionSoldOut("p1".into()))["promotion"],
            "p1"
        );
        assert_eq!(body(&ApiError::NotFound).as_object().unwrap().len(), 2);
        let json = body(&ApiError::InvalidTransition {
            order: "0-ab".into(),
            status: Status::Cancelled,
            action: "cancelled",
        });
        assert_eq!(
            json["message"],
            "order 0-ab is cancelled; a cancelled order cannot be cancelled"
        );
        assert_eq!(json["status"], "cancelled");
        assert!(
            body(&ApiError::CancelWindowClosed)["message"]
                .as_str()
                .unwrap()
                .contains("30 minutes")
        );
    }

    #[test]
    fn extra_headers() {
        for err in [ApiError::Unavailable, ApiError::HoldExpired] {
            assert_eq!(err.to_reply().header("retry-after"), Some("1"));
        }
        assert_eq!(
            ApiError::TokenExpired.to_reply().header("www-authenticate"),
            Some("Bearer")
        );
        let reply = ApiError::MethodNotAllowed { allow: "GET" }.to_reply();
        assert_eq!(reply.header("allow"), Some("GET"));
    }
}

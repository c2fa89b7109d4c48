//! The pricing service's one error type, and the one place that maps errors
//! to HTTP: a status code and a `{"error","message"}` JSON body.

use crate::ports::TokenError;
use crate::reply::Reply;
use serde::Serialize;

/// Everything a request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not the JSON expected; the string says why.
    InvalidJson(String),
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
    /// No `Authorization: Bearer` header on an admin route.
    Unauthorized,
    /// The token is malformed or badly signed.
    InvalidToken,
    /// The token is past its expiry.
    TokenExpired,
    /// A valid token without the admin role on an admin route.
    Forbidden,
    /// `?tenant=` names another tenant than the caller's token's (or
    /// "default" without a token), and the caller is no platform admin.
    TenantPreviewForbidden,
    /// The body is larger than the service accepts.
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The path exists but not with this method.
    MethodNotAllowed {
        /// The methods the path accepts, for the `Allow` header.
        allow: &'static str,
    },
    /// No such path.
    NotFound,
    /// The database or catalog's product lookup could not be reached.
    Unavailable,
    /// Anything else that went wrong on our side (already logged).
    Internal,
}

/// The JSON error body of the public API.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
}

impl ApiError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidJson(_)
            | ApiError::InvalidQuantity
            | ApiError::InvalidTenant
            | ApiError::InvalidPromotion(_) => 400,
            ApiError::Unauthorized | ApiError::InvalidToken | ApiError::TokenExpired => 401,
            ApiError::Forbidden | ApiError::TenantPreviewForbidden => 403,
            ApiError::UnknownSku(_) | ApiError::UnknownPromotion(_) | ApiError::NotFound => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }

    /// The machine-readable code, the `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidQuantity => "invalid_quantity",
            ApiError::InvalidTenant => "invalid_tenant",
            ApiError::InvalidPromotion(_) => "invalid_promotion",
            ApiError::UnknownSku(_) => "unknown_sku",
            ApiError::UnknownPromotion(_) => "unknown_promotion",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::TokenExpired => "token_expired",
            ApiError::Forbidden => "forbidden",
            ApiError::TenantPreviewForbidden => "tenant_preview_forbidden",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotFound => "not_found",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    /// A human sentence, the `message` field of the body.
    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidJson(why) => format!("invalid JSON body: {why}"),
            ApiError::InvalidQuantity => "qty must be a whole number from 1 to 1000".into(),
            ApiError::InvalidTenant => {
                "tenant must be 1 to 64 characters of a-z, 0-9, _ and -".into()
            }
            ApiError::InvalidPromotion(why) => why.clone(),
            ApiError::UnknownSku(sku) => format!("no product has the sku {sku:?}"),
            ApiError::UnknownPromotion(id) => format!("no promotion has the id {id:?}"),
            ApiError::Unauthorized => {
                "an `Authorization: Bearer <token>` header is required".into()
            }
            ApiError::InvalidToken => "the token is not valid".into(),
            ApiError::TokenExpired => "the token has expired".into(),
            ApiError::Forbidden => "this needs an admin account".into(),
            ApiError::TenantPreviewForbidden => {
                "a quote uses the tenant of the caller's token (\"default\" without one); \
                 only a platform admin may preview another tenant with ?tenant="
                    .into()
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {limit} bytes")
            }
            ApiError::MethodNotAllowed { allow } => {
                format!("method not allowed here; allowed: {allow}")
            }
            ApiError::NotFound => "no such resource".into(),
            ApiError::Unavailable => {
                "pricing is unavailable (its database or the catalog); try again later".into()
            }
            ApiError::Internal => "internal error".into(),
        }
    }

    /// The full HTTP response for this error, extra headers included.
    pub fn to_reply(&self) -> Reply {
        let body = ErrorBody {
            error: self.code(),
            message: self.message(),
        };
        let reply = Reply::json(self.status(), &body);
        match self {
            ApiError::MethodNotAllowed { allow } => reply.with_header("allow", *allow),
            ApiError::Unauthorized | ApiError::InvalidToken | ApiError::TokenExpired => {
                reply.with_header("www-authenticate", "Bearer")
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

impl From<crate::body::TooLarge> for ApiError {
    fn from(e: crate::body::TooLarge) -> Self {
        ApiError::PayloadTooLarge { limit: e.limit }
    }
}

/// A token the host's `token` capability rejected: 401 `invalid_token` or
/// `token_expired`.
impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
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

    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases = [
            (ApiError::InvalidJson("x".into()), 400, "invalid_json"),
            (ApiError::InvalidQuantity, 400, "invalid_quantity"),
            (ApiError::InvalidTenant, 400, "invalid_tenant"),
            (
                ApiError::InvalidPromotion("x".into()),
                400,
                "invalid_promotion",
            ),
            (ApiError::UnknownSku("S".into()), 404, "unknown_sku"),
            (
                ApiError::UnknownPromotion("p".into()),
                404,
                "unknown_promotion",
            ),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::InvalidToken, 401, "invalid_token"),
            (ApiError::TokenExpired, 401, "token_expired"),
            (ApiError::Forbidden, 403, "forbidden"),
            (
                ApiError::TenantPreviewForbidden,
                403,
                "tenant_preview_forbidden",
            ),
            (
                ApiError::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
            (
                ApiError::MethodNotAllowed { allow: "GET" },
                405,
                "method_not_allowed",
            ),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::Internal, 500, "internal"),
        ];
        for (err, status, code) in cases {
            let reply = err.to_reply();
            assert_eq!(reply.status, status, "{err:?}");
            assert_eq!(reply.header("content-type"), Some("application/json"));
            let json: Value = serde_json::from_slice(&reply.body).unwrap();
            assert_eq!(json["error"], code, "{err:?}");
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert_eq!(json.as_object().unwrap().len(), 2, "only error and message");
        }
    }

    #[test]
    fn extra_headers() {
        let reply = ApiError::MethodNotAllowed { allow: "GET, POST" }.to_reply();
        assert_eq!(reply.header("allow"), Some("GET, POST"));
        assert_eq!(
            ApiError::Unauthorized.to_reply().header("www-authenticate"),
            Some("Bearer")
        );
    }

    #[test]
    fn messages_name_the_subject() {
        assert!(
            ApiError::UnknownSku("NOPE-1".into())
                .message()
                .contains("NOPE-1")
        );
        assert_eq!(ApiError::InvalidPromotion("why".into()).message(), "why");
    }
}

//! The catalog service's one error type, and the one place that maps errors
//! to HTTP: a status code and a `{"error","message"}` JSON body.

use crate::ports::TokenError;
use crate::reply::Reply;
use serde::Serialize;

/// Everything a request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not the JSON expected; the string says why.
    InvalidJson(String),
    /// A field of a product breaks its rule; the message says which and how.
    InvalidField {
        /// The machine code, e.g. `invalid_sku`.
        code: &'static str,
        message: String,
    },
    /// `limit` or `offset` is not acceptable; the string says why.
    InvalidQuery(&'static str),
    /// A product with this sku already exists.
    SkuTaken(String),
    /// No `Authorization: Bearer` header.
    Unauthorized,
    /// The token is malformed or badly signed.
    InvalidToken,
    /// The token is past its expiry.
    TokenExpired,
    /// The token is good but its role may not do this.
    Forbidden,
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
    /// No product has this sku.
    UnknownProduct(String),
    /// No such path.
    NotFound,
    /// The database could not be reached.
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
    /// A field error with `code` and a human `message`.
    pub fn field(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::InvalidField {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidJson(_)
            | ApiError::InvalidField { .. }
            | ApiError::InvalidQuery(_) => 400,
            ApiError::Unauthorized | ApiError::InvalidToken | ApiError::TokenExpired => 401,
            ApiError::Forbidden => 403,
            ApiError::UnknownProduct(_) | ApiError::NotFound => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::SkuTaken(_) => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }

    /// The machine-readable code, the `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidField { code, .. } => code,
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::SkuTaken(_) => "sku_taken",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::TokenExpired => "token_expired",
            ApiError::Forbidden => "forbidden",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::UnknownProduct(_) | ApiError::NotFound => "not_found",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    /// A human sentence, the `message` field of the body.
    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidJson(why) => format!("invalid JSON body: {why}"),
            ApiError::InvalidField { message, .. } => message.clone(),
            ApiError::InvalidQuery(why) => (*why).to_string(),
            ApiError::SkuTaken(sku) => format!("a product with sku {sku} already exists"),
            ApiError::Unauthorized => {
                "an `Authorization: Bearer <token>` header is required".into()
            }
            ApiError::InvalidToken => "the token is not valid".into(),
            ApiError::TokenExpired => "the token has expired".into(),
            ApiError::Forbidden => "this needs an admin account".into(),
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {limit} bytes")
            }
            ApiError::MethodNotAllowed { allow } => {
                format!("method not allowed here; allowed: {allow}")
            }
            ApiError::UnknownProduct(sku) => format!("no product has sku {sku}"),
            ApiError::NotFound => "no such resource".into(),
            ApiError::Unavailable => "the catalog database is unavailable; try again later".into(),
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

    fn body(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).expect("error body is JSON")
    }

    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases = [
            (ApiError::InvalidJson("x".into()), 400, "invalid_json"),
            (ApiError::field("invalid_sku", "bad"), 400, "invalid_sku"),
            (ApiError::InvalidQuery("x"), 400, "invalid_query"),
            (ApiError::SkuTaken("A".into()), 409, "sku_taken"),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::InvalidToken, 401, "invalid_token"),
            (ApiError::TokenExpired, 401, "token_expired"),
            (ApiError::Forbidden, 403, "forbidden"),
            (
                ApiError::PayloadTooLarge { limit: 65536 },
                413,
                "payload_too_large",
            ),
            (
                ApiError::MethodNotAllowed { allow: "GET" },
                405,
                "method_not_allowed",
            ),
            (ApiError::UnknownProduct("X".into()), 404, "not_found"),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::Internal, 500, "internal"),
        ];
        for (err, status, code) in cases {
            let reply = err.to_reply();
            assert_eq!(reply.status, status, "{err:?}");
            assert_eq!(reply.header("content-type"), Some("application/json"));
            let json = body(&reply);
            assert_eq!(json["error"], code, "{err:?}");
            assert!(
                json["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{err:?} has a message"
            );
            assert_eq!(json.as_object().unwrap().len(), 2, "only error and message");
        }
    }

    #[test]
    fn messages_name_the_sku_and_headers_follow_the_error() {
        let json = body(&ApiError::UnknownProduct("NOPE-1".into()).to_reply());
        assert!(json["message"].as_str().unwrap().contains("NOPE-1"));
        let json = body(&ApiError::SkuTaken("DUP-1".into()).to_reply());
        assert!(json["message"].as_str().unwrap().contains("DUP-1"));
        let reply = ApiError::MethodNotAllowed { allow: "GET, PUT" }.to_reply();
        assert_eq!(reply.header("allow"), Some("GET, PUT"));
        assert_eq!(
            ApiError::Unauthorized.to_reply().header("www-authenticate"),
            Some("Bearer")
        );
        assert_eq!(
            ApiError::Forbidden.to_reply().header("www-authenticate"),
            None
        );
    }
}

//! The catalog service's errors: the kit's [`ApiError`](sluice_kit::errors::ApiError)
//! (which maps every error to HTTP in one place) with the catalog's own.

use sluice_kit::errors::ServiceError;

/// Everything a catalog request can fail with, as the client sees it.
pub type ApiError = sluice_kit::errors::ApiError<CatalogError>;

/// The catalog's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
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
    /// No product has this sku.
    UnknownProduct(String),
}

impl CatalogError {
    /// A field error with `code` and a human `message`.
    pub fn field(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Service(CatalogError::InvalidField {
            code,
            message: message.into(),
        })
    }
}

impl ServiceError for CatalogError {
    const FORBIDDEN: &'static str = "this needs an admin account";
    const UNAVAILABLE: &'static str = "the catalog database is unavailable; try again later";

    fn status(&self) -> u16 {
        match self {
            CatalogError::InvalidField { .. } | CatalogError::InvalidQuery(_) => 400,
            CatalogError::UnknownProduct(_) => 404,
            CatalogError::SkuTaken(_) => 409,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            CatalogError::InvalidField { code, .. } => code,
            CatalogError::InvalidQuery(_) => "invalid_query",
            CatalogError::SkuTaken(_) => "sku_taken",
            CatalogError::UnknownProduct(_) => "not_found",
        }
    }

    fn message(&self) -> String {
        match self {
            CatalogError::InvalidField { message, .. } => message.clone(),
            CatalogError::InvalidQuery(why) => (*why).to_string(),
            CatalogError::SkuTaken(sku) => format!("a product with sku {sku} already exists"),
            CatalogError::UnknownProduct(sku) => format!("no product has sku {sku}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Reply;
    use serde_json::Value;

    fn body(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).expect("error body is JSON")
    }

    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases = [
            (ApiError::InvalidJson("x".into()), 400, "invalid_json"),
            (
                CatalogError::field("invalid_sku", "bad"),
                400,
                "invalid_sku",
            ),
            (
                ApiError::Service(CatalogError::InvalidQuery("x")),
                400,
                "invalid_query",
            ),
            (
                ApiError::Service(CatalogError::SkuTaken("A".into())),
                409,
                "sku_taken",
            ),
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
            (
                ApiError::Service(CatalogError::UnknownProduct("X".into())),
                404,
                "not_found",
            ),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::Internal, 500, "internal"),
        ];
        for (err, status, code) in cases {
            let reply = err.to_reply();
            assert_eq!(reply.header("content-type"), Some("application/json"));
            let json = sluice_kit::testing::assert_error(&reply, status, code);
            assert_eq!(json.as_object().unwrap().len(), 2, "only error and message");
        }
    }

    #[test]
    fn messages_name_the_sku_and_headers_follow_the_error() {
        let unknown = ApiError::Service(CatalogError::UnknownProduct("NOPE-1".into()));
        let json = body(&unknown.to_reply());
        assert!(json["message"].as_str().unwrap().contains("NOPE-1"));
        let taken = ApiError::Service(CatalogError::SkuTaken("DUP-1".into()));
        let json = body(&taken.to_reply());
        assert!(json["message"].as_str().unwrap().contains("DUP-1"));
        let json = body(&ApiError::Unavailable.to_reply());
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains("catalog database")
        );
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

//! Every service's error type and the one place that turns it into HTTP: a
//! status code, the `{"error","message"}` JSON body and the headers the
//! error calls for. The failures every service reports alike (bad JSON,
//! missing or bad tokens, a body too large, a wrong method, no such path,
//! the database away, a bug) are [`ApiError`]'s own variants; a service adds
//! its own as `Service(E)`, with `E` saying its status, code and message
//! ([`ServiceError`]). A service names the whole `ApiError<ItsError>`, so
//! `ApiError::Unauthorized` reads the same everywhere.

use crate::body::TooLarge;
use crate::reply::Reply;
use crate::token::TokenError;
use serde::Serialize;
use std::collections::BTreeMap;

/// A service's own errors: how each is answered.
pub trait ServiceError {
    /// What `Forbidden` says in this service, e.g. "this needs an admin
    /// account".
    const FORBIDDEN: &'static str;
    /// What `Unavailable` says in this service, e.g. "the catalog database
    /// is unavailable; try again later".
    const UNAVAILABLE: &'static str;
    /// The HTTP status code.
    fn status(&self) -> u16;
    /// The machine-readable code, the `error` field of the body.
    fn code(&self) -> &'static str;
    /// A human sentence, the `message` field of the body.
    fn message(&self) -> String;
    /// Headers the error adds, e.g. `retry-after`.
    fn headers(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// What the error names (a sku, a status), as one more member of the
    /// body, e.g. `("sku", "A-1")`.
    fn named(&self) -> Option<(&'static str, &str)> {
        None
    }
    /// The `retry-after` of `Unavailable`, in seconds, when this service's
    /// dependencies come back soon enough to say so.
    const UNAVAILABLE_RETRY_AFTER: Option<u32> = None;
}

/// Everything a request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError<E> {
    /// The body is not the JSON expected; the string says why.
    InvalidJson(String),
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
    /// No such path or resource.
    NotFound,
    /// Something the request needs (the database, another service) could
    /// not be reached; worth retrying.
    Unavailable,
    /// Anything else that went wrong on our side (already logged).
    Internal,
    /// The service's own.
    Service(E),
}

/// The JSON error body of the public API (plus what a service error
/// names, [`ServiceError::named`]).
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    #[serde(flatten)]
    named: Option<BTreeMap<&'static str, &'a str>>,
}

impl<E: ServiceError> ApiError<E> {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidJson(_) => 400,
            ApiError::Unauthorized | ApiError::InvalidToken | ApiError::TokenExpired => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
            ApiError::Service(e) => e.status(),
        }
    }

    /// The machine-readable code, the `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::TokenExpired => "token_expired",
            ApiError::Forbidden => "forbidden",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotFound => "not_found",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal",
            ApiError::Service(e) => e.code(),
        }
    }

    /// A human sentence, the `message` field of the body.
    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidJson(why) => format!("invalid JSON body: {why}"),
            ApiError::Unauthorized => {
                "an `Authorization: Bearer <token>` header is required".into()
            }
            ApiError::InvalidToken => "the token is not valid".into(),
            ApiError::TokenExpired => "the token has expired".into(),
            ApiError::Forbidden => E::FORBIDDEN.into(),
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {limit} bytes")
            }
            ApiError::MethodNotAllowed { allow } => {
                format!("method not allowed here; allowed: {allow}")
            }
            ApiError::NotFound => "no such resource".into(),
            ApiError::Unavailable => E::UNAVAILABLE.into(),
            ApiError::Internal => "internal error".into(),
            ApiError::Service(e) => e.message(),
        }
    }

    /// The full HTTP response for this error, extra headers included.
    pub fn to_reply(&self) -> Reply {
        let named = match self {
            ApiError::Service(e) => e
                .named()
                .map(|(name, value)| BTreeMap::from([(name, value)])),
            _ => None,
        };
        let body = ErrorBody {
            error: self.code(),
            message: self.message(),
            named,
        };
        let reply = Reply::json(self.status(), &body);
        match self {
            ApiError::MethodNotAllowed { allow } => reply.with_header("allow", *allow),
            ApiError::Unavailable => match E::UNAVAILABLE_RETRY_AFTER {
                Some(secs) => reply.with_header("retry-after", secs.to_string()),
                None => reply,
            },
            ApiError::Unauthorized | ApiError::InvalidToken | ApiError::TokenExpired => {
                reply.with_header("www-authenticate", "Bearer")
            }
            ApiError::Service(e) => e
                .headers()
                .into_iter()
                .fold(reply, |reply, (name, value)| reply.with_header(name, value)),
            _ => reply,
        }
    }
}

/// `route` if `method` is `allow`, else 405 naming `allow`: for a path
/// that takes one method.
pub fn only<R, E>(method: &str, allow: &'static str, route: R) -> Result<R, ApiError<E>> {
    if method == allow {
        Ok(route)
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

impl<E: ServiceError> From<ApiError<E>> for Reply {
    fn from(err: ApiError<E>) -> Reply {
        err.to_reply()
    }
}

impl<E> From<TooLarge> for ApiError<E> {
    fn from(e: TooLarge) -> Self {
        ApiError::PayloadTooLarge { limit: e.limit }
    }
}

/// A token the host's `token` capability rejected: 401 `invalid_token` or
/// `token_expired`.
impl<E> From<TokenError> for ApiError<E> {
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

    /// A service with one error of its own, answered 409 with a header.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Taken(String);

    impl ServiceError for Taken {
        const FORBIDDEN: &'static str = "this needs an admin account";
        const UNAVAILABLE: &'static str = "the test database is unavailable; try again later";
        fn status(&self) -> u16 {
            409
        }
        fn code(&self) -> &'static str {
            "taken"
        }
        fn message(&self) -> String {
            format!("{} is taken", self.0)
        }
        fn headers(&self) -> Vec<(&'static str, String)> {
            vec![("retry-after", "1".into())]
        }
        fn named(&self) -> Option<(&'static str, &str)> {
            Some(("sku", &self.0))
        }
        const UNAVAILABLE_RETRY_AFTER: Option<u32> = Some(2);
    }

    fn body(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).expect("error body is JSON")
    }

    #[test]
    fn every_error_maps_to_its_status_code_and_message() {
        let cases: [(ApiError<Taken>, u16, &str); 11] = [
            (ApiError::InvalidJson("x".into()), 400, "invalid_json"),
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
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::Internal, 500, "internal"),
            (ApiError::Service(Taken("A".into())), 409, "taken"),
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
            let members = if code == "taken" { 3 } else { 2 };
            assert_eq!(json.as_object().unwrap().len(), members, "{json}");
        }
    }

    #[test]
    fn messages_and_headers_follow_the_error() {
        let reply = ApiError::Service(Taken("DUP-1".into())).to_reply();
        assert_eq!(body(&reply)["message"], "DUP-1 is taken");
        assert_eq!(body(&reply)["sku"], "DUP-1");
        assert_eq!(reply.header("retry-after"), Some("1"));
        let reply = ApiError::<Taken>::MethodNotAllowed { allow: "GET, PUT" }.to_reply();
        assert_eq!(reply.header("allow"), Some("GET, PUT"));
        let unauthorized = ApiError::<Taken>::Unauthorized.to_reply();
        assert_eq!(unauthorized.header("www-authenticate"), Some("Bearer"));
        let forbidden = ApiError::<Taken>::Forbidden.to_reply();
        assert_eq!(forbidden.header("www-authenticate"), None);
        assert_eq!(body(&forbidden)["message"], Taken::FORBIDDEN);
        let unavailable = ApiError::<Taken>::Unavailable.to_reply();
        assert_eq!(body(&unavailable)["message"], Taken::UNAVAILABLE);
        assert_eq!(unavailable.header("retry-after"), Some("2"));
        let internal = ApiError::<Taken>::Internal.to_reply();
        assert_eq!(internal.header("retry-after"), None);
    }

    #[test]
    fn a_path_of_one_method_refuses_the_others() {
        assert_eq!(only::<_, Taken>("PUT", "PUT", 7), Ok(7));
        assert_eq!(
            only::<_, Taken>("GET", "PUT", 7),
            Err(ApiError::MethodNotAllowed { allow: "PUT" })
        );
    }

    #[test]
    fn rejected_tokens_and_large_bodies_convert() {
        let e: ApiError<Taken> = TokenError::Expired.into();
        assert_eq!(e, ApiError::TokenExpired);
        let e: ApiError<Taken> = TokenError::Invalid.into();
        assert_eq!(e, ApiError::InvalidToken);
        let e: ApiError<Taken> = TooLarge { limit: 9 }.into();
        assert_eq!(e, ApiError::PayloadTooLarge { limit: 9 });
    }
}

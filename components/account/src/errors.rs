//! The account service's one error type, and the one place that maps errors
//! to HTTP: a status code and a `{"error","message"}` JSON body.

use crate::ports::TokenError;
use crate::reply::Reply;
use serde::Serialize;

/// Everything a request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not the JSON expected; the string says why.
    InvalidJson(String),
    /// The email is not a plausible address; the string says why.
    InvalidEmail(&'static str),
    /// The password is too short or too long.
    InvalidPassword(&'static str),
    /// The tenant name breaks the rules.
    InvalidTenant(&'static str),
    /// A field of an admin request breaks its rules; the string names the
    /// field and the rule.
    InvalidInput(String),
    /// The customer attributes break the rules; the string says which.
    InvalidAttributes(String),
    /// Self-registration into a tenant other than `default`.
    TenantInviteOnly,
    /// A valid token whose role may not do this.
    Forbidden,
    /// An account with this email already exists.
    EmailTaken,
    /// A tenant with this id already exists.
    TenantExists,
    /// The account is a platform admin, whom tenant routes do not change.
    PlatformAdmin,
    /// Tenant `default` keeps its members.
    DefaultTenant,
    /// The account changed under the request, again and again.
    Conflict,
    /// Unknown email or wrong password (deliberately indistinguishable).
    InvalidCredentials,
    /// Throttled; the client may retry after this many whole seconds.
    RateLimited {
        /// The `Retry-After` value, at least 1.
        retry_after_secs: u64,
    },
    /// No `Authorization: Bearer` header.
    Unauthorized,
    /// The token is malformed, badly signed, or names no account.
    InvalidToken,
    /// The token is past its expiry.
    TokenExpired,
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
    /// No such thing (`"tenant"`, `"account"`) on a known path.
    NoSuch(&'static str),
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
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidJson(_)
            | ApiError::InvalidEmail(_)
            | ApiError::InvalidPassword(_)
            | ApiError::InvalidTenant(_)
            | ApiError::InvalidInput(_)
            | ApiError::InvalidAttributes(_) => 400,
            ApiError::InvalidCredentials
            | ApiError::Unauthorized
            | ApiError::InvalidToken
            | ApiError::TokenExpired => 401,
            ApiError::TenantInviteOnly | ApiError::Forbidden => 403,
            ApiError::NotFound | ApiError::NoSuch(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::EmailTaken
            | ApiError::TenantExists
            | ApiError::PlatformAdmin
            | ApiError::DefaultTenant
            | ApiError::Conflict => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::RateLimited { .. } => 429,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }

    /// The machine-readable code, the `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidEmail(_) => "invalid_email",
            ApiError::InvalidPassword(_) => "invalid_password",
            ApiError::InvalidTenant(_) => "invalid_tenant",
            ApiError::InvalidInput(_) => "invalid_input",
            ApiError::InvalidAttributes(_) => "invalid_attributes",
            ApiError::TenantInviteOnly => "tenant_invite_only",
            ApiError::Forbidden => "forbidden",
            ApiError::EmailTaken => "email_taken",
            ApiError::TenantExists => "tenant_exists",
            ApiError::PlatformAdmin => "platform_admin",
            ApiError::DefaultTenant => "default_tenant",
            ApiError::Conflict => "conflict",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::TokenExpired => "token_expired",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotFound | ApiError::NoSuch(_) => "not_found",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    /// A human sentence, the `message` field of the body.
    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidJson(why) => format!("invalid JSON body: {why}"),
            ApiError::InvalidEmail(why)
            | ApiError::InvalidPassword(why)
            | ApiError::InvalidTenant(why) => (*why).to_string(),
            ApiError::InvalidInput(why) | ApiError::InvalidAttributes(why) => why.clone(),
            ApiError::TenantInviteOnly => "an account joins a tenant only through an admin of \
                the platform or of that tenant; register without a tenant and ask one of them \
                to add you"
                .into(),
            ApiError::Forbidden => "your role does not allow this".into(),
            ApiError::EmailTaken => "an account with this email already exists".into(),
            ApiError::TenantExists => "a tenant with this id already exists".into(),
            ApiError::PlatformAdmin => {
                "the account is a platform admin; its tenant and role are not changed here".into()
            }
            ApiError::DefaultTenant => "accounts cannot be removed from tenant \"default\"".into(),
            ApiError::Conflict => "the account changed during the request; try again".into(),
            ApiError::InvalidCredentials => "wrong email or password".into(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("too many attempts; retry after {retry_after_secs} s")
            }
            ApiError::Unauthorized => {
                "an `Authorization: Bearer <token>` header is required".into()
            }
            ApiError::InvalidToken => "the token is not valid".into(),
            ApiError::TokenExpired => "the token has expired".into(),
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {limit} bytes")
            }
            ApiError::MethodNotAllowed { allow } => {
                format!("method not allowed here; allowed: {allow}")
            }
            ApiError::NotFound => "no such resource".into(),
            ApiError::NoSuch(what) => format!("no such {what}"),
            ApiError::Unavailable => "the account database is unavailable; try again later".into(),
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
            ApiError::RateLimited { retry_after_secs } => {
                reply.with_header("retry-after", retry_after_secs.to_string())
            }
            ApiError::MethodNotAllowed { allow } => reply.with_header("allow", *allow),
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
            (ApiError::InvalidEmail("x"), 400, "invalid_email"),
            (ApiError::InvalidPassword("x"), 400, "invalid_password"),
            (ApiError::InvalidTenant("x"), 400, "invalid_tenant"),
            (ApiError::InvalidInput("x".into()), 400, "invalid_input"),
            (
                ApiError::InvalidAttributes("x".into()),
                400,
                "invalid_attributes",
            ),
            (ApiError::TenantInviteOnly, 403, "tenant_invite_only"),
            (ApiError::Forbidden, 403, "forbidden"),
            (ApiError::EmailTaken, 409, "email_taken"),
            (ApiError::TenantExists, 409, "tenant_exists"),
            (ApiError::PlatformAdmin, 409, "platform_admin"),
            (ApiError::DefaultTenant, 409, "default_tenant"),
            (ApiError::Conflict, 409, "conflict"),
            (ApiError::InvalidCredentials, 401, "invalid_credentials"),
            (
                ApiError::RateLimited {
                    retry_after_secs: 2,
                },
                429,
                "rate_limited",
            ),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::InvalidToken, 401, "invalid_token"),
            (ApiError::TokenExpired, 401, "token_expired"),
            (
                ApiError::PayloadTooLarge { limit: 65536 },
                413,
                "payload_too_large",
            ),
            (
                ApiError::MethodNotAllowed { allow: "POST" },
                405,
                "method_not_allowed",
            ),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::NoSuch("tenant"), 404, "not_found"),
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
    fn rate_limited_carries_retry_after() {
        let reply = ApiError::RateLimited {
            retry_after_secs: 7,
        }
        .to_reply();
        assert_eq!(reply.header("retry-after"), Some("7"));
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let reply = ApiError::MethodNotAllowed { allow: "GET" }.to_reply();
        assert_eq!(reply.header("allow"), Some("GET"));
    }

    #[test]
    fn invalid_json_message_keeps_the_reason() {
        let reply = ApiError::InvalidJson("missing field `email`".into()).to_reply();
        let json = body(&reply);
        assert!(json["message"].as_str().unwrap().contains("`email`"));
    }
}

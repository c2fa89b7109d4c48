//! The account service's errors: the kit's [`ApiError`](sluice_kit::errors::ApiError)
//! (which maps every error to HTTP in one place) with the account's own.

use sluice_kit::errors::ServiceError;

/// Everything an account request can fail with, as the client sees it.
pub type ApiError = sluice_kit::errors::ApiError<AccountError>;

/// The account service's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
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
    /// No such thing (`"tenant"`, `"account"`) on a known path.
    NoSuch(&'static str),
}

impl ServiceError for AccountError {
    const FORBIDDEN: &'static str = "your role does not allow this";
    const UNAVAILABLE: &'static str = "the account database is unavailable; try again later";

    fn status(&self) -> u16 {
        match self {
            AccountError::InvalidEmail(_)
            | AccountError::InvalidPassword(_)
            | AccountError::InvalidTenant(_)
            | AccountError::InvalidInput(_)
            | AccountError::InvalidAttributes(_) => 400,
            AccountError::InvalidCredentials => 401,
            AccountError::TenantInviteOnly => 403,
            AccountError::NoSuch(_) => 404,
            AccountError::EmailTaken
            | AccountError::TenantExists
            | AccountError::PlatformAdmin
            | AccountError::DefaultTenant
            | AccountError::Conflict => 409,
            AccountError::RateLimited { .. } => 429,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AccountError::InvalidEmail(_) => "invalid_email",
            AccountError::InvalidPassword(_) => "invalid_password",
            AccountError::InvalidTenant(_) => "invalid_tenant",
            AccountError::InvalidInput(_) => "invalid_input",
            AccountError::InvalidAttributes(_) => "invalid_attributes",
            AccountError::TenantInviteOnly => "tenant_invite_only",
            AccountError::EmailTaken => "email_taken",
            AccountError::TenantExists => "tenant_exists",
            AccountError::PlatformAdmin => "platform_admin",
            AccountError::DefaultTenant => "default_tenant",
            AccountError::Conflict => "conflict",
            AccountError::InvalidCredentials => "invalid_credentials",
            AccountError::RateLimited { .. } => "rate_limited",
            AccountError::NoSuch(_) => "not_found",
        }
    }

    fn message(&self) -> String {
        match self {
            AccountError::InvalidEmail(why)
            | AccountError::InvalidPassword(why)
            | AccountError::InvalidTenant(why) => (*why).to_string(),
            AccountError::InvalidInput(why) | AccountError::InvalidAttributes(why) => why.clone(),
            AccountError::TenantInviteOnly => "an account joins a tenant only through an admin \
                of the platform or of that tenant; register without a tenant and ask one of \
                them to add you"
                .into(),
            AccountError::EmailTaken => "an account with this email already exists".into(),
            AccountError::TenantExists => "a tenant with this id already exists".into(),
            AccountError::PlatformAdmin => {
                "the account is a platform admin; its tenant and role are not changed here".into()
            }
            AccountError::DefaultTenant => {
                "accounts cannot be removed from tenant \"default\"".into()
            }
            AccountError::Conflict => "the account changed during the request; try again".into(),
            AccountError::InvalidCredentials => "wrong email or password".into(),
            AccountError::RateLimited { retry_after_secs } => {
                format!("too many attempts; retry after {retry_after_secs} s")
            }
            AccountError::NoSuch(what) => format!("no such {what}"),
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            AccountError::RateLimited { retry_after_secs } => {
                vec![("retry-after", retry_after_secs.to_string())]
            }
            _ => Vec::new(),
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

    /// One of the account's own errors.
    fn own(e: AccountError) -> ApiError {
        ApiError::Service(e)
    }

    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases = [
            (ApiError::InvalidJson("x".into()), 400, "invalid_json"),
            (own(AccountError::InvalidEmail("x")), 400, "invalid_email"),
            (
                own(AccountError::InvalidPassword("x")),
                400,
                "invalid_password",
            ),
            (own(AccountError::InvalidTenant("x")), 400, "invalid_tenant"),
            (
                own(AccountError::InvalidInput("x".into())),
                400,
                "invalid_input",
            ),
            (
                own(AccountError::InvalidAttributes("x".into())),
                400,
                "invalid_attributes",
            ),
            (
                own(AccountError::TenantInviteOnly),
                403,
                "tenant_invite_only",
            ),
            (ApiError::Forbidden, 403, "forbidden"),
            (own(AccountError::EmailTaken), 409, "email_taken"),
            (own(AccountError::TenantExists), 409, "tenant_exists"),
            (own(AccountError::PlatformAdmin), 409, "platform_admin"),
            (own(AccountError::DefaultTenant), 409, "default_tenant"),
            (own(AccountError::Conflict), 409, "conflict"),
            (
                own(AccountError::InvalidCredentials),
                401,
                "invalid_credentials",
            ),
            (
                own(AccountError::RateLimited {
                    retry_after_secs: 2,
                }),
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
            (own(AccountError::NoSuch("tenant")), 404, "not_found"),
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
    fn rate_limited_carries_retry_after() {
        let reply = own(AccountError::RateLimited {
            retry_after_secs: 7,
        })
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

//! The errors the gateway answers by itself, and the single place that turns
//! them into `{"error": "<code>", "message": "<sentence>"}` responses (with
//! `Retry-After` where waiting helps).

use crate::body::{GatewayBody, json_response};
use http::header::{ALLOW, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};
use serde_json::json;
use std::time::Duration;

/// A request the gateway answers without (a usable answer from) a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// No route matches the path.
    NotFound,
    /// One of the gateway's own read-only pages (`/health`, `/metrics`,
    /// `/openapi.yaml`, the console) asked with another method than GET or
    /// HEAD.
    ReadOnly,
    /// The request body is larger than `max_body_bytes`.
    PayloadTooLarge { limit: u64 },
    /// The request body could not be read from the client.
    BadRequest,
    /// The route needs a token and the request has none.
    Unauthorized,
    /// The token is malformed or not signed by the host.
    InvalidToken,
    /// The token has expired.
    TokenExpired,
    /// The token's role may not do this.
    Forbidden,
    /// A rate limit is exhausted; a request may succeed after `retry_after`.
    RateLimited { retry_after: Duration },
    /// Too many requests in flight (to the gateway or to one service).
    Overloaded { retry_after: Duration },
    /// The resolver knows no healthy instance of the routed service, or all
    /// of them are ejected by their circuit breakers.
    NoHealthyInstance { service: String },
    /// The upstream could not be reached or broke off.
    BadGateway,
    /// The upstream did not answer within the route's timeout.
    UpstreamTimeout,
    /// Fault injection aborted the request with this status.
    FaultInjected { status: StatusCode },
}

impl GatewayError {
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::NotFound => StatusCode::NOT_FOUND,
            GatewayError::ReadOnly => StatusCode::METHOD_NOT_ALLOWED,
            GatewayError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::BadRequest => StatusCode::BAD_REQUEST,
            GatewayError::Unauthorized
            | GatewayError::InvalidToken
            | GatewayError::TokenExpired => StatusCode::UNAUTHORIZED,
            GatewayError::Forbidden => StatusCode::FORBIDDEN,
            GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            GatewayError::Overloaded { .. } | GatewayError::NoHealthyInstance { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            GatewayError::BadGateway => StatusCode::BAD_GATEWAY,
            GatewayError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            GatewayError::FaultInjected { status } => *status,
        }
    }

    /// The machine-readable `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::NotFound => "not_found",
            GatewayError::ReadOnly => "method_not_allowed",
            GatewayError::PayloadTooLarge { .. } => "payload_too_large",
            GatewayError::BadRequest => "bad_request",
            GatewayError::Unauthorized => "unauthorized",
            GatewayError::InvalidToken => "invalid_token",
            GatewayError::TokenExpired => "token_expired",
            GatewayError::Forbidden => "forbidden",
            GatewayError::RateLimited { .. } => "rate_limited",
            GatewayError::Overloaded { .. } => "overloaded",
            GatewayError::NoHealthyInstance { .. } => "no_healthy_instance",
            GatewayError::BadGateway => "bad_gateway",
            GatewayError::UpstreamTimeout => "upstream_timeout",
            GatewayError::FaultInjected { .. } => "fault_injected",
        }
    }

    /// The human-readable `message` field.
    pub fn message(&self) -> String {
        match self {
            GatewayError::NotFound => "No route matches this path.".to_owned(),
            GatewayError::ReadOnly => "This path is read with GET or HEAD only.".to_owned(),
            GatewayError::PayloadTooLarge { limit } => {
                format!("The request body exceeds the limit of {limit} bytes.")
            }
            GatewayError::BadRequest => "The request body could not be read.".to_owned(),
            GatewayError::Unauthorized => "This request needs a bearer token.".to_owned(),
            GatewayError::InvalidToken => "The bearer token is not valid.".to_owned(),
            GatewayError::TokenExpired => "The bearer token has expired.".to_owned(),
            GatewayError::Forbidden => "Your role may not do this.".to_owned(),
            GatewayError::RateLimited { retry_after } => format!(
                "Too many requests; retry in {} s.",
                retry_after_secs(*retry_after)
            ),
            GatewayError::Overloaded { .. } => {
                "The gateway is at capacity; retry shortly.".to_owned()
            }
            GatewayError::NoHealthyInstance { service } => {
                format!("No healthy instance of the {service} service is available.")
            }
            GatewayError::BadGateway => {
                "The upstream service could not be reached or failed to answer.".to_owned()
            }
            GatewayError::UpstreamTimeout => {
                "The upstream service did not answer in time.".to_owned()
            }
            GatewayError::FaultInjected { .. } => {
                "The request was aborted by fault injection.".to_owned()
            }
        }
    }

    /// How long the client should wait before trying again, if waiting
    /// helps.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GatewayError::RateLimited { retry_after }
            | GatewayError::Overloaded { retry_after } => Some(*retry_after),
            GatewayError::NoHealthyInstance { .. } => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    pub fn into_response(self) -> Response<GatewayBody> {
        let mut response = json_response(
            self.status(),
            &json!({ "error": self.code(), "message": self.message() }),
        );
        if let Some(wait) = self.retry_after() {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(wait)));
        }
        if self == GatewayError::ReadOnly {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        response
    }
}

/// Whole seconds to wait, rounded up, at least 1 (`Retry-After: 0` would
/// invite an immediate retry that fails again).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for GatewayError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }

    #[test]
    fn waiting_errors_carry_retry_after() {
        let limited = GatewayError::RateLimited {
            retry_after: Duration::from_millis(2500),
        }
        .into_response();
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers()[RETRY_AFTER], "3");
        let forbidden = GatewayError::Forbidden.into_response();
        assert_eq!(forbidden.status(), 403);
        assert!(!forbidden.headers().contains_key(RETRY_AFTER));
    }
}

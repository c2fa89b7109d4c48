//! The errors the gateway answers by itself, and the single place that turns
//! them into `{"error": "<code>", "message": "<sentence>"}` responses.

use crate::body::{GatewayBody, json_response};
use http::{Response, StatusCode};
use serde_json::json;

/// A request the gateway answers without (a usable answer from) a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// No route matches the path.
    NotFound,
    /// The request body is larger than `max_body_bytes`.
    PayloadTooLarge { limit: u64 },
    /// The resolver knows no healthy instance of the routed service.
    NoHealthyInstance { service: String },
    /// The upstream could not be reached or broke off.
    BadGateway,
    /// The upstream did not answer within `upstream_timeout`.
    UpstreamTimeout,
}

impl GatewayError {
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::NotFound => StatusCode::NOT_FOUND,
            GatewayError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::NoHealthyInstance { .. } => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::BadGateway => StatusCode::BAD_GATEWAY,
            GatewayError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The machine-readable `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::NotFound => "not_found",
            GatewayError::PayloadTooLarge { .. } => "payload_too_large",
            GatewayError::NoHealthyInstance { .. } => "no_healthy_instance",
            GatewayError::BadGateway => "bad_gateway",
            GatewayError::UpstreamTimeout => "upstream_timeout",
        }
    }

    /// The human-readable `message` field.
    pub fn message(&self) -> String {
        match self {
            GatewayError::NotFound => "No route matches this path.".to_owned(),
            GatewayError::PayloadTooLarge { limit } => {
                format!("The request body exceeds the limit of {limit} bytes.")
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
        }
    }

    pub fn into_response(self) -> Response<GatewayBody> {
        json_response(
            self.status(),
            &json!({ "error": self.code(), "message": self.message() }),
        )
    }
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for GatewayError {}

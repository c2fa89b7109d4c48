//! `GET /health`: the gateway's own liveness answer.

use crate::body::{GatewayBody, json_response};
use http::{Method, Response, StatusCode};
use serde_json::json;

pub(crate) const PATH: &str = "/health";

/// Whether the gateway answers this request itself.
pub(crate) fn is_health_check(method: &Method, path: &str) -> bool {
    path == PATH && (method == Method::GET || method == Method::HEAD)
}

pub(crate) fn response() -> Response<GatewayBody> {
    json_response(
        StatusCode::OK,
        &json!({ "status": "ok", "service": "gateway" }),
    )
}

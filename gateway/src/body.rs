//! The body type every gateway response (and every forwarded request) uses,
//! and the one constructor for JSON responses.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

/// Any error a body can fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed streaming body: upstream bodies pass through it unbuffered, and
/// bodies the gateway writes itself are one chunk.
pub type GatewayBody = UnsyncBoxBody<Bytes, BoxError>;

/// A body of exactly these bytes.
pub fn full(bytes: impl Into<Bytes>) -> GatewayBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with `value` as its JSON body.
pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<GatewayBody> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

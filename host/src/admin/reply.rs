//! Admin API responses: JSON bodies, and errors as API.md shapes them
//! (`{"error": code, "message": sentence}`).

use super::Body;
use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;

/// A response of the admin API.
pub struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    /// The `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl Reply {
    pub fn json(status: StatusCode, value: &impl Serialize) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::from(serde_json::to_vec(value).expect("JSON values serialize")),
            allow: None,
        }
    }

    pub fn text(body: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: "text/plain; version=0.0.4",
            body: Bytes::from(body),
            allow: None,
        }
    }

    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::new(),
            allow: None,
        }
    }

    pub fn into_response(self) -> hyper::Response<Body> {
        let mut response = hyper::Response::new(Body::new(self.body));
        *response.status_mut() = self.status;
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
        }
        if self.status != StatusCode::NO_CONTENT {
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(self.content_type),
            );
        }
        response
    }
}

/// An error reply.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({"error": code, "message": message.into()}),
    )
}

/// A 405 for `method` on `path`, naming the methods it allows.
pub fn method_not_allowed(method: &http::Method, path: &str, allow: &'static str) -> Reply {
    let mut reply = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {path}; it allows {allow}"),
    );
    reply.allow = Some(allow);
    reply
}

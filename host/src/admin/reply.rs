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
}

impl Reply {
    pub fn json(status: StatusCode, value: &impl Serialize) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::from(serde_json::to_vec(value).expect("JSON values serialize")),
        }
    }

    pub fn text(body: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: "text/plain; version=0.0.4",
            body: Bytes::from(body),
        }
    }

    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::new(),
        }
    }

    pub fn into_response(self) -> hyper::Response<Body> {
        let mut response = hyper::Response::new(Body::new(self.body));
        *response.status_mut() = self.status;
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

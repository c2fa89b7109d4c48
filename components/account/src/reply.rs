//! An HTTP response as plain data: status, headers and a JSON body (or
//! none, for 204). The wasm glue turns it into a `wasi:http` response;
//! tests inspect it directly.

use serde::Serialize;

/// The media type of every response body.
pub const JSON: &str = "application/json";

/// A complete response, built by the service and sent by the glue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// Header names and values, in order; `content-type` whenever there is
    /// a body.
    pub headers: Vec<(String, String)>,
    /// The serialized JSON body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A response with `value` serialized as its JSON body.
    pub fn json(status: u16, value: &impl Serialize) -> Reply {
        // Serializing our own plain structs cannot fail; fall back to an
        // empty object rather than panicking if it ever did.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            headers: vec![("content-type".to_string(), JSON.to_string())],
            body,
        }
    }

    /// A response without a body or `content-type`, e.g. 204.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_reply_has_content_type_and_body() {
        let reply = Reply::json(201, &serde_json::json!({"a": 1}));
        assert_eq!(reply.status, 201);
        assert_eq!(reply.header("Content-Type"), Some(JSON));
        assert_eq!(reply.body, br#"{"a":1}"#);
    }

    #[test]
    fn empty_reply_has_no_body_and_no_content_type() {
        let reply = Reply::empty(204);
        assert_eq!(reply.status, 204);
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("content-type"), None);
    }

    #[test]
    fn with_header_appends() {
        let reply = Reply::json(200, &()).with_header("retry-after", "3");
        assert_eq!(reply.header("Retry-After"), Some("3"));
        assert_eq!(reply.headers.len(), 2);
    }
}

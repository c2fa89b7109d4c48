//! An HTTP response as plain data (status, headers, JSON body): services
//! build it, the wasm glue sends it, tests inspect it.

use serde::Serialize;

/// The media type of every response body.
pub const JSON: &str = "application/json";

/// The longest `x-request-id` echoed back.
pub const MAX_REQUEST_ID: usize = 128;

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// Header names and values, in order; `content-type` whenever there is
    /// a body.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A response whose body is `value` as JSON.
    pub fn json(status: u16, value: &impl Serialize) -> Reply {
        // Our own plain structs always serialize; never panic if not.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            headers: vec![("content-type".to_string(), JSON.to_string())],
            body,
        }
    }

    /// A response without a body, e.g. 204.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Echoes the request's `x-request-id` when it is a sane one (1 to 128
    /// visible ASCII characters); an id a client could use to inject
    /// anything is dropped.
    pub fn with_request_id(self, headers: &[(String, Vec<u8>)]) -> Reply {
        match crate::http::header(headers, "x-request-id") {
            Some(id) if crate::http::is_visible_ascii(id, MAX_REQUEST_ID) => {
                self.with_header("x-request-id", id)
            }
            _ => self,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive).
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
    fn json_replies_carry_their_type_and_extra_headers() {
        let reply = Reply::json(201, &serde_json::json!({"a": 1})).with_header("Location", "/x");
        assert_eq!(reply.status, 201);
        assert_eq!(reply.header("Content-Type"), Some(JSON));
        assert_eq!(reply.header("location"), Some("/x"));
        assert_eq!(reply.body, br#"{"a":1}"#);
        assert_eq!(reply.headers.len(), 2);
    }

    #[test]
    fn sane_request_ids_are_echoed_and_others_dropped() {
        let headers = |id: &str| vec![("X-Request-Id".to_string(), id.as_bytes().to_vec())];
        let echoed = Reply::empty(204).with_request_id(&headers("abc-123"));
        assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
        assert!(echoed.body.is_empty());
        for bad in ["bad id", "", &"x".repeat(129), "a\u{7f}"] {
            let reply = Reply::empty(204).with_request_id(&headers(bad));
            assert_eq!(reply.header("x-request-id"), None, "{bad:?}");
        }
        let longest = "x".repeat(MAX_REQUEST_ID);
        let reply = Reply::empty(200).with_request_id(&headers(&longest));
        assert_eq!(reply.header("x-request-id"), Some(longest.as_str()));
    }
}
